"""Layer 1, HTTP: the one transport that sends every byte (as Entra does: RFC 7644 §3,
docs/entra.md §1), deadlines, TLS, redaction of secrets, the bearer token, the target URL and
curl rendering. Nothing above it opens a socket.
"""
