"""Passkeys and security keys (WebAuthn): several per account, each with a name, used for a sign-in without a
password (a discoverable credential with user verification: two factors in one) or as the second step after one.

A passkey belongs to the name it was registered on (its RP ID, `<label>.local`): renaming the device strands the
passkeys of the old name, so they are kept with it and listed as such. A passwordless answer is throttled before
it is checked, under the account its credential names; its user handle must be that account's (the library
does not check it), and a non-zero signature counter must grow: it is moved with a conditional UPDATE, so two
answers with the same count cannot both pass. Adding or removing one needs a recent proof (the caller checks
it), is audited and forgets the remembered browsers, like any change of sign-in methods.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

import structlog

from homeport.accounts import repository
from homeport.accounts.models import User
from homeport.audit.log import Actor, AuditLog
from homeport.auth.factors import FactorService
from homeport.auth.login import LoginService, Origin, SignIn
from homeport.auth.passkey_ceremony import (
    ENROL,
    PROOF,
    REGISTER,
    SECOND_STEP,
    SIGN_IN,
    Challenge,
    Challenges,
    PasskeyRefused,
    RelyingParty,
    b64url,
    creation_options,
    from_b64url,
    request_options,
    verify_assertion,
    verify_new,
)
from homeport.auth.pending import PASSKEY, Waiting
from homeport.core.clock import Clock
from homeport.core.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from homeport.core.ids import new_token, token_digest
from homeport.core.text import has_direction_controls
from homeport.store.db import Database
from homeport.system.device import SIGNED_IN_STATES, DeviceService

_log = structlog.get_logger("homeport.auth")

PASSKEY_COOKIE = "__Host-homeport_passkey"  # binds a passwordless sign-in's challenge to its browser
USER_HANDLE_BYTES = 32
NAME_MAX = 64
TRANSPORTS = frozenset({"usb", "nfc", "ble", "internal", "hybrid", "smart-card", "cable"})


@dataclass(frozen=True)
class Passkey:
    id: int
    user_id: int
    credential_id: str
    name: str
    rp_id: str
    transports: tuple[str, ...]
    sign_count: int
    created_at: float
    last_used_at: float | None


@dataclass(frozen=True)
class StrandedPasskey:
    """A passkey that a rename leaves on the old name."""

    account: str
    name: str
    rp_id: str


def _passkey(row: sqlite3.Row | tuple[Any, ...]) -> Passkey:
    transports = tuple(t for t in str(row[5]).split(",") if t)
    return Passkey(int(row[0]), int(row[1]), str(row[2]), str(row[3]), str(row[4]), transports, int(row[6]),
                   float(row[7]), None if row[8] is None else float(row[8]))  # fmt: skip


def clean_name(name: str) -> str:
    """A passkey's name as the owner typed it: 1-64 characters, no control or direction characters."""
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise InvalidInput.field("name", f"Give the passkey a name of 1 to {NAME_MAX} characters (e.g. 'Laptop').")
    if has_direction_controls(name) or any(ord(c) < 32 for c in name):
        raise InvalidInput.field("name", "Use letters, digits, spaces and punctuation only.")
    return name


def credential_id_of(credential: dict[str, Any]) -> str:
    found = credential.get("id")
    if not isinstance(found, str) or not found or len(found) > 1400:
        raise PasskeyRefused("its format is wrong")
    return found


class PasskeyService:
    def __init__(
        self, db: Database, clock: Clock, audit: AuditLog, login: LoginService, factors: FactorService,
        device: DeviceService,
    ) -> None:  # fmt: skip
        self._db = db
        self._clock = clock
        self._audit = audit
        self._login = login
        self._factors = factors
        self._device = device
        self.challenges = Challenges(clock)

    # --- what an account has --------------------------------------------------------------------------------

    def list_for(self, user_id: int) -> list[Passkey]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, user_id, credential_id, name, rp_id, transports, sign_count, created_at, last_used_at"
                " FROM passkeys"
                " WHERE user_id = ? ORDER BY created_at, id",
                (user_id,),
            ).fetchall()
        return [_passkey(r) for r in rows]

    def registered_on(self, rp_id: str) -> list[StrandedPasskey]:
        """Every account's passkeys of the name `rp_id`: those a rename of the device leaves behind."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT u.name, p.name, p.rp_id FROM passkeys p JOIN users u ON u.id = p.user_id"
                " WHERE p.rp_id = ? ORDER BY u.name, p.created_at",
                (rp_id.lower(),),
            ).fetchall()
        return [StrandedPasskey(str(r[0]), str(r[1]), str(r[2])) for r in rows]

    # --- registration (the caller has checked a recent password) ---------------------------------------------

    def begin_registration(self, user: User, rp: RelyingParty, key: str, client: str) -> dict[str, Any]:
        return self._creation(user, rp, key, client, REGISTER)

    def finish_registration(
        self, user: User, rp: RelyingParty, key: str, name: str, credential: dict[str, Any], actor: Actor
    ) -> tuple[Passkey, list[str] | None]:
        """The new passkey is kept; with new recovery codes when it is the account's first factor."""
        name = clean_name(name)
        challenge = self.challenges.take(key, REGISTER, rp, actor.client)
        passkey_id, codes = self._keep(user, challenge, name, credential, actor)
        return next(p for p in self.list_for(user.id) if p.id == passkey_id), codes

    def rename(self, user: User, passkey_id: int, name: str, actor: Actor) -> None:
        name = clean_name(name)
        with self._db.write() as conn:
            if not conn.execute(
                "UPDATE passkeys SET name = ? WHERE id = ? AND user_id = ?", (name, passkey_id, user.id)
            ).rowcount:
                raise NotFound("You have no passkey with this number.", code="passkey_not_found")
            self._audit.record(conn, "auth.passkey_renamed", actor, target=user.name, passkey=name)

    def remove(self, user: User, passkey_id: int, actor: Actor) -> None:
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT name FROM passkeys WHERE id = ? AND user_id = ?", (passkey_id, user.id)
            ).fetchone()
            if row is None:
                raise NotFound("You have no passkey with this number.", code="passkey_not_found")
            conn.execute("DELETE FROM passkeys WHERE id = ?", (passkey_id,))
            self._factors.drop_codes_if_no_factor(conn, user.id)
            self._changed(conn, user, actor, "auth.passkey_removed", str(row[0]))

    # --- a sign-in without a password ----------------------------------------------------------------------

    def begin_passwordless(self, rp: RelyingParty, client: str) -> tuple[str, dict[str, Any]]:
        """A challenge for this browser (the returned token goes in its PASSKEY_COOKIE) that any passkey of this
        device's name may answer: the authenticator offers the ones it has."""
        self._ready()
        token = new_token()
        challenge = self.challenges.new(_browser_key(token), SIGN_IN, rp, client)
        return token, request_options(challenge, [], "required")

    def finish_passwordless(
        self, rp: RelyingParty, token: str | None, credential: dict[str, Any], origin: Origin
    ) -> SignIn:
        self._ready()
        found = self._find(credential_id_of(credential))
        user = found.user if found else None
        account = user.name if user else ""
        self._login.admit_passkey(account, origin)  # before any work on the answer
        try:
            if not token or len(token) > 100:
                raise PasskeyRefused("it answers no request of this browser (or one answered already)")
            challenge = self.challenges.take(_browser_key(token), SIGN_IN, rp, origin.address)
            if found is None or user is None:
                raise PasskeyRefused("this device does not know it (it may have been removed)")
            _check_handle(credential, found.user_handle, required=True)
            self._refuse_suspended(user.id)
            self._use(found, challenge, credential, require_uv=True)
        except PasskeyRefused as exc:
            self._login.passkey_failed(account, origin, exc.reason)
            self._note_counter(exc, account, origin)
            raise
        except Exception:
            self._login.attempt_ended(account, origin)
            raise
        return self._login.passwordless(user, origin, PASSKEY)

    # --- proof of who is signed in, instead of typing the password again --------------------------------------

    def begin_proof(self, user: User, session_id: str, rp: RelyingParty, client: str) -> dict[str, Any]:
        """A challenge any of the account's passkeys on this name answers, with user verification required (a
        passkey then proves as much as the password would)."""
        mine = [p for p in self.list_for(user.id) if p.rp_id == rp.rp_id]
        if not mine:
            raise Conflict("You have no passkey for this address; enter your password instead.", code="no_passkey")
        challenge = self.challenges.new(session_key(session_id), PROOF, rp, client, user.id)
        return request_options(challenge, [(p.credential_id, list(p.transports)) for p in mine], "required")

    def finish_proof(
        self, user: User, session_id: str, rp: RelyingParty, credential: dict[str, Any], origin: Origin
    ) -> None:
        """The answer: counted like a password when it fails; on success the session may change its sign-in
        methods for 5 minutes (LoginService.prove)."""
        self._ready()
        self._login.admit_passkey(user.name, origin)
        try:
            challenge = self.challenges.take(session_key(session_id), PROOF, rp, origin.address)
            found = self._find(credential_id_of(credential))
            if found is None or found.user.id != user.id:
                raise PasskeyRefused("it is not one of your passkeys")
            _check_handle(credential, found.user_handle, required=False)
            self._refuse_suspended(user.id)
            self._use(found, challenge, credential, require_uv=True)
        except PasskeyRefused as exc:
            self._login.passkey_failed(user.name, origin, exc.reason)
            self._note_counter(exc, user.name, origin)
            raise
        except Exception:
            self._login.attempt_ended(user.name, origin)
            raise
        self._login.proved_by_passkey(user, origin, session_id)

    # --- the second step after a password, and the enrolment a policy asks for ----------------------------------

    def begin_second_step(self, waiting: Waiting, rp: RelyingParty, client: str) -> dict[str, Any]:
        if PASSKEY not in waiting.methods:
            raise Conflict("This account has no passkey; use one of its other methods.", code="no_passkey")
        mine = [p for p in self.list_for(waiting.user_id) if p.rp_id == rp.rp_id]
        if not mine:
            names = ", ".join(sorted({p.rp_id for p in self.list_for(waiting.user_id)})) or "another name"
            raise Conflict(
                f"Your passkeys were registered on {names}, not on {rp.rp_id}: open the console there, or use "
                "another method.",
                code="passkey_other_name",
            )
        challenge = self.challenges.new(_waiting_key(waiting), SECOND_STEP, rp, client, waiting.user_id)
        return request_options(challenge, [(p.credential_id, list(p.transports)) for p in mine], "preferred")

    def finish_second_step(
        self, waiting: Waiting, rp: RelyingParty, credential: dict[str, Any], origin: Origin, remember: bool
    ) -> SignIn:
        if PASSKEY not in waiting.methods:
            raise Conflict("This account has no passkey; use one of its other methods.", code="no_passkey")
        self._login.admit_second_step(waiting, origin)
        try:
            challenge = self.challenges.take(_waiting_key(waiting), SECOND_STEP, rp, origin.address)
            found = self._find(credential_id_of(credential))
            if found is None or found.user.id != waiting.user_id:
                raise PasskeyRefused("it is not one of this account's passkeys")
            _check_handle(credential, found.user_handle, required=False)
            self._use(found, challenge, credential, require_uv=False)
        except PasskeyRefused as exc:
            self._login.second_step_failed(waiting, origin, PASSKEY)
            self._note_counter(exc, waiting.account, origin)
            raise
        except Exception:
            self._login.attempt_ended(waiting.account, origin)
            raise
        return self._login.finish(waiting, origin, PASSKEY, remember=remember)

    def begin_enrolment(self, waiting: Waiting, rp: RelyingParty, client: str) -> dict[str, Any]:
        user = self._enrolling(waiting)
        return self._creation(user, rp, _waiting_key(waiting), client, ENROL)

    def finish_enrolment(
        self, waiting: Waiting, rp: RelyingParty, name: str, credential: dict[str, Any], origin: Origin
    ) -> SignIn:
        user = self._enrolling(waiting)
        name = clean_name(name)
        self._login.admit_second_step(waiting, origin)
        actor = Actor(user.name, origin.address)
        try:
            challenge = self.challenges.take(_waiting_key(waiting), ENROL, rp, origin.address)
            _, codes = self._keep(user, challenge, name, credential, actor)
        except PasskeyRefused:
            self._login.second_step_failed(waiting, origin, PASSKEY)
            raise
        except Exception:  # a passkey already registered (Conflict), or anything unexpected: nothing counted
            self._login.attempt_ended(waiting.account, origin)
            raise
        return self._login.enrolled(waiting, origin, PASSKEY, codes)

    # --- the parts --------------------------------------------------------------------------------------------

    def _refuse_suspended(self, user_id: int) -> None:
        """A reset suspended the account's factors: its passkeys do not sign in by themselves until they are
        turned back on (the password does, meanwhile)."""
        if self._factors.summary(user_id).suspended:
            raise PasskeyRefused(
                "a reset suspended this account's sign-in methods: sign in with the password, then turn them back "
                "on under My account > Sign-in methods"
            )

    def _ready(self) -> None:
        state = self._device.state()
        if state not in SIGNED_IN_STATES:
            raise Conflict(f"The device is '{state}'; finish the setup wizard first.", code="not_ready")

    def _enrolling(self, waiting: Waiting) -> User:
        if not waiting.must_enrol:
            raise Conflict("This sign-in needs no setup; use one of its methods.", code="no_enrolment")
        with self._db.read() as conn:
            user = repository.find_user_by_id(conn, waiting.user_id)
        if user is None:
            raise Unauthenticated(
                "This sign-in waited too long. Enter your password again.", code="second_step_expired"
            )
        return user

    def _creation(self, user: User, rp: RelyingParty, key: str, client: str, purpose: str) -> dict[str, Any]:
        handle = self.user_handle(user.id)
        exclude = [p.credential_id for p in self.list_for(user.id) if p.rp_id == rp.rp_id]
        challenge = self.challenges.new(key, purpose, rp, client, user.id)
        return creation_options(challenge, handle, user.name, user.full_name, exclude)

    def user_handle(self, user_id: int) -> bytes:
        """The account's WebAuthn user handle: 32 random bytes, made at its first passkey (never its number)."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE users SET user_handle = ? WHERE id = ? AND user_handle IS NULL",
                (b64url(secrets.token_bytes(USER_HANDLE_BYTES)), user_id),
            )
            row = conn.execute("SELECT user_handle FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise NotFound("This account no longer exists.", code="user_not_found")
        return from_b64url(str(row[0]))

    def _keep(
        self, user: User, challenge: Challenge, name: str, credential: dict[str, Any], actor: Actor
    ) -> tuple[int, list[str] | None]:
        if challenge.user_id != user.id:
            raise PasskeyRefused("it answers a request made for another account")
        new = verify_new(credential, challenge)
        transports = _transports(credential)
        with self._db.write() as conn:
            try:
                cursor = conn.execute(
                    "INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, name, rp_id, transports,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (user.id, new.credential_id, new.public_key, new.sign_count, name, challenge.rp.rp_id,
                     ",".join(transports), self._clock.now()),
                )  # fmt: skip
            except sqlite3.IntegrityError:
                raise Conflict("This passkey is registered already.", code="passkey_exists") from None
            codes = self._factors.first_factor_added(conn, user.id)
            self._changed(conn, user, actor, "auth.passkey_added", name)
        return int(cursor.lastrowid or 0), codes

    def _find(self, credential_id: str) -> _Stored | None:
        with self._db.read() as conn:
            row = conn.execute(
                "SELECT p.id, p.user_id, p.credential_id, p.name, p.rp_id, p.transports, p.sign_count, p.created_at,"
                " p.last_used_at, p.public_key, u.user_handle FROM passkeys p JOIN users u ON u.id = p.user_id"
                " WHERE p.credential_id = ?",
                (credential_id,),
            ).fetchone()
            user = repository.find_user_by_id(conn, int(row[1])) if row is not None else None
        if row is None or user is None:
            return None
        return _Stored(_passkey(row), user, bytes(row[9]), None if row[10] is None else str(row[10]))

    def _use(self, found: _Stored, challenge: Challenge, credential: dict[str, Any], *, require_uv: bool) -> None:
        passkey = found.passkey
        if passkey.rp_id != challenge.rp.rp_id:
            raise PasskeyRefused(f"it was registered on {passkey.rp_id}; open the console there")
        checked = verify_assertion(credential, challenge, found.public_key, passkey.sign_count, require_uv=require_uv)
        with self._db.write() as conn:
            moved = conn.execute(
                "UPDATE passkeys SET sign_count = ?, last_used_at = ? WHERE id = ? AND sign_count = ?",
                (checked.sign_count, self._clock.now(), passkey.id, passkey.sign_count),
            ).rowcount
        if not moved:
            raise PasskeyRefused("it was used twice at the same time")

    def _note_counter(self, exc: PasskeyRefused, account: str, origin: Origin) -> None:
        if exc.counter:
            _log.warning("passkey signature counter went backwards", account=account, client=origin.address)
            self._audit.record_now(
                "auth.passkey_cloned", Actor(account, origin.address), target=account, outcome="failure"
            )

    def _changed(self, conn: sqlite3.Connection, user: User, actor: Actor, action: str, name: str) -> None:
        """As FactorService's changes: no remembered browser skips the new state; the log says who did it."""
        self._factors.remembered.forget_all(conn, user.id)
        self._audit.record(conn, action, actor, target=user.name, passkey=name)


@dataclass(frozen=True)
class _Stored:
    """A credential as stored, with its account and that account's user handle."""

    passkey: Passkey
    user: User
    public_key: bytes
    user_handle: str | None


def _check_handle(credential: dict[str, Any], stored: str | None, *, required: bool) -> None:
    """The user handle the authenticator returned must be the account's (py_webauthn leaves this to us)."""
    response = credential.get("response")
    sent = response.get("userHandle") if isinstance(response, dict) else None
    if not sent:
        if required:
            raise PasskeyRefused("it is not a passkey this browser can sign in with alone (no user handle)")
        return
    if stored is None or not secrets.compare_digest(str(sent).rstrip("=").encode(), stored.encode()):
        raise PasskeyRefused("it names another account than the one it is registered to")


def _browser_key(token: str) -> str:
    return "browser:" + token_digest(token)


def _waiting_key(waiting: Waiting) -> str:
    return "waiting:" + waiting.digest


def session_key(session_id: str) -> str:
    return "session:" + session_id


def _transports(credential: dict[str, Any]) -> list[str]:
    response = credential.get("response")
    found = response.get("transports") if isinstance(response, dict) else None
    if not isinstance(found, list):
        return []
    return sorted({t for t in found if isinstance(t, str) and t in TRANSPORTS})
