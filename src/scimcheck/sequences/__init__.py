"""Layer 5, sequences: loading the YAML sequence files, the interpreter that replays them, and the
runner that sends, records and judges each step.
"""
