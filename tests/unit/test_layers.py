"""Dependencies point inward (architecture.md, "Seams"): checked on the real import statements."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "homeport"
OUTER = {"api", "web", "http", "application", "cli", "daemon", "serve", "services"}
APPLICATION = {"application", "cli", "daemon", "serve"}
# package -> the homeport packages it must never import
FORBIDDEN = {
    "core": {"store", "accounts", "auth", "audit", "system", "tls", "network", "hardware", "discovery", "recovery"}
    | OUTER,
    "store": {"accounts", "auth", "audit", "system", "tls", "network", "hardware", "discovery", "recovery"} | OUTER,
    "accounts": OUTER | {"recovery", "discovery"},
    "auth": OUTER | {"recovery", "discovery"},
    "audit": OUTER | {"accounts", "auth", "system", "recovery"},
    "system": OUTER | {"recovery", "discovery"},
    "tls": OUTER | {"accounts", "auth", "store", "system", "recovery"},
    "network": OUTER | {"accounts", "auth", "recovery"},
    "hardware": OUTER | {"accounts", "auth", "store", "recovery"},
    "discovery": OUTER | {"recovery"},
    "files": OUTER | {"recovery", "discovery", "smb", "network"},
    "smb": OUTER | {"recovery", "network"},
    "recovery": OUTER,
    "advisor": OUTER,
    # Its checks look at every running service, so they take the Services aggregate (a type only); nothing else.
    "selftest": OUTER - {"services"},
    "notify": OUTER | {"recovery", "discovery", "network", "smb", "files"},
    # The HTTP floor serves both surfaces; the API and the console share it, never each other.
    "http": APPLICATION | {"api", "web"},
    "api": APPLICATION | {"web"},
    "web": APPLICATION | {"api"},
}


def imported_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "homeport" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_inward(package: str) -> None:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no package {package}"
    for path in files:
        wrong = imported_packages(path) & FORBIDDEN[package]
        assert not wrong, f"{path.relative_to(SRC)} imports {sorted(wrong)}"
