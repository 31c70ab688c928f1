"""Layer 7, reports: results.json, report.html, JUnit, transcripts, repro scripts, baselines and
the unreachable-endpoint report.
"""
