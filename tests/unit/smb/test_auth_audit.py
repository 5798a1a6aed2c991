"""SMB sign-ins as Samba's JSON authentication audit reports them: failures in the log with their reason, counted
toward auto block, retries of an old saved password told apart, a flood of retries not flooding the log."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from homeport.audit.log import AuditLog
from homeport.services import Services
from homeport.smb.auth_audit import SmbSignIns, client_address
from tests.support.clock import FakeClock

CHANGED_AT = 1_796_000_000.0  # bob's password changed then


def event(status: str, account: str, address: str, at: float) -> str:
    stamp = f"{datetime.fromtimestamp(at, UTC):%Y-%m-%dT%H:%M:%S.%f}+0000"
    body = {"status": status, "clientAccount": account, "remoteAddress": address, "passwordType": "NTLMv2"}
    return "  " + json.dumps({"timestamp": stamp, "type": "Authentication", "Authentication": body}) + "\n"


@pytest.fixture
def audit(services: Services, clock: FakeClock) -> AuditLog:
    return AuditLog(services.db, clock)


class Reader:
    def __init__(self, tmp_path: Path, audit: AuditLog, clock: FakeClock) -> None:
        self.auth = tmp_path / "auth.json"
        self.log = tmp_path / "smbd.log"
        self.counted: list[str] = []
        known = {"bob": CHANGED_AT, "alice": 0.0}
        self.sign_ins = SmbSignIns(self.auth, self.log, audit, known.get, self.counted.append, clock.now)

    def write(self, *lines: str, to: Path | None = None) -> None:
        with (to or self.auth).open("a") as out:
            out.writelines(lines)


@pytest.fixture
def reader(tmp_path: Path, audit: AuditLog, clock: FakeClock) -> Reader:
    return Reader(tmp_path, audit, clock)


def smb_records(audit: AuditLog) -> list[tuple[str, str, str, dict[str, object]]]:
    return [(r.actor, r.client, r.target, r.detail) for r in audit.query(action="smb.sign_in")]


def test_samba_addresses_are_read_as_addresses() -> None:
    assert client_address("ipv4:192.168.1.20:52946") == "192.168.1.20"
    assert client_address("ipv6:fe80::1:52946") == "fe80::1"
    assert client_address("ipv6:::ffff:10.0.0.5:445") == "10.0.0.5"
    assert client_address("unix:/run/x") == "" and client_address("garbage") == ""


def test_failures_are_logged_with_their_reason_and_counted_toward_auto_block(reader: Reader, audit: AuditLog) -> None:
    reader.write(
        event("NT_STATUS_WRONG_PASSWORD", "alice", "ipv4:10.211.0.50:40000", CHANGED_AT),
        event("NT_STATUS_ACCOUNT_DISABLED", "Bob", "ipv4:10.211.0.51:40001", CHANGED_AT),
        event("NT_STATUS_NO_SUCH_USER", "mallory", "ipv4:10.211.0.52:40002", CHANGED_AT),
        event("NT_STATUS_NO_SUCH_USER", "my secret p4ss!", "ipv4:10.211.0.52:40003", CHANGED_AT),
        event("NT_STATUS_NO_SUCH_USER", "my secret p4ss!", "ipv4:10.211.0.53:40004", CHANGED_AT),
        event("NT_STATUS_OK", "alice", "ipv4:10.211.0.50:40004", CHANGED_AT),
    )
    failures = reader.sign_ins.read_new()
    assert [(f.account, f.address, f.reason) for f in failures] == [
        ("alice", "10.211.0.50", "wrong password"),
        ("bob", "10.211.0.51", "account disabled"),
        ("mallory", "10.211.0.52", "unknown account"),
        ("my secret p4ss!", "10.211.0.52", "unknown account"),
        ("my secret p4ss!", "10.211.0.53", "unknown account"),
    ]
    assert reader.counted == ["10.211.0.50", "10.211.0.51", "10.211.0.52", "10.211.0.52", "10.211.0.53"]
    records = smb_records(audit)
    assert ("alice", "10.211.0.50", "alice") in [r[:3] for r in records]
    unknown = [r for r in records if r[1] in ("10.211.0.52", "10.211.0.53")]
    # Names that are no account are one record a minute per address (a flood of invented names is one), and
    # a name is shown only when it looks like one, never what may be a typed password.
    assert sorted((r[1], r[3].get("tried")) for r in unknown) == [("10.211.0.52", "mallory"), ("10.211.0.53", None)]
    assert all(r[0] == "" and r[2] == "" for r in unknown)


def test_a_client_retrying_an_old_saved_password_is_told_apart(reader: Reader, clock: FakeClock) -> None:
    reader.write(event("NT_STATUS_OK", "bob", "ipv4:10.211.0.60:1", CHANGED_AT - 3600))  # before the change
    reader.write(event("NT_STATUS_OK", "bob", "ipv4:10.211.0.61:1", CHANGED_AT + 10))  # the new one, elsewhere
    reader.sign_ins.read_new()
    for n in range(3):
        reader.write(event("NT_STATUS_WRONG_PASSWORD", "bob", "ipv4:10.211.0.60:2", CHANGED_AT + 60 + n))
        reader.write(event("NT_STATUS_WRONG_PASSWORD", "bob", "ipv4:10.211.0.62:2", CHANGED_AT + 60 + n))
    failures = reader.sign_ins.read_new()
    assert [f.old_password for f in failures if f.address == "10.211.0.60"] == [True, True, True]
    assert not any(f.old_password for f in failures if f.address == "10.211.0.62")  # never signed in there
    [stale] = reader.sign_ins.stale_clients()
    assert (stale.account, stale.address, stale.failures) == ("bob", "10.211.0.60", 3)
    # Once that device has the new password, it is no longer listed.
    reader.write(event("NT_STATUS_OK", "bob", "ipv4:10.211.0.60:3", CHANGED_AT + 120))
    reader.sign_ins.read_new()
    assert reader.sign_ins.stale_clients() == []


def test_retries_are_counted_but_logged_once_a_minute(reader: Reader, audit: AuditLog, clock: FakeClock) -> None:
    for n in range(20):
        reader.write(event("NT_STATUS_WRONG_PASSWORD", "alice", "ipv4:10.211.0.70:9", CHANGED_AT + n))
    reader.sign_ins.read_new()
    assert len(reader.counted) == 20 and len(smb_records(audit)) == 1
    reader.write(event("NT_STATUS_WRONG_PASSWORD", "alice", "ipv4:10.211.0.70:9", CHANGED_AT + 90))
    reader.sign_ins.read_new()
    [newest, _] = smb_records(audit)
    assert newest[3]["repeats_since_last_record"] == 19


def test_a_share_refused_is_logged_for_the_account_with_its_address(reader: Reader, audit: AuditLog) -> None:
    reader.write(event("NT_STATUS_OK", "alice", "ipv4:10.211.0.80:5", CHANGED_AT))
    reader.write(
        "[2026/12/01 00:31:39.009450,  1] ../../source3/smbd/smb2_service.c:364(create_connection_session_info)\n"
        "  create_connection_session_info: user 'alice' (from session setup) not permitted to access this share "
        "(Photos)\n",
        to=reader.log,
    )
    reader.sign_ins.read_new()
    [record] = smb_records(audit)
    assert record[:3] == ("alice", "10.211.0.80", "alice")
    assert record[3]["reason"] == "no access to the shared folder Photos"


def test_partial_lines_wait_and_a_rotated_file_is_read_from_its_start(reader: Reader) -> None:
    line = event("NT_STATUS_WRONG_PASSWORD", "alice", "ipv4:10.211.0.90:1", CHANGED_AT)
    reader.write(line[:40])
    assert reader.sign_ins.read_new() == []
    reader.write(line[40:])
    assert len(reader.sign_ins.read_new()) == 1
    reader.auth.rename(reader.auth.with_suffix(".json.old"))  # as Samba rotates it: aside, and a new file
    reader.auth.write_text(event("NT_STATUS_WRONG_PASSWORD", "alice", "ipv4:10.211.0.91:1", CHANGED_AT))
    [failure] = reader.sign_ins.read_new()  # Samba moved the old file aside and began a new one
    assert failure.address == "10.211.0.91"
    reader.write("not json at all\n", '{"type": "Authorization"}\n')
    assert reader.sign_ins.read_new() == []


def test_a_device_retrying_an_old_saved_password_does_not_get_its_address_blocked_at_once(reader: Reader) -> None:
    """A mapped drive retrying the old password must not block its owner's address (the console included);
    past a generous number of retries it counts again, like any guessing."""
    from homeport.smb.auth_audit import OLD_PASSWORD_FORGIVEN

    reader.write(event("NT_STATUS_OK", "bob", "ipv4:10.211.0.95:1", CHANGED_AT - 60))
    for n in range(OLD_PASSWORD_FORGIVEN + 3):
        reader.write(event("NT_STATUS_WRONG_PASSWORD", "bob", "ipv4:10.211.0.95:2", CHANGED_AT + n))
    reader.sign_ins.read_new()
    assert reader.counted == ["10.211.0.95"] * 3
