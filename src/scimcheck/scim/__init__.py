"""Layer 2, SCIM: resource paths (RFC 7644 §3.2), JSON Schema validation, the endpoint's
capabilities, attribute-mapping profiles, user data fakers, and the ownership ledger that keeps
a run to what it created.
"""
