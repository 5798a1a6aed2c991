"""Checks of the accounts: enough administrators, the built-in admin, second factors, stale and unused
credentials."""

from __future__ import annotations

from homeport.accounts.guardrails import can_sign_in_as_admin
from homeport.advisor.factor_facts import NO_FACTORS
from homeport.advisor.findings import DAY, Check, Facts, Outcome, administrators, names, page_of, people

UNUSED_DAYS = 90
PENDING_CHANGE_DAYS = 7
STALE_PASSKEY_DAYS = 180
MIN_RECOVERY_CODES = 3


METHODS_PAGE = "/account/sign-in-methods"


def two_administrators(facts: Facts) -> Outcome:
    working = [u for u in facts.users if can_sign_in_as_admin(u) and not u.builtin]
    if len(working) >= 2:
        return Outcome("pass", f"{names(working)} can sign in as administrators, so one can help another.")
    if working:
        return Outcome(
            "warn",
            f"Only {working[0].name} can sign in as an administrator: make a second account "
            "an administrator, so a forgotten password does not need the reset button.",
        )
    return Outcome(
        "fail",
        "None of your administrators can sign in with a password: set one on an "
        "administrator's page, or hold the reset button for a Mode 1 recovery.",
    )


def builtin_admin_disabled(facts: Facts) -> Outcome:
    admin = next((u for u in facts.users if u.builtin), None)
    if admin is None or not admin.enabled:
        return Outcome("pass", "The built-in admin cannot sign in; only the reset button brings it back.")
    return Outcome(
        "fail",
        "The built-in admin is enabled, and 'admin' is the first name attackers try: sign in "
        "with your own administrator and untick Enabled on its page.",
    )


def admin_second_factor(facts: Facts) -> Outcome:
    admins = administrators(facts)
    suspended = [u for u in admins if facts.factors.get(u.id, NO_FACTORS).suspended]
    without = [u for u in admins if not facts.factors.get(u.id, NO_FACTORS).has_second_factor]
    if not without:
        return Outcome("pass", "Every administrator has a one-time code app or a passkey.")
    note = f" ({names(suspended)}: suspended by a reset; turn them back on)" if suspended else ""
    return Outcome(
        "warn",
        f"{names(without)} can sign in as an administrator with a password alone{note}: each "
        "should add a one-time code app or a passkey on their account page.",
    )


def recovery_codes_left(facts: Facts) -> Outcome:
    protected = [u for u in administrators(facts) if facts.factors.get(u.id, NO_FACTORS).has_second_factor]
    if not protected:
        return Outcome("info", "No administrator has a second factor yet, so there are no recovery codes to count.")
    short = [u for u in protected if facts.factors[u.id].recovery_codes_left < MIN_RECOVERY_CODES]
    if not short:
        return Outcome(
            "pass", f"Every administrator with a second factor has {MIN_RECOVERY_CODES} or more recovery codes left."
        )
    counts = ", ".join(f"{u.name}: {facts.factors[u.id].recovery_codes_left}" for u in short[:3])
    return Outcome(
        "warn",
        f"Few recovery codes are left ({counts}): make new ones on the account page and keep "
        "them apart from the phone, or a lost phone means the reset button.",
    )


def stale_passkeys(facts: Facts) -> Outcome:
    limit = facts.now - STALE_PASSKEY_DAYS * DAY
    old = [p for p in facts.passkeys if p.last_used_at < limit]
    foreign = [p for p in facts.passkeys if p.rp_id.lower() != facts.host.lower()]
    if not old and not foreign:
        return Outcome("pass", f"Every passkey is for {facts.host} and was used in the last {STALE_PASSKEY_DAYS} days.")
    found = [*old, *(p for p in foreign if p not in old)]
    shown = ", ".join(f"'{p.name}'" for p in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
    reasons = [f"unused for {STALE_PASSKEY_DAYS} days"] if old else []
    reasons += [f"made for another name than {facts.host}"] if foreign else []
    why = " or ".join(reasons)
    return Outcome(
        "warn",
        f"Passkeys {shown} are {why}: remove those nobody uses (a lost key still signs in) "
        "and register again after renaming the device.",
    )


def email_for_notices(facts: Facts) -> Outcome:
    without = [u for u in administrators(facts) if not u.email.strip()]
    if not without:
        return Outcome("pass", "Every administrator has an email address for notices of resets and sign-in changes.")
    return Outcome(
        "warn",
        f"{names(without)} has no email address, so notices (a reset, a changed sign-in "
        "method) cannot reach them: add one on the account's page.",
        page_of(without),
    )


def unused_accounts(facts: Facts) -> Outcome:
    limit = facts.now - UNUSED_DAYS * DAY
    idle = [u for u in people(facts) if facts.last_used.get(u.id, u.created_at) < limit]
    if not idle:
        return Outcome("pass", f"Every enabled account has been used in the last {UNUSED_DAYS} days.")
    return Outcome(
        "warn",
        f"{names(idle)} has not signed in for {UNUSED_DAYS} days or more: disable accounts "
        "nobody uses, so their passwords cannot be guessed unnoticed.",
        page_of(idle),
    )


def password_change_pending(facts: Facts) -> Outcome:
    limit = facts.now - PENDING_CHANGE_DAYS * DAY
    waiting = [u for u in people(facts) if u.must_change_password and (u.password_changed_at or u.created_at) < limit]
    if not waiting:
        return Outcome(
            "pass", f"No account has kept a password an administrator gave it for over {PENDING_CHANGE_DAYS} days."
        )
    return Outcome(
        "warn",
        f"{names(waiting)} still has the password an administrator gave over "
        f"{PENDING_CHANGE_DAYS} days ago, which whoever saw it can use: set a new one or disable "
        "the account.",
        page_of(waiting, "#set-password"),
    )


def awaiting_password(facts: Facts) -> Outcome:
    waiting = [u for u in people(facts) if u.awaits_password]
    if not waiting:
        return Outcome("pass", "Every enabled account has a password.")
    return Outcome(
        "warn",
        f"{names(waiting)} came back from a configuration backup without a password and "
        "cannot sign in: set one and tell them.",
        page_of(waiting, "#set-password"),
    )


ACCOUNT_CHECKS = (
    Check("two_administrators", "At least two administrators who can sign in", "/users", two_administrators),
    Check("builtin_admin_disabled", "The built-in admin is disabled", "/users/admin", builtin_admin_disabled),
    Check("admin_second_factor", "Administrators have a second factor", METHODS_PAGE, admin_second_factor),
    Check("recovery_codes_left", "Recovery codes left", METHODS_PAGE, recovery_codes_left),
    Check("stale_passkeys", "No stale passkeys", METHODS_PAGE, stale_passkeys),
    Check("email_for_notices", "Administrators have an email address for notices", "/users", email_for_notices),
    Check("unused_accounts", f"No account unused for {UNUSED_DAYS} days", "/users", unused_accounts),
    Check("password_change_pending", "Given passwords are changed", "/users", password_change_pending),
    Check("awaiting_password", "Restored accounts have a password", "/users", awaiting_password),
)
