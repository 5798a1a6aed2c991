"""Checks of the device: its ports, HTTPS certificate, clock, and a reset report left unread."""

from __future__ import annotations

import datetime

from homeport.advisor.findings import DAY, Check, Facts, Outcome, days
from homeport.network.model import DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT

CERTIFICATE_WARN_DAYS = 30  # the TLS manager renews this long before expiry, at start or on a change
# A clock before this day is wrong: a flat clock battery starts in 1970 or at the board's build date.
EARLIEST_PLAUSIBLE = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC).timestamp()
CLOCK_SLACK_SECONDS = 300.0  # the log may be a little ahead of a clock that NTP has just stepped back

# Where the advisor page explains a fix that has no setting of its own.
INSTALL_CA = "/advisor#install-ca"
TIME_SYNC = "/advisor#time-sync"
CERTIFICATE_HELP = "/advisor#certificate"


def _day(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%Y-%m-%d")


def default_web_ports(facts: Facts) -> Outcome:
    ports = facts.web_ports
    if ports.http != DEFAULT_HTTP_PORT and ports.https != DEFAULT_HTTPS_PORT:
        return Outcome("pass", f"The console uses ports {ports.http} and {ports.https}, not the well-known ones.")
    return Outcome(
        "info",
        f"The console uses the well-known ports {ports.http}/{ports.https}, which scanners try "
        "first: if your router forwards one of them from the internet, choose others (on the "
        "LAN alone this changes little).",
    )


def device_ca(facts: Facts) -> Outcome:
    # The server cannot see what a browser trusts; the advisor page checks its own browser (app.js).
    return Outcome(
        "info",
        f"Only your browser knows whether it trusts the device's certificate authority: download "
        f"it and trust it once, then open https://{facts.host} without a warning (passkeys need "
        "that).",
    )


def clock_in_sync(facts: Facts) -> Outcome:
    clock = facts.clock
    if facts.now < EARLIEST_PLAUSIBLE:
        return Outcome(
            "fail",
            f"The clock says {_day(facts.now)}, before this version of Homeport was made: set "
            "the time and keep it set with NTP, or certificates and one-time codes fail.",
        )
    if clock.latest_record_at is not None and facts.now < clock.latest_record_at - CLOCK_SLACK_SECONDS:
        return Outcome(
            "fail",
            f"The clock went back: the log has an entry from {_day(clock.latest_record_at)}, "
            f"after today ({_day(facts.now)}); set the time and keep it set with NTP.",
        )
    if clock.synchronised:
        return Outcome("pass", f"{clock.source} says the clock is synchronised.")
    if clock.synchronised is False:
        return Outcome(
            "warn",
            f"{clock.source} says the clock is not synchronised: check that the device reaches "
            "a time server, or one-time codes may be refused.",
        )
    return Outcome(
        "info",
        "Nothing on this system reports time synchronisation (no timedatectl, chronyc or ntpq "
        "that answers): set up NTP so one-time codes and certificates keep working.",
    )


def certificate_expiry(facts: Facts) -> Outcome:
    expires = facts.certificate_expires_at
    if expires is None:
        return Outcome("fail", "The HTTPS certificate is missing or unreadable: restart Homeport to issue a new one.")
    left = expires - facts.now
    if left <= 0:
        return Outcome("fail", f"The HTTPS certificate expired on {_day(expires)}: restart Homeport to renew it.")
    if left < CERTIFICATE_WARN_DAYS * DAY:
        return Outcome(
            "warn", f"The HTTPS certificate expires in {days(left)} days: restart Homeport, which renews it at start."
        )
    return Outcome("pass", f"The HTTPS certificate is valid until {_day(expires)}.")


def unread_reset_report(facts: Facts) -> Outcome:
    if facts.unread_reset is None:
        return Outcome("pass", "Every reset report has been read.")
    return Outcome(
        "warn",
        f"Nobody has read the report of reset #{facts.unread_reset}: see what it changed, put "
        "back what you want, and mark it read.",
    )


DEVICE_CHECKS = (
    Check("default_web_ports", "The console's ports", "/network#f-https", default_web_ports),
    Check("device_ca", "This browser trusts the device (HTTPS)", INSTALL_CA, device_ca),
    Check("clock_in_sync", "The clock is right and kept in sync", TIME_SYNC, clock_in_sync),
    Check("certificate_expiry", "The HTTPS certificate is valid", CERTIFICATE_HELP, certificate_expiry),
    Check("unread_reset_report", "The last reset report has been read", "/recovery/report", unread_reset_report),
)
