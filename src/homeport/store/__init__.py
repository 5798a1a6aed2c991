"""The configuration store: one SQLite file, migrated by number, backed up before every migration."""
