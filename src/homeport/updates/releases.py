"""Releases side by side: `ROOT/releases/<version>-<stamp>/venv`, each built at its final path (a venv is not
relocatable), a `ROOT/current` link switched atomically, the last few kept.

A release is complete once its `release.json` exists (written last); a folder without one is a build that was
interrupted and is removed at the next prune.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from homeport.core.atomic import write_atomic
from homeport.core.errors import Conflict, InvalidInput
from homeport.updates.supervisor import current_release, read_json

KEEP_RELEASES = 3
BUILD_TIMEOUT_SECONDS = 600
RELEASE_FILE = "release.json"
FAILED_MARK = "FAILED"
WHEEL_NAME = re.compile(r"^homeport-(?P<version>[0-9][0-9A-Za-z.+!_-]*?)-(py3|py2\.py3)-none-any\.whl$")


@dataclass(frozen=True)
class Release:
    path: Path
    version: str
    built_at: float
    failed: str  # why it was rolled back, or ""

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class UpdateSource:
    """Where a release comes from: a homeport wheel, and the folder pip may take its dependencies from."""

    wheel: Path
    version: str

    @property
    def folder(self) -> Path:
        return self.wheel.parent


def base_python() -> str:
    """The system interpreter under this one's venv: new venvs and the supervisor run on it."""
    return str(getattr(sys, "_base_executable", sys.executable))


def running_release(root: Path | None) -> Path | None:
    """The release under `root` this process runs from (its entry, which may be a link to a release elsewhere)."""
    if root is None or not (root / "releases").is_dir():
        return None
    mine = Path(os.path.realpath(sys.prefix)).parent
    return next((entry for entry in (root / "releases").iterdir() if Path(os.path.realpath(entry)) == mine), None)


def source_of(path: Path) -> UpdateSource:
    """A wheel, or a folder holding exactly one homeport wheel (and, offline, its dependencies)."""
    if not path.exists():
        raise InvalidInput.field("source", f"There is no file or folder {path}.")
    if path.is_dir():
        wheels = sorted(p for p in path.iterdir() if WHEEL_NAME.match(p.name))
        if len(wheels) != 1:
            found = "no homeport wheel" if not wheels else f"{len(wheels)} homeport wheels"
            raise InvalidInput.field(
                "source", f"{path} holds {found}; give a folder with exactly one homeport-*.whl and its dependencies."
            )
        path = wheels[0]
    match = WHEEL_NAME.match(path.name)
    if match is None:
        raise InvalidInput.field(
            "source", f"{path.name} is not a Homeport release: expected a file named homeport-VERSION-py3-none-any.whl."
        )
    return UpdateSource(wheel=path.absolute(), version=match["version"])


class ReleaseRoot:
    def __init__(self, root: Path, python: str | None = None) -> None:
        self.root = root
        self.python = python or base_python()

    @property
    def releases(self) -> Path:
        return self.root / "releases"

    @property
    def wheels(self) -> Path:
        """Every wheel a release was built from: the dependencies the next offline update may reuse."""
        return self.root / "wheels"

    def current(self) -> Path | None:
        return current_release(self.root)

    def kept(self) -> list[Release]:
        found = []
        for folder in sorted(self.releases.glob("*")) if self.releases.is_dir() else []:
            described = read_json(folder / RELEASE_FILE)
            if described is None:
                continue
            failed = folder / FAILED_MARK
            found.append(
                Release(
                    path=folder,
                    version=str(described.get("version", "?")),
                    built_at=float(described.get("built_at", 0)),
                    failed=failed.read_text().strip() if failed.exists() else "",
                )
            )
        return sorted(found, key=lambda r: r.built_at)

    def check_safe(self) -> None:
        """The releases hold code the daemon runs as itself: whoever may change their folders could run theirs."""
        for folder in (self.root, self.releases):
            info = folder.stat()
            if info.st_uid not in (0, os.geteuid()) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                raise Conflict(
                    f"{folder} may be changed by another user, and it holds the code Homeport runs; fix it with "
                    f"chown {os.geteuid()} {folder} && chmod go-w {folder}.",
                    code="releases_unsafe",
                )

    def new_folder(self, source: UpdateSource) -> Path:
        """The release's final path, `<version>-<stamp>`, made empty (a build starts there)."""
        self.releases.mkdir(mode=0o755, parents=True, exist_ok=True)
        self.check_safe()
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        folder = self.releases / f"{source.version}-{stamp}"
        suffix = 1
        while folder.exists():
            suffix += 1
            folder = self.releases / f"{source.version}-{stamp}-{suffix}"
        folder.mkdir(mode=0o755)
        return folder

    def build(self, source: UpdateSource, folder: Path, log: list[str]) -> Release:
        """A venv at the release's final path with the wheel installed offline; removed again if anything fails."""
        try:
            self._run([self.python, "-m", "venv", str(folder / "venv")], log)
            links = [source.folder, *([self.wheels] if self.wheels.is_dir() else [])]
            self._run(
                [str(folder / "venv" / "bin" / "python"), "-m", "pip", "install", "--no-index", "--no-cache-dir",
                 "--disable-pip-version-check", "--quiet", *(f"--find-links={p}" for p in links),
                 str(source.wheel)],
                log,
            )  # fmt: skip
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        built = time.time()
        write_atomic(
            folder / RELEASE_FILE,
            f'{{"version": "{source.version}", "built_at": {built}, "wheel": "{source.wheel.name}"}}\n'.encode(),
            0o644,
        )
        self._keep_wheels(source.folder)
        return Release(path=folder, version=source.version, built_at=built, failed="")

    def _run(self, command: list[str], log: list[str]) -> None:
        # PIP_CONFIG_FILE=/dev/null: the host's pip settings (an index, constraints) must not change what is built.
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PYTHONNOUSERSITE": "1"}
        env.pop("PYTHONPATH", None)
        try:
            done = subprocess.run(  # noqa: S603 (an argument list of our own)
                command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, env=env, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise Conflict(
                f"Building the release took longer than {BUILD_TIMEOUT_SECONDS} s; nothing changed."
            ) from exc
        lines = [line for line in (done.stdout + done.stderr).splitlines() if not line.startswith("WARNING: Loc")]
        log.extend(lines[-20:])
        if done.returncode != 0:
            last = next((line for line in reversed(lines) if line.strip()), "no output")
            raise InvalidInput.field(
                "source",
                f"The release could not be installed ({last.strip()}). An offline update needs a folder with the "
                "homeport wheel and every dependency it needs.",
            )

    def _keep_wheels(self, folder: Path) -> None:
        self.wheels.mkdir(mode=0o755, exist_ok=True)
        for wheel in folder.glob("*.whl"):
            target = self.wheels / wheel.name
            if not target.exists() and not WHEEL_NAME.match(wheel.name):
                with contextlib.suppress(OSError):
                    shutil.copy2(wheel, target)

    def discard(self, release: Release) -> None:
        self.discard_path(release.path)

    def discard_path(self, path: Path) -> None:
        """Remove a release (never the current one); a link to a release kept elsewhere loses only its entry."""
        if path.parent != self.releases or Path(os.path.realpath(path)) == self.current():
            return
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)

    def discard_unfinished(self) -> None:
        """Builds that never wrote their release.json (the daemon stopped while pip ran); never the current one."""
        current = self.current()
        for folder in self.releases.glob("*") if self.releases.is_dir() else []:
            if not (folder / RELEASE_FILE).exists() and Path(os.path.realpath(folder)) != current:
                shutil.rmtree(folder, ignore_errors=True)

    def discard_failed(self) -> list[str]:
        """Releases an update was rolled back from are never run again: only the newest stays (its reason shows on
        the Updates page); the others go, with their venvs (a hundred megabytes each)."""
        failed = [r for r in self.kept() if r.failed and Path(os.path.realpath(r.path)) != self.current()]
        for old in failed[:-1]:
            self.discard(old)
        return [old.name for old in failed[:-1]]

    def prune(self, previous: Path | None, keep: int = KEEP_RELEASES) -> list[str]:
        """Keep the newest `keep` releases and never the current or the previous one; drop unfinished builds."""
        protected = {Path(os.path.realpath(p)) for p in (self.current(), previous) if p is not None}
        self.discard_unfinished()
        releases = self.kept()
        removed = []
        for old in releases[: max(0, len(releases) - keep)]:
            if Path(os.path.realpath(old.path)) not in protected:
                self.discard(old)
                removed.append(old.name)
        return removed
