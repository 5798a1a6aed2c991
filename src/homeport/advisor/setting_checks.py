"""Checks of the security settings against security-baseline.md (ASVS 5.0 V6 and V7, NIST SP 800-63B)."""

from __future__ import annotations

from homeport.accounts.policy import DEFAULT_MIN_LENGTH
from homeport.advisor.findings import Check, Facts, Outcome, Verdict

BASELINE_MIN_LENGTH = 8  # ASVS 6.2.1
IDLE_MINUTES = (30, 120)  # pass up to the first, warn up to the second, fail beyond (baseline default: 15)
LIFETIME_HOURS = (12, 24)  # ASVS 7.3.2, baseline default 12 h
RECOVERY_WINDOW_MINUTES = 30  # the default; longer keeps the empty-password sign-in open longer
NARROW_PROXY_PREFIX = {4: 24, 6: 64}
WIDE_ALLOW_PREFIX = {4: 16, 6: 48}


def _on(name: str) -> str:
    return f"/security#f-{name}"


def auto_block(facts: Facts) -> Outcome:
    if facts.security.auto_block_enabled:
        return Outcome("pass", "Addresses that keep failing to sign in are blocked for a while.")
    if facts.device_state == "recovery":
        return Outcome(
            "warn",
            "Auto block is off while the recovery window is open; it comes back on when the "
            "window closes, or turn it on now.",
        )
    return Outcome(
        "fail", "Auto block is off, so an address may guess passwords without being blocked: tick Auto block addresses."
    )


def password_length(facts: Facts) -> Outcome:
    length = facts.security.password_min_length
    if length >= DEFAULT_MIN_LENGTH:
        return Outcome("pass", f"New passwords need at least {length} characters.")
    verdict: Verdict = "fail" if length < BASELINE_MIN_LENGTH else "warn"
    return Outcome(
        verdict,
        f"New passwords need only {length} characters: ask for at least {DEFAULT_MIN_LENGTH} "
        "(length, not symbols, is what makes them hard to guess).",
    )


def session_idle(facts: Facts) -> Outcome:
    minutes = facts.security.session_idle_minutes
    low, high = IDLE_MINUTES
    if minutes <= low:
        return Outcome("pass", f"A console left alone signs out after {minutes} minutes.")
    return Outcome(
        "warn" if minutes <= high else "fail",
        f"A console left alone stays signed in for {minutes} minutes: choose {low} or fewer (15 is the "
        "baseline), so a forgotten browser tab does not stay open to whoever sits down.",
    )


def session_lifetime(facts: Facts) -> Outcome:
    hours = facts.security.session_absolute_hours
    low, high = LIFETIME_HOURS
    if hours <= low:
        return Outcome("pass", f"Every session ends after {hours} hours at most, however active.")
    return Outcome(
        "warn" if hours <= high else "fail",
        f"A busy session lasts up to {hours} hours: choose {low} or fewer, so a stolen session cookie "
        "stops working the same day.",
    )


def recovery_window(facts: Facts) -> Outcome:
    minutes = facts.security.recovery_window_minutes
    if minutes <= RECOVERY_WINDOW_MINUTES:
        return Outcome("pass", f"After a Mode 1 reset the empty-password sign-in stays open {minutes} minutes.")
    return Outcome(
        "warn",
        f"After a Mode 1 reset the empty-password sign-in stays open {minutes} minutes: "
        f"{RECOVERY_WINDOW_MINUTES} are enough to set a new password.",
    )


def recovery_confirmation(facts: Facts) -> Outcome:
    if facts.security.recovery_button_confirmation:
        return Outcome("pass", "A recovery sign-in waits for a short press of the reset button.")
    return Outcome(
        "fail",
        "A recovery sign-in does not wait for a press of the reset button, so anyone on the "
        "LAN may take the recovery window: tick the confirmation box.",
    )


def allow_list(facts: Facts) -> Outcome:
    everyone = facts.security.allows_everyone()
    if everyone:
        return Outcome(
            "fail",
            f"The allow list holds {', '.join(everyone)}, which turns auto block off for every "
            "address: list your own devices or LAN instead.",
        )
    wide = [str(n) for n in facts.security.allow_networks if n.prefixlen < WIDE_ALLOW_PREFIX[n.version]]
    if wide:
        return Outcome(
            "warn",
            f"The allow list holds {', '.join(wide)}, wider than a home network: addresses "
            "there are never blocked, so narrow it to your LAN.",
        )
    return Outcome("pass", "The allow list exempts only narrow networks (or none) from auto block.")


def trusted_proxies(facts: Facts) -> Outcome:
    wide = [str(n) for n in facts.security.proxy_networks if n.prefixlen < NARROW_PROXY_PREFIX[n.version]]
    if wide:
        return Outcome(
            "warn",
            f"Every address in {', '.join(wide)} may name the client it forwards for: list only "
            "your reverse proxy's own address.",
        )
    if not facts.security.trusted_proxies:
        return Outcome("pass", "No reverse proxy is trusted, so no header can change a client's address.")
    return Outcome("pass", "Only narrow networks may name the client in a forwarding header.")


SETTING_CHECKS = (
    Check("auto_block", "Auto block is on", _on("auto_block_enabled"), auto_block),
    Check("password_length", "Passwords of 12 characters or more", _on("password_min_length"), password_length),
    Check("session_idle", "Idle sessions end soon", _on("session_idle_minutes"), session_idle),
    Check("session_lifetime", "Sessions end within 12 hours", _on("session_absolute_hours"), session_lifetime),
    Check("recovery_window", "A short recovery window", _on("recovery_window_minutes"), recovery_window),
    Check(
        "recovery_confirmation",
        "Recovery needs a press of the button",
        _on("recovery_button_confirmation"),
        recovery_confirmation,
    ),
    Check("allow_list", "The allow list does not cover everyone", _on("allow_list"), allow_list),
    Check("trusted_proxies", "Only a narrow reverse proxy is trusted", _on("trusted_proxies"), trusted_proxies),
)
