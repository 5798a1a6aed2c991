"""The network page: live state, settings form, snapshots, and the walk to a new address (confirm-or-rollback)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from homeport.core.errors import Conflict, HomeportError
from homeport.http.network_inputs import ADDRESS_MAX, InterfaceIn, NetworkIn
from homeport.http.requests import services, via
from homeport.network.describe import describe, differences
from homeport.network.service import ApplyOutcome
from homeport.network.validate import parse_config
from homeport.web.flash import keep, recall
from homeport.web.forms import Submitted, handle, limits, run_form
from homeport.web.guard import Viewer, redirect, viewer
from homeport.web.render import render

SnapshotId = Annotated[int, Path(ge=1, le=2**62)]
router = APIRouter(include_in_schema=False)


@router.get("/network")
async def network_page(request: Request) -> Response:
    who = viewer(request, admin=True)
    network = services(request).network
    return render(
        request, "network.html", me=who.user, csrf=who.csrf,
        config=network.current(), current_id=network.current_id(),
        live={i.name: i for i in await network.live()},
        snapshots=network.snapshots(20), describe=describe,
        pending=network.pending(), backend=network.backend, ports_fixed=network.ports_fixed,
        limits={**limits(NetworkIn), **limits(InterfaceIn, entry_max=ADDRESS_MAX)},
    )  # fmt: skip


def _form_to_settings(form: Submitted, names: list[str]) -> dict[str, Any]:
    """The form's flat fields (`eth0.mode`, `eth0.address`, ...) as the API's settings shape."""

    def number(text: str, default: int) -> int | str:
        text = text.strip()
        return int(text) if text.isdigit() else (text or default)

    interfaces = []
    for name in names:
        interfaces.append(
            {
                "name": name,
                "mode": form.text(f"{name}.mode", "dhcp"),
                "address": form.text(f"{name}.address").strip() or None,
                "gateway": form.text(f"{name}.gateway").strip() or None,
                "dns": [d.strip() for d in form.text(f"{name}.dns").replace(",", " ").split() if d.strip()],
                "mtu": number(form.text(f"{name}.mtu"), 1500),
            }
        )
    return {
        "hostname": form.text("hostname").strip(),
        "interfaces": interfaces,
        "web": {"http": number(form.text("http"), 5000), "https": number(form.text("https"), 5001)},
    }


def _form_fields(fields: dict[str, str], names: list[str]) -> dict[str, str]:
    """`interfaces.0.address` -> `eth0.address`, as the form names its fields."""
    found = {}
    for key, problem in fields.items():
        parts = key.split(".")
        if parts[0] == "interfaces" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(names):
            found[f"{names[int(parts[1])]}.{parts[2]}"] = problem
        else:
            found[key.removeprefix("web.")] = problem
    return found


def _after_apply(request: Request, outcome: ApplyOutcome) -> str:
    """Applied at once, or a walk to the new address (its one-time links kept for this browser's next page)."""
    if outcome.pending is None:
        return "/network?done=network-applied"
    return "/network/walk?change=" + keep(request, outcome)


@router.post("/network")
async def network_apply(request: Request) -> Response:
    network = services(request).network

    async def act(who: Viewer, form: Submitted) -> str:
        names = sorted(network.managed)
        try:
            config = parse_config(_form_to_settings(form, names), network.managed)
        except HomeportError as exc:
            exc.fields = _form_fields(exc.fields, names)
            raise
        return _after_apply(request, await network.apply(who.actor, config, "changed in the console", via(request)))

    return await handle(request, act, back="/network", admin=True)


@router.get("/network/walk")
def walk_page(request: Request, change: str = "") -> Response:
    who = viewer(request, admin=True)
    outcome = recall(request, ApplyOutcome, change)
    if outcome is None or outcome.pending is None:
        return redirect("/network")
    return render(
        request, "network_walk.html", me=who.user, csrf=who.csrf, outcome=outcome,
        seconds=services(request).network.confirm_seconds,
    )  # fmt: skip


@router.get("/network/snapshots/{snapshot_id}")
def snapshot_page(request: Request, snapshot_id: SnapshotId) -> Response:
    """What a snapshot holds and what restoring it would change, with the button that does it."""
    who = viewer(request, admin=True)
    network = services(request).network
    snapshot = network.snapshot(snapshot_id)
    now = network.current()
    return render(
        request, "network_snapshot.html", me=who.user, csrf=who.csrf, snapshot=snapshot,
        current=network.current_id() == snapshot.id, holds=describe(snapshot.config),
        changes=differences(now, network.restored(snapshot_id)),
        renames=snapshot.config.hostname != now.hostname,
    )  # fmt: skip


@router.post("/network/snapshots/{snapshot_id}/restore")
async def network_restore(request: Request, snapshot_id: SnapshotId) -> Response:
    network = services(request).network

    async def act(who: Viewer, form: Submitted) -> str:
        rename = form.checked("rename")
        return _after_apply(request, await network.restore(who.actor, snapshot_id, via(request), rename=rename))

    return await handle(request, act, back=f"/network/snapshots/{snapshot_id}", admin=True)


@router.post("/network/interfaces/{name}/renew")
async def network_renew(request: Request, name: str) -> Response:
    network = services(request).network

    async def act(who: Viewer, _: Submitted) -> str:
        await network.renew(who.actor, name)
        return "/network?done=lease-renewed"

    return await handle(request, act, back="/network", admin=True)


@router.get("/network/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    """Reached through the new address (no session: cookies belong to the old one); the token authorises."""
    pending = services(request).network.pending()
    return render(request, "network_confirm.html", token=token, pending=pending)


@router.get("/network/confirmed")
def confirmed_page(request: Request) -> Response:
    return render(request, "network_confirm.html", token="", pending=None, confirmed=True)


@router.post("/network/confirm")
async def confirm_submit(request: Request) -> Response:
    network = services(request).network

    async def step(form: Submitted) -> str:
        target = via(request)
        if target is None:
            raise Conflict("Confirm from the browser.", code="confirm_from_new_address")
        await network.confirm(form.text("token"), target)
        return "/network/confirmed"

    return await run_form(request, step, back="/network/confirm", token_ok=lambda _: True)
