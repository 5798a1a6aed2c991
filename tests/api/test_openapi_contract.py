"""Schemathesis over the served OpenAPI document: no 5xx, every answer matches the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from starlette.testclient import TestClient

from homeport.application import create_app
from homeport.services import Services
from tests.support.api import ADMIN, ADMIN_PASSWORD, create_user, setup_device


class Signed:
    """Cookie and CSRF header of a live administrator session, renewed if a generated call ended it."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers: dict[str, str] = {}

    def fresh(self) -> dict[str, str]:
        if not self.headers or self.client.get("/api/v1/me", headers=self.headers).status_code != 200:
            self.client.cookies.clear()
            answer = self.client.post("/api/v1/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD})
            assert answer.status_code == 200, answer.text
            cookie = f"__Host-homeport_session={answer.cookies['__Host-homeport_session']}"
            self.client.cookies.clear()
            self.headers = {"Cookie": cookie, "X-CSRF-Token": answer.json()["csrf_token"]}
        return self.headers


@pytest.fixture
def contract(services: Services) -> Iterator[tuple[schemathesis.BaseSchema, Signed]]:
    app = create_app(services, tarpit_seconds=0)  # generated sign-ins get the address blocked quickly
    with TestClient(app, base_url="https://testserver", client=("192.168.1.2", 1)) as client:
        setup_device(client)
        # Generated sign-ins fail on purpose; keep the operator's own address usable throughout.
        services.settings  # noqa: B018 - the store is ready
        with services.db.write() as conn:
            services.settings.update_security(conn, {"allow_list": ["192.168.1.2"], "account_protection_attempts": 100})
        signed = Signed(client)
        headers = signed.fresh()
        client.headers.update({"X-CSRF-Token": headers["X-CSRF-Token"]})
        client.cookies.set("__Host-homeport_session", headers["Cookie"].split("=", 1)[1])
        create_user(client, "bob")
        client.cookies.clear()
        client.headers.pop("X-CSRF-Token")
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", app), signed


def check_operation(operation: schemathesis.APIOperation, signed: Signed, calls: dict[str, int]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def keeps_contract(case: schemathesis.Case) -> None:
        calls[operation.label] = calls.get(operation.label, 0) + 1
        # Business rules (password policy, guardrails) refuse some schema-valid bodies with a documented
        # 409/422; "positive data acceptance" would call that a failure, so it is the one check left out.
        case.call_and_validate(headers=signed.fresh(), excluded_checks=[checks.positive_data_acceptance])

    keeps_contract()


def streams(operation: schemathesis.APIOperation) -> bool:
    """Server-Sent Events never end by themselves: tests/api/test_approvals.py covers them."""
    return "text/event-stream" in operation.definition.raw["responses"].get("200", {}).get("content", {})


@pytest.mark.leaves_threads("asyncio-portal")  # schemathesis keeps its ASGI client's event loop
def test_the_api_keeps_its_contract(contract: tuple[schemathesis.BaseSchema, Signed]) -> None:
    """Every operation, 25 generated cases each (schemathesis's pytest plugin does not run on pytest 9 yet)."""
    schema, signed = contract
    operations = [op for op in (result.ok() for result in schema.get_all_operations()) if not streams(op)]
    assert len(operations) >= 20
    calls: dict[str, int] = {}
    for operation in operations:
        try:
            check_operation(operation, signed, calls)
        except Exception as exc:
            raise AssertionError(f"{operation.label} broke its contract") from exc
    assert set(calls) == {op.label for op in operations}
    assert sum(calls.values()) >= 10 * len(operations), calls


def test_the_advisor_is_in_the_document(services: Services) -> None:
    """Schemathesis above calls every operation; these two must be among them, typed for administrators."""
    document = create_app(services).openapi()
    latest, run = document["paths"]["/api/v1/advisor"], document["paths"]["/api/v1/advisor/run"]
    assert set(latest) == {"get"} and set(run) == {"post"}
    assert {"200", "401", "403", "404"} <= set(latest["get"]["responses"])
    assert {"201", "401", "403"} <= set(run["post"]["responses"])
    finding = document["components"]["schemas"]["FindingOut"]
    assert finding["properties"]["verdict"]["enum"] == ["pass", "warn", "fail", "info"]
