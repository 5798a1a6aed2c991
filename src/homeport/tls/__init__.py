"""The device's own certificate authority and HTTPS certificate."""
