"""Layer 9: the pytest plugin (registered as the pytest11 entry point scimcheck): options,
fixtures, hooks, collection.
"""
