"""The self-test over HTTP and in the console: administrators only, the run after a package change only for root,
the banner on every administrator's page until a passing run or a dismissal, and the System health page."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from homeport.selftest.checks import TITLES
from homeport.selftest.service import SelfTestPaths
from homeport.services import Services
from tests.support.api import error_code, sign_in
from tests.support.console import form_token, shown
from tests.support.recovery import browser

OLD, NEW = "2:4.17.12+dfsg-0+deb12u1", "2:4.17.12+dfsg-0+deb12u2"


def test_a_run_lists_every_check_and_is_kept(installed: TestClient, services: Services) -> None:
    assert installed.get("/api/v1/selftest").json() == {
        "last": None, "last_package_change": None, "banner": None, "apt_hook": None, "apt_hook_problem": "",
    }  # fmt: skip
    answer = installed.post("/api/v1/selftest")
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert [c["name"] for c in run["checks"]] == list(TITLES)
    checks = {c["name"]: c for c in run["checks"]}
    assert checks["sign_in"]["ok"] and checks["network"]["ok"]
    assert all(checks[n]["ok"] and "SMB is off" in checks[n]["detail"] for n in ("smb_config", "smbd", "smb_canary"))
    # Discovery is on and its advertiser was never started in this test: the check says it is not announced.
    assert not checks["mdns"]["ok"] and not run["ok"] and run["actor"] == "alice"
    state = installed.get("/api/v1/selftest").json()
    assert state["last"] == run and state["last_package_change"] is None and state["banner"] is None
    (record,) = services.audit.query(action="system.selftest", limit=5)
    assert record.outcome == "failure" and record.actor == "alice" and record.detail["failed"] == ["mdns"]


def test_only_administrators_and_only_root_after_a_package_change(installed: TestClient, services: Services) -> None:
    answer = installed.post("/api/v1/selftest", json={"after_package_change": True})
    assert answer.status_code == 403 and error_code(answer) == "local_only"
    assert installed.post("/api/v1/selftest", json={"after_package_change": "yes please"}).status_code == 422
    with browser(services) as bob:
        sign_in(bob, "bob", "a long one for b")
        assert bob.get("/api/v1/selftest").status_code == 403
        assert bob.post("/api/v1/selftest").status_code == 403
        assert bob.get("/system-health").status_code == 403


def test_a_failed_run_after_a_package_change_shows_on_every_admin_page_until_dismissed(
    installed: TestClient, local_client: TestClient, services: Services, short_tmp: Path
) -> None:
    log = short_tmp / "dpkg.log"
    log.write_text("")
    services.selftest.paths = SelfTestPaths(dpkg_log=log, archives=short_tmp)
    services.selftest.start()
    log.write_text(f"2026-12-01 05:00:01 upgrade samba:amd64 {OLD} {NEW}\n")
    answer = local_client.post("/api/v1/selftest", json={"after_package_change": True})
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert not run["ok"] and run["actor"] == "root@local"
    (change,) = run["changes"]
    assert change["package"] == "samba" and change["way_back"].startswith(f"apt-get install samba={OLD}")
    assert installed.get("/api/v1/selftest").json()["banner"] == run

    for page in ("/", "/users", "/system-health"):
        html = installed.get(page).text
        assert 'data-testid="selftest-banner"' in html and "(samba)" in html, page
    health = installed.get("/system-health").text
    assert f"apt-get install samba={OLD}" in health and 'data-testid="package-samba"' in health
    with browser(services) as bob:
        sign_in(bob, "bob", "a long one for b")
        assert "selftest-banner" not in bob.get("/").text  # administrators only

    page = installed.get("/").text
    installed.follow_redirects = False  # as a browser's form: the answer is a 303
    done = shown(installed, installed.post("/system-health/banner/dismiss", data={"csrf_token": form_token(page)}))
    assert "banner is dismissed" in done.text and "selftest-banner" not in done.text
    assert installed.get("/api/v1/selftest").json()["banner"] is None
    assert installed.post("/api/v1/selftest/banner/dismiss").status_code == 404
    (record,) = services.audit.query(action="system.selftest_banner_dismissed", limit=5)
    assert record.actor == "alice"
    # The last package change and its outcome stay on the page.
    assert 'data-testid="package-changes"' in installed.get("/system-health").text


def test_the_system_health_page_runs_the_checks(installed: TestClient) -> None:
    page = installed.get("/system-health")
    assert page.status_code == 200
    assert 'data-testid="selftest-none"' in page.text and 'data-testid="packages-none"' in page.text
    assert "The apt hook is not installed" in page.text
    assert 'href="/system-health" aria-current="page"' in page.text
    installed.follow_redirects = False  # as a browser's form: the answer is a 303
    done = shown(installed, installed.post("/system-health/run", data={"csrf_token": form_token(page.text)}))
    assert "some checks failed" in done.text
    for name, title in TITLES.items():
        assert f'data-testid="check-{name}"' in done.text and title in done.text
    refused = installed.post("/system-health/run", data={"csrf_token": "forged"})
    assert refused.status_code == 303 and "failed=" in refused.headers["location"]
