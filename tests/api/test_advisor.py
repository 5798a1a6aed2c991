"""The Security Advisor over HTTP: administrators only, runs kept and compared, a run after setup and recovery."""

from __future__ import annotations

from starlette.testclient import TestClient

from homeport.advisor.advisor import KEEP_RUNS
from homeport.advisor.checks import CHECK_KEYS
from homeport.audit.log import SYSTEM
from homeport.recovery.button import Decision
from homeport.services import Services
from tests.support.api import ADMIN_PASSWORD, error_code, sign_in
from tests.support.console import form_token, shown
from tests.support.recovery import browser, mode


def findings(run: dict[str, object]) -> dict[str, dict[str, object]]:
    return {f["key"]: f for f in run["findings"]}  # type: ignore[attr-defined, index]


def test_setup_keeps_a_first_run_with_every_check(installed: TestClient) -> None:
    answer = installed.get("/api/v1/advisor")
    assert answer.status_code == 200, answer.text
    run = answer.json()
    assert run["reason"] == "after setup" and run["actor"] == "system" and run["previous_run"] is None
    found = findings(run)
    assert set(found) == CHECK_KEYS and len(found) >= 15
    assert all(f["fix"].startswith("/") and f["explanation"] for f in found.values())
    assert sum(run["counts"].values()) == len(found)
    # alice is the only administrator, with neither second factor nor email: the advisor says so.
    assert found["two_administrators"]["verdict"] == "warn" and "alice" in found["two_administrators"]["explanation"]
    assert found["admin_second_factor"]["verdict"] == "warn"
    assert found["email_for_notices"]["fix"] == "/users/alice"
    assert found["builtin_admin_disabled"]["verdict"] == "pass"
    assert found["device_ca"]["verdict"] == "info" and found["device_ca"]["fix"] == "/advisor#install-ca"


def test_a_run_on_demand_is_compared_with_the_one_before(installed: TestClient, services: Services) -> None:
    first = installed.post("/api/v1/advisor/run")
    assert first.status_code == 201, first.text
    assert first.json()["reason"] == "on demand" and first.json()["actor"] == "alice"
    assert not any(f["changed"] for f in first.json()["findings"])
    changes = {"auto_block_enabled": False, "session_idle_minutes": 60}
    answer = installed.patch("/api/v1/settings/security", json=changes)
    assert answer.status_code == 200, answer.text
    second = installed.post("/api/v1/advisor/run").json()
    assert second["previous_run"] == first.json()["id"]
    changed = {f["key"]: f for f in second["findings"] if f["changed"]}
    assert set(changed) == {"auto_block", "session_idle"}
    assert changed["auto_block"]["previous_verdict"] == "pass" and changed["auto_block"]["verdict"] == "fail"
    assert changed["session_idle"]["verdict"] == "warn"
    assert changed["auto_block"]["fix"] == "/security#f-auto_block_enabled"
    assert installed.get("/api/v1/advisor").json() == second  # the latest is kept, with its comparison


def test_only_the_last_runs_are_kept(installed: TestClient, services: Services) -> None:
    for _ in range(KEEP_RUNS + 2):
        services.advisor.run(SYSTEM, "on demand")
    with services.db.read() as conn:
        assert conn.execute("SELECT COUNT(*) FROM advisor_runs").fetchone()[0] == KEEP_RUNS
    latest = installed.get("/api/v1/advisor").json()
    assert latest["previous_run"] == latest["id"] - 1


def test_no_kept_run_is_a_clear_404(installed: TestClient, services: Services) -> None:
    with services.db.write() as conn:
        conn.execute("DELETE FROM advisor_runs")
    answer = installed.get("/api/v1/advisor")
    assert answer.status_code == 404 and error_code(answer) == "no_advisor_run"
    assert "POST /api/v1/advisor/run" in answer.json()["error"]["message"]


def test_administrators_only_and_runs_need_the_csrf_token(installed: TestClient, services: Services) -> None:
    with browser(services) as bob:
        sign_in(bob, "bob", "a long one for b")
        for answer in (bob.get("/api/v1/advisor"), bob.post("/api/v1/advisor/run")):
            assert answer.status_code == 403 and error_code(answer) == "administrators_only"
    token = installed.headers.pop("X-CSRF-Token")
    answer = installed.post("/api/v1/advisor/run")
    assert answer.status_code == 403 and error_code(answer) == "csrf_token_missing"
    installed.headers["X-CSRF-Token"] = token
    with browser(services) as stranger:
        assert stranger.get("/api/v1/advisor").status_code == 401


def test_root_on_the_socket_may_run_it(installed: TestClient, local_client: TestClient) -> None:
    answer = local_client.post("/api/v1/advisor/run")
    assert answer.status_code == 201 and answer.json()["actor"] == "root@local"


def test_a_recovery_runs_the_advisor_when_it_is_over(installed: TestClient, services: Services) -> None:
    before = services.advisor.latest()
    assert before is not None
    mode(installed, services, Decision.MODE_1)
    with browser(services) as lan:
        login = lan.post("/api/v1/auth/login", json={"username": "admin", "password": ""})
        lan.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        services.recovery_access.confirm_presence()
        answer = lan.put("/api/v1/me/password", json={"current_password": "", "new_password": ADMIN_PASSWORD + "!"})
        assert answer.status_code == 204, answer.text
    after = services.advisor.latest()
    assert after is not None and after.reason == "after recovery" and after.previous_id == before.id
    verdicts = {f.key: f.verdict for f in after.findings}
    # The recovery used (and so enabled) the built-in admin, and its report is unread: both show, as changes.
    assert verdicts["builtin_admin_disabled"] == "fail" and after.changed("builtin_admin_disabled")
    assert verdicts["unread_reset_report"] == "warn" and after.changed("unread_reset_report")
    sign_in(installed)
    report = installed.get("/api/v1/recovery/report").json()
    checklist = {c["title"]: c for c in report["checklist"]}
    assert checklist["The built-in admin is disabled"]["ok"] is False
    assert checklist["The built-in admin is disabled"]["fix"] == "/users/admin"
    assert "Second factors" not in checklist  # the old placeholder is gone: the advisor's check is there
    assert checklist["Administrators have a second factor"]["ok"] is False


def test_the_advisor_page(installed: TestClient, services: Services) -> None:
    page = installed.get("/advisor")
    assert page.status_code == 200
    assert 'href="/advisor" aria-current="page"' in page.text  # in the navigation, under Security
    assert 'data-testid="finding-auto_block"' in page.text and 'href="/security#f-auto_block_enabled"' in page.text
    assert 'data-browser-check="https"' in page.text and 'id="install-ca"' in page.text
    assert "This is the first run kept" in page.text
    installed.patch("/api/v1/settings/security", json={"auto_block_enabled": False})
    installed.follow_redirects = False  # as a browser's form: the answer is a 303
    ran = shown(installed, installed.post("/advisor/run", data={"csrf_token": form_token(page.text)}))
    assert ran.status_code == 200 and "Every check has run again" in ran.text
    assert 'data-testid="changed-auto_block"' in ran.text and "was pass" in ran.text
    assert 'data-testid="changed-session_idle"' not in ran.text
    refused = installed.post("/advisor/run", data={"csrf_token": "wrong"})
    assert refused.status_code == 303 and "failed=" in refused.headers["location"]


def test_the_advisor_page_is_for_administrators(installed: TestClient, services: Services) -> None:
    with browser(services) as bob:
        sign_in(bob, "bob", "a long one for b")
        assert bob.get("/advisor").status_code == 403
        assert 'href="/advisor"' not in bob.get("/sessions").text
    with services.db.write() as conn:
        conn.execute("DELETE FROM advisor_runs")
    empty = installed.get("/advisor")
    assert empty.status_code == 200 and 'data-testid="advisor-none"' in empty.text
