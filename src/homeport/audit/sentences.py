"""Audit records as sentences a person reads ("alice signed in from 192.168.1.20"); the action code stays on
the record for filters and scripts. An action without a sentence here is shown by its code."""

from __future__ import annotations

from homeport.audit.log import AuditRecord

# {who}: the actor (or "someone"), {target}, {client}. Keyed by (action, outcome), then by action alone.
SENTENCES: dict[tuple[str, str] | str, str] = {
    ("auth.sign_in", "success"): "{who} signed in",
    ("auth.sign_in", "failure"): "A sign-in as {target_or_tried} failed",
    ("auth.sign_in", "blocked"): "A sign-in from a blocked address was refused",
    ("auth.password_confirm", "failure"): "{who} typed a wrong current password",
    "auth.sign_out": "{who} signed out",
    "auth.approval_requested": "A sign-in as {target} asked another device for approval",
    "auth.approval_granted": "{who} approved a sign-in as {target}",
    ("auth.approval_denied", "failure"): "A sign-in as {target} was not approved (wrong number, or held back)",
    "auth.approval_denied": "{who} denied a sign-in as {target}",
    "auth.approval_reported": "{who} reported a sign-in as {target} as not theirs; approvals for it are paused",
    "auth.approval_reports_read": "{who} dismissed the reports of sign-ins that were not their owners'",
    "auth.address_blocked": "The address {target} was blocked after failed sign-ins",
    "auth.address_unblocked": "{who} let {target} sign in again",
    "auth.account_paused": "The account {target} was paused after failed sign-ins",
    "auth.account_unpaused": "{who} lifted the pause on {target}",
    ("auth.second_factor", "failure"): "A second step as {target} failed (a wrong code)",
    "auth.totp_added": "{who} set up an authenticator app for {target}",
    "auth.totp_removed": "{who} removed the authenticator app of {target}",
    "auth.recovery_codes_replaced": "{who} made new recovery codes for {target}",
    "auth.factors_cleared": "{who} removed every second factor of {target}",
    "auth.factors_resumed": "{who} turned the suspended sign-in methods of {target} back on",
    "auth.browser_forgotten": "{who} asked a remembered browser of {target} for the second step again",
    "auth.passkey_added": "{who} added a passkey for {target}",
    "auth.passkey_renamed": "{who} renamed a passkey of {target}",
    "auth.passkey_removed": "{who} removed a passkey of {target}",
    "auth.passkey_cloned": "A passkey of {target} was refused: its signature counter went backwards (a copy?)",
    "user.created": "{who} created the account {target}",
    "user.updated": "{who} changed the account {target}",
    "user.deleted": "{who} deleted the account {target}",
    "user.enabled": "{who} enabled the account {target}",
    "user.disabled": "{who} disabled the account {target}",
    "user.admin_granted": "{who} made {target} an administrator",
    "user.admin_revoked": "{who} removed {target} from the administrators",
    "user.password_changed": "{who} changed their password",
    "user.password_reset": "{who} set a new password for {target}",
    "group.created": "{who} created the group {target}",
    "group.deleted": "{who} deleted the group {target}",
    "session.ended": "{who} ended a session of {target}",
    "settings.security_changed": "{who} changed the security settings",
    "settings.auto_block_restored": "Auto block was turned back on",
    "network.applied": "{who} applied the network settings ({target})",
    "network.confirmed": "The new network settings were confirmed from {client}",
    "network.lease_renewal": "{who} asked for a new DHCP lease on {target}",
    "system.setup": "{who} set up the device as {target}",
    "system.start_fresh": "The configuration was started fresh",
    "update.switched": "{who} started an update to {target}: it passed its checks and runs on trial",
    "update.upload_started": "{who} began uploading the release {target}",
    "update.uploaded": "{who} uploaded the release {target}",
    ("update.upload_refused", "failure"): "The uploaded file {target} was refused (not a release, or an unsafe .zip)",
    "update.upload_removed": "{who} removed the uploaded release {target}",
    "update.committed": "The update to {target} passed its trial and was kept",
    ("update.failed", "failure"): "{who} started an update to {target}: it was refused before anything changed",
    ("update.trial_failed", "failure"): "The update to {target} failed its trial",
    ("update.rolled_back", "failure"): "The update to {target} was rolled back; the release before runs again",
    "store.damaged": "The configuration store was found damaged and set aside",
    "recovery.mode1": "A Mode 1 reset was done with the reset button",
    "recovery.mode2": "A Mode 2 reset was done with the reset button",
    "recovery.sign_in": "{who} signed in with an empty password during recovery",
    "recovery.password_set": "{who} set a new password during recovery",
    "recovery.presence_confirmed": "The reset button confirmed {target}'s recovery sign-in",
    "recovery.presence_ambiguous": "Two recovery sign-ins waited for the button: both were ended",
    "recovery.presence_timeout": "A recovery sign-in as {target} was not confirmed in time",
    "recovery.window_closed": "The recovery window closed",
    "recovery.restored": "{who} restored {target} after a reset",
    "recovery.report_read": "{who} read the reset report",
    "recovery.backup_restored": "{who} restored the configuration backup {target}",
    "recovery.console": "{who} used first aid on the device itself ({target})",
    ("backup.created", "failure"): "A configuration backup on the volume {target} failed",
    "backup.created": "{who} made the configuration backup {target}",
    "backup.settings_changed": "{who} changed the backup schedule or retention",
    "backup.passphrase_set": "{who} set the recovery passphrase of the configuration backups",
    "backup.keys_left_out": "{who} chose to leave the keys out of the configuration backups",
    ("backup.verified", "failure"): "The configuration backup {target} failed verification",
    "backup.verified": "{who} verified the configuration backup {target}",
    "backup.passphrase_refused": "{who} gave a recovery passphrase that does not open the keys of backup {target}",
    "backup.pruned": "Old configuration backups were removed (retention)",
    "backup.downloaded": "{who} downloaded the configuration backup {target}",
    "backup.restored": "{who} restored the configuration backup {target}",
    "share.created": "{who} created the shared folder {target}",
    "share.attached": "{who} shared the existing folder {target}",
    "share.changed": "{who} changed the shared folder {target}",
    "share.deleted": "{who} removed the shared folder {target}",
    "smb.settings_changed": "{who} changed the file service (SMB) settings",
    "smb.password_derived": "{target}'s password now works for shared folders (SMB) too",
    "smb.drift_repaired": "Samba's accounts had been changed outside Homeport; they were set back ({target})",
    "smb.passdb_rebuilt": "Samba's password database could not be read; it was set aside and made again",
    ("smb.config_refused", "failure"): "Samba refused a new configuration; the one before stays in use",
    ("smb.sign_in", "failure"): "An SMB sign-in as {target_or_tried} failed",
    ("system.selftest", "failure"): "{who} ran the self-test ({target}): it failed",
    "system.selftest": "{who} ran the self-test ({target}): it passed",
    ("system.selftest_canary", "failure"): "The self-test's temporary SMB account {target} could not sign in",
    "system.selftest_canary": "The self-test's temporary SMB account {target} signed in and was removed",
    "smb.transient_account_removed": "A temporary SMB account a stopped daemon left ({target}) was removed",
    "system.selftest_banner_dismissed": "{who} dismissed the failed self-test banner",
    "notify.settings_changed": "{who} changed the notification settings",
    ("notify.test_sent", "failure"): "{who} sent a test message by {target}; it could not be sent",
    "notify.test_sent": "{who} sent a test message by {target}",
    "notify.notices_read": "{who} marked notices read",
}


def sentence(record: AuditRecord) -> str:
    """The record in words, with where it came from."""
    template = SENTENCES.get((record.action, record.outcome)) or SENTENCES.get(record.action)
    if template is None:  # still says who did it to what
        text = f"{record.actor or 'Someone'}: {record.action}" + (f" {record.target}" if record.target else "")
    else:
        tried = record.target or str(record.detail.get("tried", "")) or "an unknown name"
        text = template.format(
            who=record.actor or "Someone", target=record.target or "-", client=record.client or "-",
            target_or_tried=tried,
        )  # fmt: skip
        if not template.startswith("{"):  # a name keeps its own case ("alice signed in")
            text = text[0].upper() + text[1:]
    changed = record.detail.get("fields") if record.action == "settings.security_changed" else None
    if isinstance(changed, list) and changed:
        text += ": " + ", ".join(str(field).replace("_", " ") for field in changed)
    if record.client and record.client != "local" and "{client}" not in (template or ""):
        text += f" from {record.client}"
    return text
