"""The device itself: identity, state, settings, first-run setup, volumes."""
