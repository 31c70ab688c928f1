"""Layer 6, settings: what a run is configured with and what it gathers, shared by the pytest
plugin, the reports and the command line."""
