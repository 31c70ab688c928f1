"""Layer 10, the command line: one module per command over the layers below."""
