"""A restore whose network settings would cut the owner off goes through confirm-or-rollback: unconfirmed, the
address comes back by itself; the change was backed up first ("network"), and the restore too ("restore")."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from dataclasses import replace

import pytest

from homeport.audit.log import Actor
from homeport.backups.restore import LiveRestore, RestoreParts
from homeport.network.model import InterfaceConfig, NetworkConfig
from homeport.network.service import NetworkService, Via
from homeport.services import Services
from tests.support.clock import FakeClock
from tests.support.network import FakeBackend, MovablePorts

ADMIN = Actor("alice", "192.168.1.57")
MANAGED = {"eth0": "02:00:00:00:00:01"}


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    running.run_until_complete(_drain())
    running.run_until_complete(running.shutdown_default_executor())  # the threads backups ran in
    running.close()


async def _drain() -> None:
    """Let deferred work due now start, then cancel whatever is left: nothing outlives the test."""
    await asyncio.sleep(0.01)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def static(network: NetworkService, address: str) -> NetworkConfig:
    eth0 = InterfaceConfig(
        "eth0", MANAGED["eth0"], "static", ipaddress.IPv4Interface(address), ipaddress.IPv4Address("192.168.1.1")
    )
    return replace(network.current(), interfaces=(eth0,))


def address(network: NetworkService) -> str:
    eth0 = network.current().interface("eth0")
    return str(eth0.address) if eth0 is not None else ""


def test_a_restore_that_moves_the_address_must_be_confirmed_or_rolls_back(
    services: Services, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    services.setup.run("nas", "alice", "correct horse battery staple", ADMIN)
    network = NetworkService(
        services.db, clock, FakeBackend(), services.device, services.audit, MANAGED, MovablePorts(), 120,
        answer_first_seconds=0, before_confirmed_change=services.backups.before,
    )  # fmt: skip
    loop.run_until_complete(network.start())
    loop.run_until_complete(network.apply(ADMIN, static(network, "192.168.1.20/24"), "first", None))
    [backup] = services.backups.create("manual", ADMIN)
    clock.advance(60)
    loop.run_until_complete(network.apply(ADMIN, static(network, "192.168.1.30/24"), "moved", None))
    restore = LiveRestore(
        RestoreParts(
            services.db, services.backups, network, services.device, services.settings, services.sessions,
            services.audit, lambda: backup.manifest["key_id"],
        )
    )  # fmt: skip
    assert restore.preview(backup.id).network_changes is True

    # The owner's browser talks to .30: restoring .20 would cut it off, so it must be confirmed from .20.
    outcome = loop.run_until_complete(restore.restore(ADMIN, backup.id, Via("192.168.1.30", 5001)))
    loop.run_until_complete(asyncio.sleep(0.05))
    assert outcome.network is not None and outcome.network.pending is not None and outcome.network.token
    assert address(network) == "192.168.1.20/24"
    reasons = sorted(b.reason for b in services.backups.backups())
    assert reasons == ["manual", "network", "restore"]  # before the restore, and before the confirmed change
    clock.advance(121)
    assert loop.run_until_complete(network.rollback_if_due()) is True
    assert address(network) == "192.168.1.30/24"  # not confirmed: the owner is where they were
    assert services.audit.query(action="backup.restored")[0].target == backup.id


def test_a_restore_confirmed_from_the_new_address_stays(
    services: Services, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    services.setup.run("nas", "alice", "correct horse battery staple", ADMIN)
    network = NetworkService(
        services.db, clock, FakeBackend(), services.device, services.audit, MANAGED, MovablePorts(), 120,
        answer_first_seconds=0,
    )  # fmt: skip
    loop.run_until_complete(network.start())
    loop.run_until_complete(network.apply(ADMIN, static(network, "192.168.1.20/24"), "first", None))
    [backup] = services.backups.create("manual", ADMIN)
    loop.run_until_complete(network.apply(ADMIN, static(network, "192.168.1.30/24"), "moved", None))
    restore = LiveRestore(
        RestoreParts(
            services.db, services.backups, network, services.device, services.settings, services.sessions,
            services.audit, lambda: "another device's key",
        )
    )  # fmt: skip
    assert restore.preview(backup.id).second_factors_kept is False
    outcome = loop.run_until_complete(restore.restore(ADMIN, backup.id, Via("192.168.1.30", 5001)))
    assert outcome.network is not None and outcome.network.token and not outcome.second_factors_kept
    loop.run_until_complete(asyncio.sleep(0.05))
    loop.run_until_complete(network.confirm(outcome.network.token, Via("192.168.1.20", 5001)))
    clock.advance(500)
    assert loop.run_until_complete(network.rollback_if_due()) is False
    assert address(network) == "192.168.1.20/24"
