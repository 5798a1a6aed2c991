"""Shared folders on the data volumes and who may use them; the file services (smb/) serve them."""
