"""The audit log: who did what, when, from where; kept in the store, never holding a secret."""
