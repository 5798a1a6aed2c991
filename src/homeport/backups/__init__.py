"""Configuration backups on the data volumes: made by themselves and before risky changes, verified, restored."""
