"""Layer 0, core: the project's exceptions, exit codes, and safe reading of files, YAML and
templates. Imports nothing of scimcheck.
"""
