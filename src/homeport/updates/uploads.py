"""A release uploaded through the console in small chunks (every request body is capped at 256 KiB).

One upload at a time lives under `<home>/updates/uploads/<id>/` (0700): `upload.json` (what was declared), the
bytes in `<name>.partial` until the declared size arrived, then `<name>` (a wheel, kept as is) or `release/` (the
wheels unpacked from a .zip, checked entry by entry first). A new upload replaces the one before; an unfinished
one without a chunk for an hour is removed at start and before a new one. Nothing half-written is ever offered:
a wheel is renamed into place whole, a zip is unpacked into `release.partial/` and renamed once every entry is in.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import stat
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeport.core.atomic import fsync_directory, fsync_file, write_atomic
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput, NotFound, OffsetMismatch, OperationFailed
from homeport.core.ids import new_token
from homeport.updates.releases import WHEEL_NAME as HOMEPORT_WHEEL

MAX_SIZE = 1024**3  # a release with its dependencies is tens of MiB; 1 GiB leaves room and bounds the disk used
CHUNK_SIZE = 192 * 1024  # under the 256 KiB body limit, with room for headers and a slow link's deadline
FREE_MARGIN = 256 * 1024**2  # never fill the home's filesystem: the store and the logs live there too
STALE_SECONDS = 3600.0
ZIP_MAX_ENTRIES = 200  # an offline release is homeport and a few dozen dependencies
ZIP_MAX_UNPACKED = MAX_SIZE
META = "upload.json"
RELEASE = "release"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,199}\.(whl|zip)$")
_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class Upload:
    id: str
    name: str
    size: int
    received: int
    started_at: float
    finished: bool
    wheels: tuple[str, ...] = ()  # the wheels it holds, once finished

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "size": self.size, "received": self.received,
            "started_at": self.started_at, "finished": self.finished, "wheels": list(self.wheels),
        }  # fmt: skip


class ReleaseRefused(InvalidInput):
    """The whole file was refused when its last chunk arrived (and removed); `file_name` says which."""

    def __init__(self, problem: str, file_name: str) -> None:
        super().__init__(problem, fields={"name": problem})
        self.file_name = file_name


def free_bytes(path: Path) -> int:
    return shutil.disk_usage(path).free


class ReleaseUploads:
    def __init__(self, folder: Path, clock: Clock, free_space: Callable[[Path], int] = free_bytes) -> None:
        self.folder = folder
        self._clock = clock
        self.free_space = free_space  # injectable: a test cannot fill a real disk to see the refusal
        self._lock = threading.Lock()
        self._held: str | None = None  # the upload an update is being prepared from: not replaced or removed

    @contextlib.contextmanager
    def holding(self, upload_id: str) -> Iterator[None]:
        """While an update builds from this upload, a new upload or a removal must not pull it away."""
        with self._lock:
            self._held = upload_id
        try:
            yield
        finally:
            with self._lock:
                self._held = None

    # --- reading ---------------------------------------------------------------------------------------

    def finished(self) -> list[Upload]:
        with self._lock:
            found = [self._read(p.name) for p in self._folders()]
        return [u for u in found if u is not None and u.finished]

    def get(self, upload_id: str) -> Upload:
        with self._lock:
            found = self._read(upload_id) if _ID.match(upload_id) else None
        if found is None:
            raise NotFound(f"There is no upload {upload_id!r}; start the upload again.", code="upload_not_found")
        return found

    def release_path(self, upload_id: str) -> Path:
        """What the update service is given: the uploaded wheel, or the folder a zip was unpacked into."""
        upload = self.get(upload_id)
        if not upload.finished:
            raise InvalidInput.field("upload", "The upload is not finished yet; send the rest of the file first.")
        folder = self.folder / upload.id
        return folder / RELEASE if upload.name.endswith(".zip") else folder / upload.name

    # --- changing --------------------------------------------------------------------------------------

    def start(self, name: str, size: int) -> Upload:
        if not _NAME.match(name):
            raise InvalidInput.field(
                "name", "Give the release's file name (a .whl, or a .zip of wheels), without a folder in front."
            )
        if size < 1:
            raise InvalidInput.field("size", "The file is empty; choose the release file itself.")
        if size > MAX_SIZE:
            raise InvalidInput.field("size", f"A release upload is at most {MAX_SIZE // 1024**2} MiB.")
        with self._lock:
            self._refuse_if_held()
            self._remove_all()  # one upload at a time: a new one replaces the one before, finished or not
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            room = self.free_space(self.folder) - FREE_MARGIN
            if size * (2 if name.endswith(".zip") else 1) >= room:  # a zip needs room for what it unpacks too
                raise InvalidInput.field(
                    "size", f"There is not enough free space for it: {max(room, 0) // 1024**2} MiB can be used."
                )
            upload = Upload(new_token()[:24], name, size, 0, self._clock.now(), finished=False)
            folder = self.folder / upload.id
            folder.mkdir(mode=0o700)
            write_atomic(folder / META, json.dumps(upload.as_dict()).encode())
            self._partial(upload).touch(mode=0o600)
            self._touch(upload.id)
            return upload

    def append(self, upload_id: str, offset: int, data: bytes) -> Upload:
        """Add a chunk where the last one ended; the last one finishes the upload (unpacking a zip)."""
        if len(data) > CHUNK_SIZE:
            raise InvalidInput.field("body", f"Send at most {CHUNK_SIZE // 1024} KiB per chunk.")
        if not data:
            raise InvalidInput.field("body", "The chunk is empty; send the file's bytes.")
        with self._lock:
            upload = self._read(upload_id) if _ID.match(upload_id) else None
            if upload is None:
                raise NotFound(f"There is no upload {upload_id!r}; start the upload again.", code="upload_not_found")
            if upload.finished:
                raise Conflict("This upload is finished already.", code="upload_finished")
            if offset != upload.received:
                raise OffsetMismatch(
                    f"The server has {upload.received} bytes of this upload; send the chunk that starts there.",
                    upload.received,
                )
            if upload.received + len(data) > upload.size:
                raise InvalidInput.field("body", f"The file is longer than the {upload.size} bytes declared.")
            with self._partial(upload).open("ab") as out:
                out.write(data)
            self._touch(upload.id)  # the last chunk's time: an upload in progress is not stale
            received = upload.received + len(data)
            if received < upload.size:
                return _with(upload, received=received)
            return self._finish(_with(upload, received=received))

    def remove(self, upload_id: str) -> None:
        with self._lock:
            if not _ID.match(upload_id) or not (self.folder / upload_id).is_dir():
                raise NotFound(f"There is no upload {upload_id!r}.", code="upload_not_found")
            if upload_id == self._held:
                self._refuse_if_held()
            shutil.rmtree(self.folder / upload_id)

    def discard(self, upload_id: str) -> None:
        """After an update was prepared from it (committed or refused): the release is no longer needed."""
        with self._lock, contextlib.suppress(FileNotFoundError):
            shutil.rmtree(self.folder / upload_id)

    def clean_stale(self) -> int:
        """Unfinished uploads without a chunk for an hour, and leftovers of one killed while finishing."""
        removed = 0
        with self._lock:
            for folder in self._folders():
                upload = self._read(folder.name)
                idle = self._clock.now() - folder.stat().st_mtime
                if folder.name == self._held:
                    continue
                if upload is None or (not upload.finished and idle > STALE_SECONDS):
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
        return removed

    # --- inside --------------------------------------------------------------------------------------

    def _finish(self, upload: Upload) -> Upload:
        folder = self.folder / upload.id
        partial = self._partial(upload)
        try:
            fsync_file(partial)
            if upload.name.endswith(".zip"):
                wheels = _unpack(partial, folder / RELEASE, self.free_space(folder) - FREE_MARGIN)
                partial.unlink()
            else:
                if not zipfile.is_zipfile(partial):
                    raise InvalidInput.field("name", f"{upload.name} is not a wheel (a wheel is a zip archive).")
                os.replace(partial, folder / upload.name)
                wheels = (upload.name,)
            _is_a_release(upload.name, wheels)
            done = _with(upload, finished=True, wheels=wheels)
            write_atomic(folder / META, json.dumps(done.as_dict()).encode())
            fsync_directory(folder)
            return done
        except InvalidInput as exc:
            shutil.rmtree(folder, ignore_errors=True)  # a bad release is not kept half-checked
            raise ReleaseRefused(exc.message, upload.name) from exc
        except OSError as exc:
            shutil.rmtree(folder, ignore_errors=True)
            raise OperationFailed(
                f"The upload could not be stored ({type(exc).__name__}); check the free space and upload it again."
            ) from exc

    def _refuse_if_held(self) -> None:
        if self._held is not None:
            raise Conflict(
                "An update is being prepared from the uploaded release; wait for its outcome.", code="update_running"
            )

    def _folders(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.is_dir() and _ID.match(p.name))

    def _read(self, upload_id: str) -> Upload | None:
        try:
            meta = json.loads((self.folder / upload_id / META).read_text())
            upload = Upload(
                id=str(meta["id"]), name=str(meta["name"]), size=int(meta["size"]), received=0,
                started_at=float(meta["started_at"]), finished=bool(meta["finished"]),
                wheels=tuple(str(w) for w in meta.get("wheels", [])),
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if upload.finished:
            return _with(upload, received=upload.size)
        try:
            return _with(upload, received=self._partial(upload).stat().st_size)
        except FileNotFoundError:
            return None

    def _touch(self, upload_id: str) -> None:
        now = self._clock.now()
        os.utime(self.folder / upload_id, (now, now))

    def _partial(self, upload: Upload) -> Path:
        return self.folder / upload.id / f"{upload.name}.partial"

    def _remove_all(self) -> None:
        for folder in self._folders():
            shutil.rmtree(folder, ignore_errors=True)


def _with(upload: Upload, **changes: Any) -> Upload:
    return Upload(**{**upload.as_dict(), "wheels": upload.wheels, **changes})


def _is_a_release(name: str, wheels: tuple[str, ...]) -> None:
    """Said now rather than when the update starts: the upload must hold one Homeport wheel."""
    own = [w for w in wheels if HOMEPORT_WHEEL.match(w)]
    if name.endswith(".whl") and not own:
        raise InvalidInput.field(
            "name", f"{name} is not a Homeport release: expected a file named homeport-VERSION-py3-none-any.whl."
        )
    if len(own) != 1:
        raise InvalidInput.field(
            "name", f"The .zip holds {len(own) or 'no'} homeport wheel{'s' if len(own) != 1 else ''}; put exactly "
            "one homeport-VERSION-py3-none-any.whl in it, with its dependencies.",
        )  # fmt: skip


def _unpack(archive: Path, target: Path, room: int) -> tuple[str, ...]:
    """Only wheels, flat names, regular files, a bounded count and size: checked before a byte is written."""
    try:
        with zipfile.ZipFile(archive) as zipped:
            entries = _checked_entries(zipped)
            if sum(e.file_size for e in entries) >= room:
                raise InvalidInput.field("name", "There is not enough free space to unpack the .zip.")
            partial = target.with_name(target.name + ".partial")
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(mode=0o700)
            for entry in entries:
                _extract(zipped, entry, partial / entry.filename)
            fsync_directory(partial)
            os.replace(partial, target)
            return tuple(sorted(e.filename for e in entries))
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        raise InvalidInput.field("name", f"The .zip cannot be read ({exc}); make it again and upload it.") from exc


def _checked_entries(zipped: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    entries = zipped.infolist()
    if len(entries) > ZIP_MAX_ENTRIES:
        raise InvalidInput.field("name", f"The .zip holds {len(entries)} entries; at most {ZIP_MAX_ENTRIES}.")
    seen: set[str] = set()
    total = 0
    for entry in entries:
        name = entry.filename
        if "/" in name or "\\" in name or name.startswith("."):
            raise InvalidInput.field(
                "name", f"The .zip holds {name!r}: only wheels at its top are taken (no folders, no paths)."
            )
        if not name.endswith(".whl") or not _NAME.match(name):
            raise InvalidInput.field("name", f"The .zip holds {name!r}, which is not a wheel (*.whl).")
        kind = stat.S_IFMT(entry.external_attr >> 16)  # 0: made where files have no Unix mode
        if kind and kind != stat.S_IFREG:
            raise InvalidInput.field("name", f"The .zip holds {name!r} as a link or special file; only files.")
        if name in seen:
            raise InvalidInput.field("name", f"The .zip holds {name!r} twice.")
        seen.add(name)
        total += entry.file_size
        if total > ZIP_MAX_UNPACKED:
            raise InvalidInput.field(
                "name", f"The .zip unpacks to more than {ZIP_MAX_UNPACKED // 1024**2} MiB; a release is far smaller."
            )
    if not entries:
        raise InvalidInput.field("name", "The .zip holds no wheel; put the homeport wheel and its dependencies in it.")
    return entries


def _extract(zipped: zipfile.ZipFile, entry: zipfile.ZipInfo, path: Path) -> None:
    """Copy one entry, never more bytes than it declared (zipfile stops there too; this says it clearly)."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as out, zipped.open(entry) as source:
        while chunk := source.read(1024 * 1024):
            written += len(chunk)
            if written > entry.file_size:
                raise InvalidInput.field("name", f"{entry.filename} in the .zip is larger than it says.")
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
