"""A damaged store is moved aside and reported; it is never silently replaced by an empty one."""

from __future__ import annotations

import sqlite3

import pytest
from starlette.testclient import TestClient

from homeport.accounts.passwords import Argon2Parameters
from homeport.application import create_app
from homeport.audit.log import SYSTEM
from homeport.daemon import BuildOptions, build_services, close_services
from homeport.home import Home
from tests.support.fakes import StaticInterfaces

OPTIONS = BuildOptions(argon2=Argon2Parameters())


def make_installed(home: Home) -> None:
    services = build_services(home, OPTIONS, interfaces=StaticInterfaces())
    services.setup.run("nas", "alice", "correct horse battery staple", SYSTEM)
    close_services(services)


def truncate(home: Home) -> None:
    """Keep the header page, lose the rest: what a failing disk or a bad copy leaves."""
    conn = sqlite3.connect(home.db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = home.db_path.read_bytes()
    home.db_path.write_bytes(data[:4096] + b"\x00" * 4096 + data[8192:12288])


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_store_is_quarantined_and_the_device_says_so(home: Home, damage: str) -> None:
    make_installed(home)
    if damage == "garbage":
        home.db_path.write_bytes(b"this is not a database" * 200)
    else:
        truncate(home)
    damaged_bytes = home.db_path.read_bytes()
    services = build_services(home, OPTIONS, interfaces=StaticInterfaces())
    try:
        info = services.device.info()
        assert info.state == "damaged"
        assert info.damage is not None
        quarantined = info.damage["quarantined_to"]
        assert quarantined.startswith(str(home.quarantine))
        with open(quarantined, "rb") as kept:
            assert kept.read() == damaged_bytes
        assert [r.action for r in services.audit.query()] == ["store.damaged"]
        with TestClient(create_app(services), base_url="https://testserver") as client:
            system = client.get("/api/v1/system").json()
            assert system["state"] == "damaged" and system["damage"]["quarantined_to"] == quarantined
            setup = client.post("/api/v1/setup", json={"name": "x", "admin": {"username": "eve", "password": "x" * 20}})
            assert setup.status_code == 409
            page = client.get("/", follow_redirects=True)
            assert "could not be read" in page.text and quarantined in page.text
        with TestClient(create_app(services, local=True), base_url="http://homeport") as root:
            assert root.post("/api/v1/store/start-fresh").status_code == 204
        assert services.device.state() == "not-installed"
        assert services.device.info().damage is None
    finally:
        close_services(services)


def test_the_damaged_state_survives_a_restart(home: Home) -> None:
    make_installed(home)
    home.db_path.write_bytes(b"\x00" * 8192)
    close_services(build_services(home, OPTIONS, interfaces=StaticInterfaces()))
    services = build_services(home, OPTIONS, interfaces=StaticInterfaces())
    assert services.device.state() == "damaged"
    close_services(services)


def test_an_unopenable_store_is_not_mistaken_for_damage(home: Home) -> None:
    home.db_path.mkdir()
    with pytest.raises(sqlite3.OperationalError):
        build_services(home, OPTIONS, interfaces=StaticInterfaces())
    assert home.db_path.is_dir()
    assert not home.quarantine.exists()
