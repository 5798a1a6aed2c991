"""pycryptodome through ctypes, not cffi.

pycryptodome reaches its C code through cffi whenever cffi is installed (argon2-cffi brings it), and cffi parses C
declarations with pycparser as the modules load: 1.3 MB of the daemon's memory, for nothing. pycryptodome runs the
same C code through ctypes when cffi cannot be imported, so cffi is made unimportable for that one probe.
"""

from __future__ import annotations

import sys
import threading

_lock = threading.Lock()
_PROBED = "Crypto.Util._raw_api"  # where pycryptodome chooses, once, between cffi and ctypes


def load() -> None:
    """Call before the first import from `Crypto`."""
    with _lock:
        if _PROBED in sys.modules:
            return
        absent = object()
        had = sys.modules.get("cffi", absent)
        sys.modules["cffi"] = None  # type: ignore[assignment]  # an import of it raises ImportError
        try:
            __import__(_PROBED)
        finally:
            if had is absent:
                del sys.modules["cffi"]
            else:
                sys.modules["cffi"] = had  # type: ignore[assignment]
