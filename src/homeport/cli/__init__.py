"""The `homeport` command: `serve` runs the daemon; the rest talk to it over its root-only Unix socket."""

import sys

if sys.argv[1:2] == ["serve"] and "--help" not in sys.argv:
    # The daemon prints plain tracebacks only: rich's can show local variables, a password among them. With rich's
    # traceback module unimportable, structlog chooses plain ones by itself and the daemon does not load Pygments
    # (1.1 MB of its memory). The other commands keep rich's help panels, which need it.
    sys.modules.setdefault("rich.traceback", None)  # type: ignore[arg-type]
