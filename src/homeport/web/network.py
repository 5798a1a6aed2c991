"""The network page: live state, settings form, snapshots, and the walk to a new address (confirm-or-rollback)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from homeport.core.errors import Conflict, HomeportError
from homeport.http.errors import status_of
from homeport.http.requests import services, via
from homeport.network.service import ApplyOutcome
from homeport.network.validate import parse_config
from homeport.web.guard import Viewer, check_form_token, redirect, viewer
from homeport.web.render import render

SnapshotId = Annotated[int, Path(ge=1, le=2**62)]
router = APIRouter(include_in_schema=False)


async def _page(request: Request, who: Viewer, status: int = 200, **extra: Any) -> Response:
    network = services(request).network
    context: dict[str, Any] = {
        "config": network.current(),
        "live": {i.name: i for i in await network.live()},
        "snapshots": network.snapshots(20),
        "pending": network.pending(),
        "backend": network.backend,
        "ports_fixed": network.ports_fixed,
    }
    context.update(extra)
    return render(request, "network.html", status, me=who.user, csrf=who.csrf, **context)


@router.get("/network")
async def network_page(request: Request) -> Response:
    return await _page(request, viewer(request, admin=True))


def _form_to_settings(form: dict[str, str], names: list[str]) -> dict[str, Any]:
    """The form's flat fields (`eth0.mode`, `eth0.address`, ...) as the API's settings shape."""

    def number(text: str, default: int) -> int | str:
        text = text.strip()
        return int(text) if text.isdigit() else (text or default)

    interfaces = []
    for name in names:
        interfaces.append(
            {
                "name": name,
                "mode": form.get(f"{name}.mode", "dhcp"),
                "address": form.get(f"{name}.address", "").strip() or None,
                "gateway": form.get(f"{name}.gateway", "").strip() or None,
                "dns": [d.strip() for d in form.get(f"{name}.dns", "").replace(",", " ").split() if d.strip()],
                "mtu": number(form.get(f"{name}.mtu", ""), 1500),
            }
        )
    return {
        "hostname": form.get("hostname", "").strip(),
        "interfaces": interfaces,
        "web": {"http": number(form.get("http", ""), 5000), "https": number(form.get("https", ""), 5001)},
    }


def _form_fields(exc: HomeportError, names: list[str]) -> dict[str, str]:
    """`interfaces.0.address` -> `eth0.address`, as the form names its fields."""
    fields = {}
    for key, problem in exc.fields.items():
        parts = key.split(".")
        if parts[0] == "interfaces" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(names):
            fields[f"{names[int(parts[1])]}.{parts[2]}"] = problem
        else:
            fields[key.removeprefix("web.")] = problem
    return fields


async def _after_apply(request: Request, who: Viewer, outcome: ApplyOutcome) -> Response:
    if outcome.pending is None:
        return redirect("/network?done=network-applied")
    return render(
        request, "network_walk.html", me=who.user, csrf=who.csrf, outcome=outcome,
        seconds=services(request).network.confirm_seconds,
    )  # fmt: skip


@router.post("/network")
async def network_apply(request: Request) -> Response:
    who = viewer(request, admin=True)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    check_form_token(who, form.get("csrf_token", ""))
    network = services(request).network
    names = sorted(network.managed)
    try:
        config = parse_config(_form_to_settings(form, names), network.managed)
        outcome = await network.apply(who.actor, config, "changed in the console", via(request))
    except HomeportError as exc:
        return await _page(request, who, status_of(exc), errors=_form_fields(exc, names), error=exc.message, form=form)
    return await _after_apply(request, who, outcome)


@router.post("/network/snapshots/{snapshot_id}/restore")
async def network_restore(request: Request, snapshot_id: SnapshotId) -> Response:
    who = viewer(request, admin=True)
    form = await request.form()
    check_form_token(who, str(form.get("csrf_token", "")))
    try:
        outcome = await services(request).network.restore(who.actor, snapshot_id, via(request))
    except HomeportError as exc:
        return await _page(request, who, status_of(exc), error=exc.message)
    return await _after_apply(request, who, outcome)


@router.post("/network/interfaces/{name}/renew")
async def network_renew(request: Request, name: str) -> Response:
    who = viewer(request, admin=True)
    form = await request.form()
    check_form_token(who, str(form.get("csrf_token", "")))
    try:
        await services(request).network.renew(who.actor, name)
    except HomeportError as exc:
        return await _page(request, who, status_of(exc), error=exc.message)
    return redirect("/network?done=lease-renewed")


@router.get("/network/confirm")
def confirm_page(request: Request, token: str = "") -> Response:
    """Reached through the new address (no session: cookies belong to the old one); the token authorises."""
    pending = services(request).network.pending()
    return render(request, "network_confirm.html", token=token, pending=pending)


@router.post("/network/confirm")
async def confirm_submit(request: Request) -> Response:
    form = await request.form()
    target = via(request)
    try:
        if target is None:
            raise Conflict("Confirm from the browser.", code="confirm_from_new_address")
        await services(request).network.confirm(str(form.get("token", "")), target)
    except HomeportError as exc:
        return render(request, "network_confirm.html", status_of(exc), token="", pending=None, error=exc.message)
    return render(request, "network_confirm.html", token="", pending=None, confirmed=True)
