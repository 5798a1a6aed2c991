"""The JSON API under /api/v1 (and the ASGI application that also serves the web console)."""
