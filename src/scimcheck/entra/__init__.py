"""Layer 3, Entra: its two PATCH dialects and one definition of every request the Entra
provisioning service sends (docs/entra.md).
"""
