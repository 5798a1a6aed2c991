"""Advice to the owner: the post-recovery report and the hardening checklist."""
