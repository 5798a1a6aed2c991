"""SMB on real Samba: Homeport's own smb.conf, the passdb kept equal to the store, and a supervised smbd."""
