"""Templates and the context every page shares (device name and state are always on screen)."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape
from starlette.responses import Response

from homeport import __version__
from homeport.audit.sentences import sentence
from homeport.auth.recovery_codes import LOW as LOW_CODES
from homeport.core.ids import new_token
from homeport.core.text import neutralise_direction_controls
from homeport.services import Services
from homeport.web.flash import recall_failure
from homeport.web.navigation import current_page, sections_for

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

DONE_MESSAGES = {
    "setup": "Homeport is set up. Sign in with the administrator you just created.",
    "signed-out": "You have signed out.",
    "password": "Your password has been changed. Your other sessions have ended.",
    "user-created": "The account has been created.",
    "user-saved": "The account has been saved.",
    "user-deleted": "The account has been deleted.",
    "user-password": "The password has been set; the account's sessions have ended.",
    "group-created": "The group has been created.",
    "group-deleted": "The group has been deleted.",
    "session-ended": "The session has ended.",
    "settings-saved": "The security settings have been saved.",
    "unblocked": "The address may sign in again.",
    "unpaused": "The account may sign in again from every address.",
    "network-applied": "The network settings have been applied.",
    "lease-renewed": "The DHCP client has been asked to renew its lease.",
    "recovery-password": "Your new password is set and the recovery window is closed. Sign in with it now.",
    "restored": "Restored as it was before the reset.",
    "restored-setup": "The configuration is restored. Sign in with the administrator and the password you chose.",
    "expired": "Your session has ended; sign in again.",
    "second-step-expired": "That sign-in waited too long (or was started in another browser). Sign in again.",
    "recovery-code-used": "You signed in with a recovery code, which now no longer works. Check how many you have "
    "left below, and set up your other methods again if you lost them.",
    "totp-added": "The authenticator app is set up: sign-ins now ask for its code.",
    "totp-removed": "The authenticator app has been removed.",
    "codes-replaced": "New recovery codes are made; the old ones no longer work.",
    "factors-resumed": "Your sign-in methods are on again.",
    "browser-forgotten": "That browser will be asked for the second step again.",
    "passkey-added": "The passkey is added: use it to sign in, with no password, at this device's name.",
    "passkey-renamed": "The passkey has been renamed.",
    "passkey-removed": "The passkey has been removed; it no longer signs in.",
    "factors-cleared": "Every second factor of the account has been removed.",
    "passkey-proved": "Your passkey proved it is you: for 5 minutes, changes here need no password.",
    "release-uploaded": "The release is uploaded and checked; choose it below and give your password to update.",
    "upload-removed": "The uploaded release has been removed.",
    "update-started": "The release passed its checks. Homeport restarts into it now, on trial: reload this page in a "
    "minute to see whether it was kept.",
    "advisor-ran": "Every check has run again; changes since the run before are marked.",
    "approval-approved": "Approved: the other browser is signed in now.",
    "approval-denied": "Denied: that sign-in was refused.",
    "approval-reported": "Denied and reported: that sign-in has ended, approvals are paused for an hour, and the "
    "administrators are told. Change your password now: someone else probably knows it.",
    "approval-wrong-number": "That was not the number the signing-in browser showed, so the request is denied.",
    "approval-gone": "That sign-in request is no longer waiting (it was answered, withdrawn, or it expired).",
    "approval-reports-read": "The reports are dismissed (the log keeps them).",
    "share-created": "The shared folder has been created.",
    "share-created-nobody": (
        "The shared folder has been created; nobody may use it yet (administrators neither): choose who below."
    ),
    "share-attached": "The folder is shared now. Choose who may use it below: nobody may until you do.",
    "share-saved": "The shared folder has been saved.",
    "share-permissions": "The permissions have been saved.",
    "share-deleted": "The shared folder has been removed; its files are still on the volume.",
    "share-deleted-files": "The shared folder and its files have been deleted.",
    "share-deleted-no-files": "The shared folder has been removed; its folder was not on the volume, so no file "
    "was deleted.",
    "smb-settings-saved": "The file service settings have been saved.",
    "smb-checked": "Samba's accounts have been checked; what was found is under Check now.",
    "selftest-passed": "The self-test has run: every check passed.",
    "selftest-failed": "The self-test has run: some checks failed (below, with what was found).",
    "selftest-dismissed": "The package change banner is dismissed (the log keeps the run).",
    "notify-email-saved": "The email settings have been saved. Send a test message to check them.",
    "notify-webhook-saved": "The webhook settings have been saved. Send a test message to check them.",
    "backup-settings-saved": "The backup schedule and retention have been saved.",
    "backup-passphrase-set": "The recovery passphrase is set: the next backups hold the keys, protected by it. Keep "
    "it somewhere safe: Homeport cannot show it again, and no one can recover it.",
    "backup-keys-left-out": "The next backups hold no keys: after a restore, second factors and SMB passwords are set "
    "up again.",
    "backup-made": "A backup has been made on every connected volume.",
    "backup-not-made": "No volume took the backup: see the log, and check that the volumes are connected.",
    "backup-verified": "The backup passed every check.",
    "backup-restored": "The backup is restored and every session has ended: sign in with the passwords as they were "
    "in the backup.",
}


def when(timestamp: float | None) -> str:
    if timestamp is None:
        return "never"
    return datetime.datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def size(value: int) -> str:
    amount = float(value)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if amount < 1024 or unit == "TiB":
            return f"{amount:.1f} {unit}" if unit != "B" else f"{int(amount)} B"
        amount /= 1024
    return f"{amount:.1f} PiB"


def duration(seconds: float) -> str:
    """An uptime as people say it: "3 days 4 h", "5 h 12 min", "42 min"."""
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} day{'s' if days > 1 else ''} {hours} h"
    return f"{hours} h {mins} min" if hours else f"{mins} min"


def shown(value: Any) -> Any:
    """Every `{{ value }}` passes here before escaping: direction controls in stored text (an audit detail, a name
    saved before they were refused) become U+FFFD. Markup stays Markup, so it is not escaped twice."""
    if hasattr(value, "__html__"):  # already safe HTML (Markup, a macro's output); U+FFFD keeps it safe
        return Markup(neutralise_direction_controls(str(value.__html__())))  # noqa: S704
    if isinstance(value, (int, float)) or value is None:
        return value
    return neutralise_direction_controls(str(value))


TEMPLATES.env.filters["when"] = when
TEMPLATES.env.filters["size"] = size
TEMPLATES.env.filters["duration"] = duration
TEMPLATES.env.filters["sentence"] = sentence
TEMPLATES.env.finalize = shown  # before any template is compiled: finalize is built into the compiled code


def new_form_id() -> str:
    """A one-time id for each form shown: the server does a form sent twice only once."""
    return new_token()[:22]


@pass_context
def form_head(context: Context, csrf: str) -> Markup:
    """The hidden fields every console form starts with: its token, a one-time id, and the page it is on."""
    request: Request = context["request"]
    return Markup(  # noqa: S704 - escaped below; the id is URL-safe base64
        f'<input type="hidden" name="csrf_token" value="{escape(csrf)}">'
        f'<input type="hidden" name="form_id" value="{new_form_id()}">'
        f'<input type="hidden" name="page" value="{escape(request.url.path)}">'
    )


TEMPLATES.env.globals["form_head"] = form_head


def same_page(request: Request, **changes: object) -> str:
    """This page's address with some query parameters changed (paging, sorting); the others are kept."""
    query = {k: v for k, v in request.query_params.items() if k not in ("done", "failed")}
    query.update({k: str(v) for k, v in changes.items()})
    query = {k: v for k, v in query.items() if v and not (k == "offset" and v == "0")}
    return request.url.path + ("?" + urlencode(query) if query else "")


TEMPLATES.env.globals["same_page"] = same_page


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page with what every page shares; a form that failed and came back here (`?failed=`) shows its
    problems and what was typed, with the status the failure had."""
    svc: Services = request.app.state.services
    done = request.query_params.get("done", "")
    base: dict[str, Any] = {
        "device_name": svc.device.name(),
        "device_state": svc.device.state(),
        "version": __version__,
        "done": DONE_MESSAGES.get(done, ""),
        "me": None,
        "csrf": "",
        "errors": {},
        "error": "",
        "form": {},
        "limits": {},
        "restricted": False,
        "approval_reports": [],
        "nav": [],  # a session that may only set its password: no way out but that, or sign-out
    }
    me = context.get("me")
    if me is not None and not context.get("restricted"):
        base["nav"] = sections_for(me)
        base["nav_current"] = current_page(request.url.path)
        # The page warns a minute or two before an idle sign-out (app.js), and offers to stay.
        base["session_expires_in"] = svc.settings.security().session_idle_minutes * 60
        factors = svc.factors.summary(me.id)
        if factors.active and factors.recovery_codes_left <= LOW_CODES:
            base["codes_low"] = factors.recovery_codes_left  # every page says so, not only the account's
        base["smb_password_made"] = svc.login.smb_password_made(me.id)
        if me.is_admin:
            base["reset_notice"] = svc.report.unacknowledged()
            base["approval_reports"] = svc.approvals.reports()
            base["selftest_banner"] = svc.selftest.banner()
    failure = recall_failure(request)
    if failure is not None:
        context = {**context, **failure.context()}
        status_code = failure.status
    response = TEMPLATES.TemplateResponse(request, template, {**base, **context}, status_code=status_code)
    if failure is not None:
        response.headers.update(failure.headers)
    return response
