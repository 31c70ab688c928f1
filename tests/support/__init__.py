"""Helpers shared by scimcheck's own tests: imported as ``support.*`` (tests/ is on pytest's
pythonpath), fixtures registered by the root conftest.py as the plugin ``support.fixtures``."""
