"""Apply, snapshots, restore and confirm-or-rollback, with a stand-in host network and a hand-moved clock."""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterator
from dataclasses import replace

import pytest

from homeport.audit.log import Actor
from homeport.core.errors import Conflict, OperationFailed, Unauthenticated
from homeport.network.model import InterfaceConfig, NetworkConfig, WebPorts
from homeport.network.service import NetworkService, Via
from homeport.services import Services
from tests.support.clock import FakeClock
from tests.support.network import FakeBackend, MovablePorts

ADMIN = Actor("alice", "192.168.1.57")
MANAGED = {"eth0": "02:00:00:00:00:01", "eth1": "02:00:00:00:00:02"}
OLD = Via("192.168.1.57", 5001)  # the DHCP address eth0 has on a fresh install


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    running = asyncio.new_event_loop()
    yield running
    # Let deferred work (timers due now) start, then cancel whatever is left: nothing outlives the test.
    running.run_until_complete(_drain())
    running.close()


async def _drain() -> None:
    await asyncio.sleep(0.01)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@pytest.fixture
def parts(services: Services, clock: FakeClock) -> tuple[NetworkService, FakeBackend, MovablePorts]:
    backend, ports = FakeBackend(), MovablePorts()
    network = NetworkService(
        services.db, clock, backend, services.device, services.audit, MANAGED, ports, 120, answer_first_seconds=0
    )
    return network, backend, ports


def settle(loop: asyncio.AbstractEventLoop) -> None:
    """Let a deferred apply (answer first, then apply) run."""
    loop.run_until_complete(asyncio.sleep(0.05))


def static_eth0(network: NetworkService, address: str = "192.168.1.20/24") -> NetworkConfig:
    current = network.current()
    eth0 = InterfaceConfig(
        "eth0", MANAGED["eth0"], "static", ipaddress.IPv4Interface(address), ipaddress.IPv4Address("192.168.1.1")
    )
    return replace(current, interfaces=tuple(eth0 if i.name == "eth0" else i for i in current.interfaces))


def test_a_fresh_install_is_dhcp_on_every_interface(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, backend, _ = parts
    loop.run_until_complete(network.start())
    assert [(i.name, i.mode, i.mtu) for i in network.current().interfaces] == [
        ("eth0", "dhcp", 1500),
        ("eth1", "dhcp", 1500),
    ]
    assert backend.applied[-1] == network.current()
    [first] = network.snapshots()
    assert first.id == 1 and first.reason.startswith("fresh install")


def test_a_change_from_the_cli_applies_at_once(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, backend, _ = parts
    loop.run_until_complete(network.start())
    outcome = loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", None))
    assert outcome.pending is None and outcome.snapshot_id == 2
    assert network.current().interface("eth0").mode == "static"  # type: ignore[union-attr]
    assert backend.applied[-1] == network.current()


def test_moving_the_admins_address_must_be_confirmed_from_the_new_one(
    parts: tuple[NetworkService, FakeBackend, MovablePorts],
    loop: asyncio.AbstractEventLoop,
    clock: FakeClock,
    services: Services,
) -> None:
    network, _, _ = parts
    loop.run_until_complete(network.start())
    outcome = loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", OLD))
    settle(loop)
    assert outcome.pending is not None and outcome.token
    assert outcome.pending.deadline == clock.now() + 120
    assert outcome.confirm_urls[0] == f"https://192.168.1.20:5001/network/confirm?token={outcome.token}"
    assert (
        outcome.confirm_urls[-1] == f"https://{services.device.name()}.local:5001/network/confirm?token={outcome.token}"
    )
    with pytest.raises(Conflict):  # one change at a time
        loop.run_until_complete(network.apply(ADMIN, static_eth0(network, "192.168.1.30/24"), "again", OLD))
    with pytest.raises(Unauthenticated):
        loop.run_until_complete(network.confirm("not the token", Via("192.168.1.20", 5001)))
    with pytest.raises(Conflict, match="new address"):
        loop.run_until_complete(network.confirm(outcome.token, Via("192.168.1.99", 5001)))
    loop.run_until_complete(network.confirm(outcome.token, Via("192.168.1.20", 5001)))
    assert network.pending() is None
    clock.advance(500)
    assert loop.run_until_complete(network.rollback_if_due()) is False
    assert network.current().interface("eth0").address == ipaddress.IPv4Interface("192.168.1.20/24")  # type: ignore[union-attr]


def test_an_unconfirmed_change_is_rolled_back_at_its_deadline(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop, clock: FakeClock
) -> None:
    network, backend, _ = parts
    loop.run_until_complete(network.start())
    before = network.current()
    outcome = loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", OLD))
    settle(loop)
    clock.advance(119)
    assert loop.run_until_complete(network.rollback_if_due()) is False
    clock.advance(1)
    assert loop.run_until_complete(network.rollback_if_due()) is True
    assert network.current() == before
    assert backend.applied[-1] == before
    assert network.pending() is None
    assert network.snapshots()[0].reason == f"rolled back: #{outcome.snapshot_id} not confirmed within 120 s"
    with pytest.raises(Unauthenticated):
        loop.run_until_complete(network.confirm(outcome.token or "", Via("192.168.1.20", 5001)))


def test_a_restart_during_a_pending_change_keeps_the_deadline(
    parts: tuple[NetworkService, FakeBackend, MovablePorts],
    services: Services,
    clock: FakeClock,
    loop: asyncio.AbstractEventLoop,
) -> None:
    network, _, ports = parts
    loop.run_until_complete(network.start())
    before = network.current()
    loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", OLD))
    restarted = NetworkService(services.db, clock, FakeBackend(), services.device, services.audit, MANAGED, ports, 120)
    loop.run_until_complete(restarted.start())
    assert restarted.pending() is not None  # still waiting: the deadline has not passed
    clock.advance(121)
    again = NetworkService(services.db, clock, FakeBackend(), services.device, services.audit, MANAGED, ports, 120)
    loop.run_until_complete(again.start())
    assert again.pending() is None and again.current() == before


def test_a_change_that_fails_to_apply_is_reverted(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, backend, _ = parts
    loop.run_until_complete(network.start())
    before = network.current()
    backend.fail_next = True
    with pytest.raises(OperationFailed, match="nothing changed"):
        loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", None))
    assert network.current() == before and backend.applied[-1] == before
    assert network.snapshots()[0].reason.startswith("reverted")


def test_restore_an_older_snapshot(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, _, _ = parts
    loop.run_until_complete(network.start())
    loop.run_until_complete(network.apply(ADMIN, static_eth0(network, "192.168.1.20/24"), "first", None))
    loop.run_until_complete(network.apply(ADMIN, static_eth0(network, "192.168.1.30/24"), "second", None))
    outcome = loop.run_until_complete(network.restore(ADMIN, 2, None))
    assert outcome.snapshot_id == 4
    assert network.current().interface("eth0").address == ipaddress.IPv4Interface("192.168.1.20/24")  # type: ignore[union-attr]
    assert network.snapshots()[0].reason == "restore of snapshot #2"


def test_a_port_change_moves_the_listeners_and_needs_confirmation(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, _, ports = parts
    loop.run_until_complete(network.start())
    moved = replace(network.current(), web=WebPorts(http=8080, https=8443))
    outcome = loop.run_until_complete(network.apply(ADMIN, moved, "ports", OLD))
    settle(loop)
    assert ports.moves[-1] == WebPorts(8080, 8443)
    assert outcome.pending is not None
    with pytest.raises(Conflict):
        loop.run_until_complete(network.confirm(outcome.token or "", Via("192.168.1.57", 5001)))
    loop.run_until_complete(network.confirm(outcome.token or "", Via("192.168.1.57", 8443)))


def test_a_hostname_change_renames_the_device(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], services: Services, loop: asyncio.AbstractEventLoop
) -> None:
    network, _, _ = parts
    loop.run_until_complete(network.start())
    loop.run_until_complete(network.apply(ADMIN, replace(network.current(), hostname="office"), "rename", None))
    assert services.device.name() == "office"


def test_changes_elsewhere_or_through_loopback_need_no_confirmation(
    parts: tuple[NetworkService, FakeBackend, MovablePorts], loop: asyncio.AbstractEventLoop
) -> None:
    network, _, _ = parts
    loop.run_until_complete(network.start())
    current = network.current()
    eth1 = InterfaceConfig("eth1", MANAGED["eth1"], "static", ipaddress.IPv4Interface("10.9.0.2/24"))
    elsewhere = replace(current, interfaces=tuple(eth1 if i.name == "eth1" else i for i in current.interfaces))
    assert loop.run_until_complete(network.apply(ADMIN, elsewhere, "eth1", OLD)).pending is None
    assert (
        loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "lo", Via("127.0.0.1", 5001))).pending
        is None
    )


def test_a_change_that_cuts_the_connection_is_answered_before_it_is_applied(
    services: Services, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    backend = FakeBackend()
    network = NetworkService(
        services.db,
        clock,
        backend,
        services.device,
        services.audit,
        MANAGED,
        MovablePorts(),
        120,
        answer_first_seconds=0.2,
    )
    loop.run_until_complete(network.start())
    before = network.current()
    outcome = loop.run_until_complete(network.apply(ADMIN, static_eth0(network), "test", OLD))
    assert outcome.pending is not None
    assert backend.applied[-1] == before  # the browser gets its answer through the old address first
    loop.run_until_complete(asyncio.sleep(0.3))
    assert backend.applied[-1] == network.current() != before


def test_with_the_virtual_backend_only_a_port_move_needs_confirmation(
    services: Services, clock: FakeClock, loop: asyncio.AbstractEventLoop
) -> None:
    from homeport.network.backends.virtual import VirtualBackend
    from tests.support.fakes import StaticInterfaces

    ports = MovablePorts()
    network = NetworkService(
        services.db, clock, VirtualBackend(StaticInterfaces(), ["eth0"]), services.device, services.audit,
        {"eth0": "02:11:22:33:44:55"}, ports, 120, answer_first_seconds=0,
    )  # fmt: skip
    loop.run_until_complete(network.start())
    through_host = Via("192.168.1.20", 5001)  # the host's real address, which the virtual backend never changes
    moved = static_eth0(network)
    moved = replace(
        moved, interfaces=tuple(replace(i, mac="02:11:22:33:44:55") for i in moved.interfaces if i.name == "eth0")
    )
    assert loop.run_until_complete(network.apply(ADMIN, moved, "kept only", through_host)).pending is None
    new_ports = replace(network.current(), web=WebPorts(http=8080, https=8443))
    assert loop.run_until_complete(network.apply(ADMIN, new_ports, "ports", through_host)).pending is not None
