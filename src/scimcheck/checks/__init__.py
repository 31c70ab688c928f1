"""Layer 4, checks: the registry of every check (id, level, public source) and how a verdict is
judged.
"""
