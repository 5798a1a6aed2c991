"""User and administrator accounts, groups, the password policy and password hashing."""
