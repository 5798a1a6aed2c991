"""Real Homeport releases for the update tests: wheels built from this checkout (`pip wheel`), variants built from
patched copies of its source with their version bumped, and a daemon that runs from a releases root.

The dependency wheels are built once per test session; each variant is a homeport-only wheel (`--no-deps`) in a
folder beside hard links to them: the offline "folder of wheels" an owner would copy to a volume.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from homeport.updates.releases import ReleaseRoot, source_of
from tests.support.daemon import Daemon

CHECKOUT = Path(__file__).resolve().parents[2]
PIP_TIMEOUT = 600
Patch = Callable[[Path], None]  # changes a copy of src/homeport (given its path)


def _pip(*args: str) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        capture_output=True, text=True, timeout=PIP_TIMEOUT, env=env, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


@dataclass
class Wheelhouse:
    """Built once per session in `root`: every dependency, and variants of Homeport on demand."""

    root: Path

    def __post_init__(self) -> None:
        self.deps = self.root / "deps"
        self.deps.mkdir(parents=True)
        _pip("wheel", "-w", str(self.deps), "-c", str(CHECKOUT / "constraints.txt"), str(CHECKOUT))
        for own in self.deps.glob("homeport-*.whl"):
            own.unlink()  # each variant brings its own
        self._variants: dict[str, Path] = {}

    def variant(self, name: str, version: str, patch: Patch | None = None) -> Path:
        """A folder with `homeport-<version>` built from a patched copy of the checkout, and every dependency."""
        if name in self._variants:
            return self._variants[name]
        source = self.root / "src" / name
        shutil.copytree(CHECKOUT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        shutil.copy2(CHECKOUT / "README.md", source / "README.md")
        pyproject = (CHECKOUT / "pyproject.toml").read_text()
        (source / "pyproject.toml").write_text(
            re.sub(r'^version = ".*"$', f'version = "{version}"', pyproject, count=1, flags=re.M)
        )
        init = source / "src" / "homeport" / "__init__.py"
        init.write_text(re.sub(r'__version__ = ".*"', f'__version__ = "{version}"', init.read_text()))
        if patch is not None:
            patch(source / "src" / "homeport")
        folder = self.root / "releases" / name
        folder.mkdir(parents=True)
        _pip("wheel", "--no-deps", "-w", str(folder), str(source))
        for wheel in self.deps.glob("*.whl"):
            os.link(wheel, folder / wheel.name)
        self._variants[name] = folder
        return folder


def build_base_release(wheelhouse: Wheelhouse, where: Path) -> Path:
    """The release every test starts from (this checkout as it is), built once at its final path."""
    root = ReleaseRoot(where)
    source = source_of(wheelhouse.variant("base", "0.1.0"))
    return root.build(source, root.new_folder(source), []).path


def add_migration(number: int, body: str) -> Patch:
    """A variant whose store gains migration `number` (test numbers, far above the real ones)."""

    def patch(package: Path) -> None:
        migrations = package / "store" / "migrations"
        (migrations / f"m{number:04d}_update_test.py").write_text(
            f'"""A test migration."""\n\nimport sqlite3\n\n\ndef upgrade(conn: sqlite3.Connection) -> None:\n'
            f"    {body}\n"
        )
        index = migrations / "__init__.py"
        text = index.read_text()
        text = text.replace(
            '        "m0007_unix_ids",\n', f'        "m0007_unix_ids",\n        "m{number:04d}_update_test",\n'
        )
        assert f"m{number:04d}_update_test" in text
        index.write_text(text)

    return patch


def replace_in(relative: str, old: str, new: str) -> Patch:
    def patch(package: Path) -> None:
        path = package / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new, 1))

    return patch


@dataclass
class ReleaseDaemon(Daemon):
    """`homeport serve` run from `releases/current` (its own venv, never this checkout's code)."""

    releases: Path = Path()
    trial_seconds: int = 30
    supervised: bool = False  # started as a real install starts it: the supervisor, with the system Python

    def command(self, *extra: str) -> list[str]:
        if self.supervised:
            return self.supervisor()
        command = super().command(*extra)
        program = str(self.releases / "current" / "venv" / "bin" / "homeport")
        return [program, *command[3:], "--releases", str(self.releases), "--trial-seconds", str(self.trial_seconds)]

    def start(self, wait: bool = True) -> ReleaseDaemon:
        saved = os.environ.pop("PYTHONPATH", None)
        try:
            super().start(wait=False)
        finally:
            if saved is not None:
                os.environ["PYTHONPATH"] = saved
        if wait:
            self.wait_ready()
        return self

    def supervisor(self) -> list[str]:
        """The command a real install (the systemd unit) runs: the supervisor with the system Python."""
        python = getattr(sys, "_base_executable", sys.executable)
        return [python, "-I", str(self.releases / "supervisor.py"), str(self.releases / "supervisor.json")]
