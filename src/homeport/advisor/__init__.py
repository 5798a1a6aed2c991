"""Advice to the owner: the Security Advisor (its checks, kept runs) and the post-recovery report."""
