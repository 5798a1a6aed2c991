"""Notices for the administrators: kept in the store, shown on the overview until read, sent by email and webhook."""
