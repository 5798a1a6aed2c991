"""The `homeport` command: `serve` runs the daemon; the rest talk to it over its root-only Unix socket."""
