"""Signing in: the login flow, brute-force throttling and auto block, sessions."""
