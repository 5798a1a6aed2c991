"""Accounts: administrators manage them; guardrails answer 409 with the reason."""

from __future__ import annotations

from fastapi import APIRouter, Response

from homeport.accounts.models import UserChanges
from homeport.api.deps import Admin, Paging, ServicesDep, total_count
from homeport.api.errors import documented
from homeport.api.schemas import UserFactorsOut, UserOut
from homeport.auth.factors import policy_applies
from homeport.http.inputs import AdminProofIn, PasswordSetIn, UserCreateIn, UserPatchIn

router = APIRouter(prefix="/users", tags=["users"])
NAME_PATH = "{name}"


@router.get(
    "",
    response_model=list[UserOut],
    responses=documented(401, 403, 422),
    summary="Accounts, a page at a time (`X-Total-Count` has the total); sort by name, full_name, created_at or "
    "enabled; `q` searches names and emails",
)
def list_users(_: Admin, svc: ServicesDep, paging: Paging, response: Response) -> list[UserOut]:
    page = svc.accounts.page_users(paging)
    total_count(response, page.total)
    return [UserOut.of(u) for u in page.items]


@router.post(
    "",
    status_code=201,
    response_model=UserOut,
    responses=documented(400, 401, 403, 409, 422, 503),
    summary="Create an account",
)
def create_user(body: UserCreateIn, caller: Admin, svc: ServicesDep) -> UserOut:
    new = svc.accounts.prepare_user(
        body.name,
        body.password,
        full_name=body.full_name,
        email=body.email,
        groups=tuple(body.groups),
        must_change_password=body.must_change_password,
    )
    return UserOut.of(svc.accounts.create_user(caller.actor, new))


@router.get(f"/{NAME_PATH}", response_model=UserOut, responses=documented(401, 403, 404), summary="One account")
def get_user(name: str, _: Admin, svc: ServicesDep) -> UserOut:
    return UserOut.of(svc.accounts.get_user(name))


@router.patch(
    f"/{NAME_PATH}",
    response_model=UserOut,
    responses=documented(400, 401, 403, 404, 409, 422),
    summary="Change full name, email, enabled or groups (admin rights are membership of `administrators`)",
)
def patch_user(name: str, body: UserPatchIn, caller: Admin, svc: ServicesDep) -> UserOut:
    changes = UserChanges(
        full_name=body.full_name,
        email=body.email,
        enabled=body.enabled,
        groups=None if body.groups is None else tuple(body.groups),
    )
    return UserOut.of(svc.accounts.update_user(caller.actor, name, changes))


@router.delete(f"/{NAME_PATH}", status_code=204, responses=documented(401, 403, 404, 409), summary="Delete an account")
def delete_user(name: str, caller: Admin, svc: ServicesDep) -> Response:
    svc.accounts.delete_user(caller.actor, name)
    return Response(status_code=204)


@router.get(
    f"/{NAME_PATH}/factors",
    response_model=UserFactorsOut,
    responses=documented(401, 403, 404),
    summary="An account's sign-in methods (what it has, not the secrets)",
)
def get_user_factors(name: str, caller: Admin, svc: ServicesDep) -> UserFactorsOut:  # noqa: ARG001 - admins only
    user = svc.accounts.get_user(name)
    summary = svc.factors.summary(user.id)
    return UserFactorsOut(
        user=user.name, totp=summary.totp, passkeys=summary.passkeys, recovery_codes_left=summary.recovery_codes_left,
        suspended=summary.suspended, required=policy_applies(user, svc.settings.security()),
    )  # fmt: skip


@router.delete(
    f"/{NAME_PATH}/factors",
    status_code=204,
    responses=documented(401, 403, 404, 422, 429),
    summary="Remove every second factor of an account (it lost them), after re-entering your own password",
)
def delete_user_factors(name: str, body: AdminProofIn, caller: Admin, svc: ServicesDep) -> Response:
    svc.credentials.clear_factors_for(caller.actor, caller.user, body.admin_password, name)
    return Response(status_code=204)


@router.put(
    f"/{NAME_PATH}/password",
    status_code=204,
    responses=documented(400, 401, 403, 404, 422, 429, 503),
    summary="Set an account's password, after re-entering your own (`admin_password`)",
)
def set_password(name: str, body: PasswordSetIn, caller: Admin, svc: ServicesDep) -> Response:
    svc.credentials.set_for(
        caller.actor,
        caller.user,
        body.admin_password,
        name,
        body.password,
        must_change=body.must_change_password,
        keep_session=caller.session.id if caller.session else None,
    )
    return Response(status_code=204)
