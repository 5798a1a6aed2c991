"""Numbered migrations of the store, applied in order; the number is kept in `PRAGMA user_version`.

A migration is a module `NNNN_name.py` with `upgrade(conn)`; it runs inside the runner's transaction and must
not commit. Add a new module and append it to `MIGRATIONS`; never edit one that has shipped.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    upgrade: Callable[[sqlite3.Connection], None]


def _load(module_name: str) -> Migration:
    module = importlib.import_module(f"{__name__}.{module_name}")
    number_text, _, name = module_name.partition("_")
    return Migration(number=int(number_text.lstrip("m")), name=name, upgrade=module.upgrade)


MIGRATIONS: tuple[Migration, ...] = tuple(
    _load(name)
    for name in (
        "m0001_initial",
        "m0002_network",
        "m0003_recovery",
        "m0004_devices",
        "m0005_factors",
        "m0006_files",
        "m0007_unix_ids",
        "m0008_notices",
    )
)
