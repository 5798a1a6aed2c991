"""An SMB account that exists only in Samba, for a moment: the self-test's canary sign-in.

Never in the store, so never in a list, a backup or the drift check's idea of what passdb must hold. It is added
and removed while the file service's worker is held off (FileService.transient_account), so the drift check
never sees it either; one left by a crash is removed by the worker's first pass at the next start.
"""

from __future__ import annotations

from collections.abc import Mapping

from homeport.smb.passdb import Passdb, PassdbEntry
from homeport.smb.tools import SambaUnavailable
from homeport.smb.unix_accounts import UID_BASE, UnixAccounts

# Account names start with a letter (accounts/names.py): no Homeport account can have this prefix, so removing
# what a killed daemon left never touches a person's entry.
PREFIX = "_homeport-"
# The SMB accounts' group id: the uid counter starts above it, so no account has it, and the counter's catch-up
# (FileService._keep_uids_unused) never counts it. A transient account owns no file (it opens IPC$ only).
TRANSIENT_UID = UID_BASE


def add(unix: UnixAccounts, passdb: Passdb, accounts: Mapping[str, int], name: str, nt_hash: str) -> None:
    """`accounts`: the Unix accounts that must stay (name -> uid), as the last pass made them."""
    problems = unix.ensure({**accounts, name: TRANSIENT_UID})
    if problems:
        raise SambaUnavailable("the temporary SMB account could not be made: " + "; ".join(problems))
    passdb.write([PassdbEntry(name, TRANSIENT_UID, nt_hash, disabled=False)])


def remove(unix: UnixAccounts, passdb: Passdb, accounts: Mapping[str, int], name: str) -> None:
    try:
        passdb.remove(name)
    finally:
        unix.ensure(accounts)


def remove_leftovers(passdb: Passdb) -> list[str]:
    """Transient accounts that a killed daemon left in passdb."""
    left = sorted(name for name in passdb.entries() if name.startswith(PREFIX))
    for name in left:
        passdb.remove(name)
    return left
