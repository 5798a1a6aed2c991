"""Real Samba for tests: a Homeport whose embedded smbd listens on a free loopback port, and SMB clients
(`smbclient`, `smbtorture`) that take their passwords from a 0600 authentication file, never the command line.

Every process started here is stopped by its PID, whatever the test does.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from homeport.accounts.passwords import Argon2Parameters
from homeport.audit.log import Actor
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.files.models import Access, ShareDraft
from homeport.home import Home
from homeport.services import Services
from homeport.smb.service import FileService
from tests.support.daemon import free_port
from tests.support.fakes import StaticInterfaces

ROOT = Actor("root@local")
OWNER, OWNER_PASSWORD = "alice", "correct horse battery staple"
CLIENT_TIMEOUT = 30.0
SYNC_TIMEOUT = 10.0


def client_environment() -> dict[str, str]:
    """The clients never see the server's nss_wrapper accounts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NSS_WRAPPER", "LD_PRELOAD"))}
    env["LC_ALL"] = "C"
    return env


@dataclass(frozen=True)
class SmbResult:
    code: int
    out: str

    @property
    def ok(self) -> bool:
        return self.code == 0 and "NT_STATUS_" not in self.out

    def refused(self, status: str) -> bool:
        """Failed with this NT status (e.g. "LOGON_FAILURE"); some commands (rm) fail with exit status 0."""
        return f"NT_STATUS_{status}" in self.out

    def __str__(self) -> str:
        return f"exit {self.code}: {self.out.strip()[-600:]}"


def private_folder(prefix: str = "hp-smbc-") -> Path:
    """For authentication files: 0700, like mkdtemp makes it."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


class SmbClients:
    """Runs smbclient and smbtorture against one server; credentials go through files only this process reads."""

    def __init__(self, port: int, folder: Path, host: str = "127.0.0.1") -> None:
        self.port = port
        self.host = host
        self.folder = folder
        # An empty client configuration: the host's /etc/samba/smb.conf must not change what a client does.
        self.conf = folder / "client.conf"
        self.conf.write_text("[global]\n")
        self._count = 0

    def auth_file(self, user: str, password: str) -> Path:
        self._count += 1
        path = self.folder / f"auth-{self._count}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"username = {user}\npassword = {password}\n")
        return path

    def _credentials(self, user: str | None, password: str | None) -> list[str]:
        if user is None:
            return ["-N"]
        return ["-A", str(self.auth_file(user, password or ""))]

    def smbclient_args(
        self, user: str | None, password: str | None, share: str | None, options: Sequence[str] = ()
    ) -> list[str]:
        target = ["-L", f"//{self.host}"] if share is None else [f"//{self.host}/{share}"]
        return [
            "smbclient", *target, "-p", str(self.port), "-s", str(self.conf), *self._credentials(user, password),
            *(f"--option={o}" for o in options),
        ]  # fmt: skip

    def run(
        self, user: str | None, password: str | None, share: str | None, *commands: str,
        options: Sequence[str] = (), raw: Sequence[str] = (),
    ) -> SmbResult:  # fmt: skip
        """One smbclient run: connect to `share` (the share listing when None) and run `commands` (`-c`).

        smbclient exits with the status of its last command only, so SmbResult.ok also looks for an NT_STATUS
        error anywhere in the output."""
        args = [*self.smbclient_args(user, password, share, options), *raw]
        if commands:
            args += ["-c", "; ".join(commands)]
        return _run(args, None)

    def torture(self, user: str, password: str, share: str, tests: Sequence[str], *extra: str) -> SmbResult:
        args = [
            "smbtorture", f"//{self.host}/{share}", "-p", str(self.port), "--target=samba3", "-s", str(self.conf),
            "-A", str(self.auth_file(user, password)), *extra, *tests,
        ]  # fmt: skip
        return _run(args, None, timeout=120)

    @contextlib.contextmanager
    def session(self, user: str, password: str, share: str, options: Sequence[str] = ()) -> Iterator[Interactive]:
        """An smbclient left connected, reading its commands from a pipe (unbuffered output, so each answer can
        be read as it comes); killed by PID at the end."""
        process = subprocess.Popen(
            ["stdbuf", "-o0", "-e0", *self.smbclient_args(user, password, share, options)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=client_environment(), start_new_session=True,
        )  # fmt: skip
        interactive = Interactive(process)
        try:
            yield interactive
        finally:
            interactive.close()


@dataclass
class Interactive:
    process: subprocess.Popen[bytes]
    output: bytearray = field(default_factory=bytearray)

    def send(self, command: str, wait: float = 5.0, until: bytes = b"") -> str:
        """Write one command and collect what smbclient prints within `wait` (or until `until` shows)."""
        assert self.process.stdin is not None
        start = len(self.output)
        with contextlib.suppress(BrokenPipeError):
            self.process.stdin.write(command.encode() + b"\n")
            self.process.stdin.flush()
        self.read(wait, until, start)
        return self.output[start:].decode(errors="replace")

    def read(self, wait: float, until: bytes = b"", start: int = 0) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + wait
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if until and until in self.output[start:]:
                    return
                if not selector.select(max(0.0, deadline - time.monotonic())):
                    continue
                chunk = os.read(self.process.stdout.fileno(), 65536)
                if not chunk:
                    return  # smbclient ended
                self.output += chunk

    def alive(self) -> bool:
        return self.process.poll() is None

    def close(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _run(args: list[str], stdin: str | None, timeout: float = CLIENT_TIMEOUT) -> SmbResult:
    """A client process in its own session, killed (by PID) if it outlives `timeout`."""
    process = subprocess.Popen(
        args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, env=client_environment(), start_new_session=True,
    )  # fmt: skip
    try:
        out, _ = process.communicate(stdin.encode() if stdin is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        return SmbResult(-9, out.decode(errors="replace") + f"\n(killed after {timeout} s)")
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return SmbResult(process.returncode, out.decode(errors="replace"))


def processes_of(conf: Path) -> list[int]:
    """The processes whose command line names this smb.conf (smbd, samba-dcerpcd and their helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if str(conf).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def kill_processes_of(conf: Path) -> list[int]:
    """A test's safety net: whatever Samba process of this home is left gets SIGKILL, by PID."""
    left = processes_of(conf)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


# --- a Homeport with Samba ---------------------------------------------------------------------------------


@dataclass
class SambaHomeport:
    """Homeport's services with the embedded smbd on a free loopback port, set up with `alice` as owner."""

    root: Path
    services: Services
    volume: Path
    clients: SmbClients
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return self.clients.port

    @property
    def files(self) -> FileService:
        return self.services.files

    def synced(self, timeout: float = SYNC_TIMEOUT) -> float:
        """Wait for the file service to have applied every commit so far; returns how long that took."""
        started = time.monotonic()
        assert self.services.files.wait_synced(timeout), "the file service did not finish a pass in time"
        return time.monotonic() - started

    def add_user(self, name: str, password: str, groups: tuple[str, ...] = ()) -> None:
        accounts = self.services.accounts
        accounts.create_user(ROOT, accounts.prepare_user(name, password, groups=groups))
        self.passwords[name] = password

    def set_password(self, name: str, password: str, actor: Actor = ROOT) -> None:
        self.services.accounts.set_password(actor, name, password, must_change=False)
        self.passwords[name] = password

    def share(
        self,
        name: str,
        users: dict[str, Access] | None = None,
        groups: dict[str, Access] | None = None,
        folder: str = "",
        **extra: object,
    ) -> Path:
        """A new share on a new folder (named like the share unless given) of the volume; returns the folder."""
        draft = ShareDraft(name=name, volume=self.volume.name, folder=folder or name, users=users or {},
                           groups=groups or {}, **extra)  # type: ignore[arg-type]  # fmt: skip
        state = self.services.shares.create(ROOT, draft)
        return Path(state.path)

    def smb(self, user: str | None, share: str | None, *commands: str, password: str | None = None,
            options: Sequence[str] = ()) -> SmbResult:  # fmt: skip
        """smbclient as `user` with the password Homeport last gave it (or `password`); None: anonymous."""
        secret = password if password is not None else self.passwords.get(user or "", "")
        return self.clients.run(user, secret if user is not None else None, share, *commands, options=options)

    def pdbedit(self, *args: str, stdin: str | None = None) -> str:
        """pdbedit on Homeport's smb.conf with its nss_wrapper accounts, as the file service runs it."""
        result = self.services.files.tools.run("pdbedit", *args, stdin=stdin)
        assert result.code == 0, f"pdbedit {' '.join(args)}: {result.err or result.out}"
        return result.out

    def passdb_names(self) -> set[str]:
        return {line.split(":")[0] for line in self.pdbedit("-L").splitlines() if ":" in line}


def traversable_root(prefix: str = "hp-smb-") -> Path:
    """A temporary folder SMB accounts can walk through (mkdtemp makes 0700; smbd switches to the account)."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    root.chmod(0o755)
    return root


@contextlib.contextmanager
def samba_homeport(
    argon2: Argon2Parameters, *, port: int | None = None, start: bool = True, block_loopback: bool = False
) -> Iterator[SambaHomeport]:
    """A set-up Homeport (device 'nas', owner alice) with its file service started, smbd answering; all stopped
    and removed at the end. Every client here is 127.0.0.1: unless `block_loopback`, it is on the allow list, so
    the tests' many refused sign-ins do not get it auto-blocked (for SMB too) halfway."""
    root = traversable_root()
    clients_folder = private_folder()
    services = None
    try:
        volume = root / "volume1"
        volume.mkdir(mode=0o755)
        home = Home(root / "home")
        home.prepare()
        port = port or free_port()
        options = BuildOptions(
            volumes=(volume,), argon2=argon2, hash_workers=2, smb="embedded", smb_port=port, smb_binds=("127.0.0.1",),
            discovery=False,
        )  # fmt: skip
        services = build_services(home, options, interfaces=StaticInterfaces())
        services.setup.run("nas", OWNER, OWNER_PASSWORD, ROOT)
        if not block_loopback:
            services.settings.change_security(ROOT, {"allow_list": ["127.0.0.0/8"]})
        made = SambaHomeport(root, services, volume, SmbClients(port, clients_folder), {OWNER: OWNER_PASSWORD})
        if start:
            services.files.start()
            assert services.files.server is not None
            assert services.files.server.wait_until_answering(10), services.files.status()
            made.synced()
        yield made
    finally:
        if services is not None:
            services.files.stop()
            kill_processes_of(services.files.layout.conf)
            close_services(services)
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(clients_folder, ignore_errors=True)
