"""The console's side navigation, grouped the way NAS owners know it. A group shows only the pages its viewer may
open; a group with none (Files, until shared folders exist) is not shown. New pages add one line here."""

from __future__ import annotations

from dataclasses import dataclass

from homeport.accounts.models import User


@dataclass(frozen=True)
class Page:
    path: str
    title: str
    admin: bool = True


@dataclass(frozen=True)
class Section:
    title: str
    pages: tuple[Page, ...]


SECTIONS: tuple[Section, ...] = (
    Section("Overview", (Page("/", "Overview", admin=False),)),
    Section("Users and groups", (Page("/users", "Users"), Page("/groups", "Groups"))),
    Section("Files", (Page("/shares", "Shared folders"), Page("/file-services", "File services"))),
    Section("Network", (Page("/network", "Network settings"),)),
    Section(
        "Security",
        (
            Page("/security", "Security settings"),
            Page("/advisor", "Security Advisor"),
            Page("/sessions", "Sessions", admin=False),
        ),
    ),
    Section(
        "System",
        (
            Page("/log", "Log"),
            Page("/system-health", "System health"),
            Page("/notifications", "Notifications"),
            Page("/backups", "Backups"),
            Page("/system/updates", "Updates"),
            Page("/recovery/report", "Reset report"),
        ),
    ),
)


def sections_for(user: User) -> list[Section]:
    """The sections and pages this user may open, in order."""
    shown = []
    for section in SECTIONS:
        pages = tuple(p for p in section.pages if user.is_admin or not p.admin)
        if pages:
            shown.append(Section(section.title, pages))
    return shown


def current_page(path: str) -> str:
    """The navigation entry a path belongs to (`/users/bob` is under Users), or "" for none (my account,
    a page that does not exist)."""
    if path == "/":
        return "/"
    paths = [page.path for section in SECTIONS for page in section.pages if page.path != "/"]
    inside = [p for p in paths if path == p or path.startswith(p + "/")]
    return max(inside, key=len, default="")
