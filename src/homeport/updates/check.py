"""The new release's half of the preflight (`homeport update-check`, run with the new venv's Python): migrate a
copy of the store and check the sign-in invariant there, then verify every canary credential with this release's
own code paths. Answers one JSON object: what failed, and why."""

from __future__ import annotations

import base64
import json
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from homeport.accounts.credentials import NT_HASH_PURPOSE
from homeport.accounts.guardrails import sign_in_problem
from homeport.accounts.nt_hash import nt_hash
from homeport.accounts.passwords import Argon2Parameters, PasswordHasher, can_verify
from homeport.auth.sealing import Sealer, load_or_create_key
from homeport.auth.totp import STEP_SECONDS, matching_step
from homeport.store.migrate import MigrationError, migrate, schema_version
from homeport.store.migrations import MIGRATIONS, Migration
from homeport.system.settings import read_value
from homeport.updates.canaries import CANARY_ORIGIN, CANARY_RP_ID, CANARY_USER_ID, CanaryProblem


def check_release(store_copy: Path, canaries_path: Path, key_path: Path) -> dict[str, Any]:
    """Everything the running release asks of this one; never raises for a failed check, only reports it."""
    problems = _check_store(store_copy, MIGRATIONS)
    canaries = json.loads(canaries_path.read_text())
    problems += verify_canaries(canaries, Sealer(load_or_create_key(key_path)))
    with sqlite3.connect(store_copy) as conn:
        schema = schema_version(conn)
    conn.close()
    return {"ok": not problems, "schema": schema, "problems": [p.as_dict() for p in problems]}


def _check_store(store_copy: Path, migrations: tuple[Migration, ...]) -> list[CanaryProblem]:
    conn = sqlite3.connect(store_copy, isolation_level=None)
    conn.row_factory = sqlite3.Row  # as the store's own connection reads rows
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        with tempfile.TemporaryDirectory(prefix="homeport-check-") as backups:
            migrate(conn, store_copy, Path(backups), migrations, _installed_invariant)
        problem = _installed_invariant(conn)
    except MigrationError as exc:
        # What failed; where the runner put its backup of this throwaway copy does not matter to anyone.
        return [CanaryProblem("migrations", str(exc).split(" The store was ")[0].rstrip("."))]
    except sqlite3.Error as exc:
        return [CanaryProblem("migrations", f"the store copy could not be migrated: {exc}")]
    finally:
        conn.close()
    return [] if problem is None else [CanaryProblem("sign-in invariant", problem)]


def _installed_invariant(conn: sqlite3.Connection) -> str | None:
    state = read_value(conn, "system.state")
    return None if state in (None, "not-installed", "damaged") else sign_in_problem(conn)


def verify_canaries(canaries: dict[str, Any], sealer: Sealer) -> list[CanaryProblem]:
    problems: list[CanaryProblem] = []
    password = str(canaries["password"])
    problems += _argon2(canaries.get("argon2id", []), password)
    problems += _totp(canaries["totp"])
    problems += _passkey(canaries["passkey"])
    problems += _nt_hash(canaries["nt_hash"], password, sealer)
    return problems


def _argon2(entries: list[dict[str, Any]], password: str) -> list[CanaryProblem]:
    problems = []
    hasher = PasswordHasher(Argon2Parameters(), workers=1)
    try:
        for entry in entries:
            m, t, p = entry["params"]
            label = f"Argon2id m={m},t={t},p={p}"
            if not can_verify(entry["hash"]):
                problems.append(CanaryProblem(label, "this release does not recognise the stored hash format"))
            elif not hasher.verify(entry["hash"], password, first=True):
                problems.append(CanaryProblem(label, "this release refused the right password"))
            elif hasher.verify(entry["hash"], password + "x", first=True):
                problems.append(CanaryProblem(label, "this release accepted a wrong password"))
    finally:
        hasher.close()
    return problems


def _totp(canary: dict[str, Any]) -> list[CanaryProblem]:
    for at, code in canary["codes"]:
        if matching_step(canary["secret"], code, float(at)) != int(float(at) // STEP_SECONDS):
            return [CanaryProblem("TOTP", f"this release did not accept the code for the time {at:.0f}")]
    return []


def _passkey(canary: dict[str, Any]) -> list[CanaryProblem]:
    from homeport.auth.passkey_ceremony import Challenge, PasskeyRefused, RelyingParty, verify_assertion

    challenge = Challenge(
        value=base64.b64decode(canary["challenge"]), purpose="canary", rp=RelyingParty(CANARY_RP_ID, CANARY_ORIGIN),
        client="127.0.0.1", expires=time.monotonic() + 60,
    )  # fmt: skip
    try:
        verify_assertion(
            canary["credential"], challenge, base64.b64decode(canary["public_key"]), int(canary["sign_count"]),
            require_uv=True,
        )  # fmt: skip
    except PasskeyRefused as exc:
        return [CanaryProblem("passkey", f"this release refused a valid passkey signature: {exc}")]
    except Exception as exc:  # a stored key this release cannot even parse
        return [CanaryProblem("passkey", f"this release cannot read a stored passkey ({type(exc).__name__})")]
    return []


def _nt_hash(canary: dict[str, Any], password: str, sealer: Sealer) -> list[CanaryProblem]:
    expected = bytes.fromhex(canary["hex"])
    if nt_hash(password) != expected:
        return [CanaryProblem("NT hash", "this release derives another SMB hash from the same password")]
    try:
        opened = sealer.open(base64.b64decode(canary["sealed"]), user_id=CANARY_USER_ID, purpose=NT_HASH_PURPOSE)
    except Exception:
        return [CanaryProblem("NT hash", "this release cannot open a sealed SMB hash with this device's key")]
    if opened != expected:
        return [CanaryProblem("NT hash", "a sealed SMB hash opened to another value")]
    return []
