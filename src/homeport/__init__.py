"""Homeport: the control plane of a home or small-office NAS that its owner can always get back into."""

__version__ = "0.1.0"
