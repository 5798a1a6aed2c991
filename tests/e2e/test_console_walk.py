"""Every console page in Chromium at desktop and phone width: no horizontal overflow, the navigation there for a
signed-in owner, no duplicate element ids, no form field without a label, no console error. Screenshots of each
page are kept in test-artifacts/e2e/walk/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.e2e.conftest import ARTIFACTS
from tests.support.daemon import Daemon

ADMIN, PASSWORD = "alice", "correct horse battery staple"
WIDTHS = {"desktop": 1280, "phone": 390}

# Run in the page: every problem the walk fails on, as sentences.
CHECKS = """() => {
  const problems = [];
  const overflow = document.documentElement.scrollWidth - window.innerWidth;
  if (overflow > 0) problems.push(`the page is ${overflow}px wider than the window`);
  const ids = {};
  for (const el of document.querySelectorAll("[id]")) ids[el.id] = (ids[el.id] || 0) + 1;
  for (const [id, count] of Object.entries(ids)) if (count > 1) problems.push(`id "${id}" is used ${count} times`);
  for (const el of document.querySelectorAll("input, select, textarea")) {
    if (el.type === "hidden") continue;
    const named = el.labels?.length || el.getAttribute("aria-label") || el.getAttribute("aria-labelledby");
    if (!named) problems.push(`the field "${el.name || el.id}" has no label`);
  }
  return problems;
}"""


# Run in the signed-in page: a second user, a group, a self-test, a webhook that cannot be reached and a notice for it
# (bob's second factors cleared: the overview's banner, a delivery waiting with its error), a configuration backup,
# and the ids of a network snapshot and of the backup to look at.
SEED = """async ([name, password]) => {
  const json = (body, csrf) => ({method: "POST", body: JSON.stringify(body),
    headers: {"content-type": "application/json", ...(csrf ? {"X-CSRF-Token": csrf} : {})}});
  const login = await (await fetch("/api/v1/auth/login", json({username: name, password}))).json();
  await fetch("/api/v1/users", json({name: "bob", password: "a long enough password"}, login.csrf_token));
  await fetch("/api/v1/groups", json({name: "family", description: "Us"}, login.csrf_token));
  await fetch("/api/v1/selftest", json({}, login.csrf_token));  // System health then shows its checks
  const webhook = {enabled: true, url: "http://127.0.0.1:9/hook", token: "walk-token"};
  await fetch("/api/v1/notifications/settings",
    {...json({webhook, current_password: password}, login.csrf_token), method: "PUT"});
  await fetch("/api/v1/users/bob/factors", {...json({admin_password: password}, login.csrf_token), method: "DELETE"});
  const backups = await (await fetch("/api/v1/backups", json({}, login.csrf_token))).json();
  return [(await (await fetch("/api/v1/network/snapshots")).json())[0].id, backups[0].id];
}"""


# On the Notifications page: the deliveries table fits its box (nothing cut off at the right) and no short word is
# split across lines ("updat / ed"): each word of up to 20 characters lies on one line.
DELIVERIES_FIT = r"""() => {
  const table = document.querySelector("[data-testid=deliveries]");
  if (!table) { return ["no deliveries table"]; }
  const problems = [];
  const box = table.parentElement;
  if (box.scrollWidth > box.clientWidth + 1) {
    problems.push(`deliveries cut off: ${box.scrollWidth} > ${box.clientWidth}`);
  }
  const walker = document.createTreeWalker(table.tBodies[0], NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const match of node.data.matchAll(/\S{2,20}/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (tops.size > 1) { problems.push(`deliveries: "${match[0]}" is broken across lines`); }
    }
  }
  return problems;
}"""


@pytest.fixture
def owner_console(console: Daemon) -> Daemon:
    console.set_up(ADMIN, PASSWORD)
    return console


@pytest.fixture(params=sorted(WIDTHS))
def walker(browser: Browser, request: pytest.FixtureRequest) -> Iterator[tuple[str, BrowserContext]]:
    width = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        yield request.param, context
    finally:
        context.close()


def visit(page: Page, url: str, name: str, errors: list[str], *, signed_in: bool) -> list[str]:
    errors.clear()
    page.goto(url)
    page.wait_for_load_state("load")
    problems: list[str] = page.evaluate(CHECKS)
    if signed_in:
        if page.get_by_test_id("sidenav").count() != 1:
            problems.append("no side navigation")
        if page.viewport_size and page.viewport_size["width"] < 900:
            expect(page.locator(".menu-label")).to_be_visible()
    expect(page.get_by_test_id("device-name")).to_be_visible()
    expect(page.get_by_test_id("device-state")).to_be_visible()
    expected_404 = "the server responded with a status of 404"  # the not-found page's own document
    problems += [f"console: {e}" for e in errors if not (name.endswith("not-found") and expected_404 in e)]
    (ARTIFACTS / "walk").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "walk" / f"{name}.png"), full_page=True)
    return [f"{url}: {p}" for p in problems]


def test_every_page_fits_and_is_labelled(owner_console: Daemon, walker: tuple[str, BrowserContext]) -> None:
    width, context = walker
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    base = owner_console.base
    problems = visit(page, base + "/login", f"{width}-login", errors, signed_in=False)

    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(base + "/")
    snapshot, backup = page.evaluate(SEED, [ADMIN, PASSWORD])

    pages = {
        "overview": "/", "users": "/users", "user": f"/users/{ADMIN}", "groups": "/groups", "network": "/network",
        "snapshot": f"/network/snapshots/{snapshot}", "security": "/security", "sessions": "/sessions",
        "log": "/log", "report": "/recovery/report", "advisor": "/advisor", "account": "/account",
        "password": "/password", "sign-in-methods": "/account/sign-in-methods", "shares": "/shares",
        "file-services": "/file-services", "system-health": "/system-health",
        "notifications": "/notifications",
        "backups": "/backups", "backup-restore": f"/backups/restore?backup={backup}",
        "updates": "/system/updates",
        "not-found": "/no-such-page",
    }  # fmt: skip
    for name, path in pages.items():
        problems += visit(page, base + path, f"{width}-{name}", errors, signed_in=True)
        if name == "notifications":
            problems += [f"{path} at {width}: {p}" for p in page.evaluate(DELIVERIES_FIT)]
    assert not problems, "\n".join(problems)
