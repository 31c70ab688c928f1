"""Layer 9 (beside the plugin): scimcheck record, a recording proxy in front of an endpoint."""
