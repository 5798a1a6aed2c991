"""Console forms as one flow: who is asking, the form token, the fields parsed through the API's own input
models, then always a 303 redirect, so a reload never sends a form again: to the next page on success, or back
to the form's page, which shows every problem next to its field with what was typed (never a secret).

    @router.post("/groups")
    async def groups_create(request: Request) -> Response:
        def act(who: Viewer, form: Submitted) -> str:
            body = parse(GroupCreateIn, form.pick("name", "description"))
            services(request).accounts.create_group(who.actor, body.name, body.description)
            return "/groups?done=group-created"

        return await handle(request, act, back="/groups", admin=True)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import Request
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import Response

from homeport.core.errors import Busy, HomeportError, InvalidInput, NotFound, TooManyAttempts
from homeport.core.ids import same_secret
from homeport.http.errors import field_problems, status_of
from homeport.web.flash import Failure, back_to, owner_of
from homeport.web.guard import Redirect, Viewer, redirect, viewer

Model = TypeVar("Model", bound=BaseModel)

TOKEN_FIELD = "csrf_token"  # noqa: S105 - the name of a form field
FORM_ID_FIELD = "form_id"
PAGE_FIELD = "page"  # the path of the page that held the form
# Never written back into a page: what was typed there stays with the person who typed it.
SECRET_FIELDS = frozenset(
    {
        TOKEN_FIELD,
        FORM_ID_FIELD,
        PAGE_FIELD,
        "password",
        "password_again",
        "current_password",
        "new_password",
        "new_password_again",
        "admin_password",
        "factors_admin_password",
        "restore_password",
        "restore_password_again",
        "passphrase",
        "passphrase_again",
        "passphrase_password",
        "leave_out_password",
        "download_password",
        "verify_passphrase",
        "token",
    }
)
EXPIRED_FORM = (
    "This form had expired (the page was open a long time, or you signed in again elsewhere). Nothing was saved; "
    "check the fields and send it again."
)
NOT_SAVED = "Nothing was saved; see the fields."


@dataclass(frozen=True)
class Submitted:
    """A posted form: single values as typed, and every value of the fields that repeat (check box groups)."""

    values: dict[str, str]
    lists: dict[str, list[str]]

    @classmethod
    def of(cls, data: FormData) -> Submitted:
        values: dict[str, str] = {}
        lists: dict[str, list[str]] = {}
        for key, value in data.multi_items():
            if isinstance(value, str):  # an uploaded file has no place in these forms
                values.setdefault(key, value)
                lists.setdefault(key, []).append(value)
        return cls(values, lists)

    def text(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def checked(self, name: str) -> bool:
        """A check box: present when ticked, absent otherwise (never the model's default)."""
        return name in self.values

    def every(self, name: str) -> list[str]:
        return list(self.lists.get(name, []))

    def pick(self, *names: str) -> dict[str, str]:
        return {name: self.values[name] for name in names if name in self.values}

    def kept(self) -> dict[str, Any]:
        """What the page shows again after a failure: everything typed except secrets; `name[]` holds every
        value of a field (the ticked boxes of a group)."""
        shown: dict[str, Any] = {k: v for k, v in self.values.items() if k not in SECRET_FIELDS}
        shown.update({f"{k}[]": v for k, v in self.lists.items() if k not in SECRET_FIELDS})
        return shown


def parse(model: type[Model], data: Mapping[str, Any], *, depth: int = 1) -> Model:
    """Form text through an API input model, leniently typed ("12" is 12, a ticked box is true); a problem is
    reported under the form's field name, as the API would report it under the body's."""
    try:
        return model.model_validate(dict(data), strict=False)
    except ValidationError as exc:
        raise InvalidInput(NOT_SAVED, fields=field_problems(list(exc.errors()), depth=depth)) from None


ENTRY_SEPARATOR_MAX = 2  # a list typed as text: ", " between entries, or a line break a browser counts as two


def limits(model: type[BaseModel], *, entry_max: int | None = None) -> dict[str, int]:
    """Each text field's maximum length, for the page's `maxlength` (the same bound the server checks). A list
    typed as text (an entry a line, or separated on one line) holds at most its number of entries, each at most
    `entry_max` long (the bound the service checks) with a separator; without `entry_max` a list gets none."""
    found: dict[str, int] = {}
    for name, info in model.model_fields.items():
        bound = _max_length(info.metadata)
        if bound is not None and not _is_list(info.annotation):
            found[name] = bound
        elif bound is not None and entry_max is not None:
            found[name] = bound * (entry_max + ENTRY_SEPARATOR_MAX)
    return found


def _max_length(rules: Iterable[Any]) -> int | None:
    # pydantic keeps `Field(max_length=...)` as a rule with that attribute
    bounds = [getattr(rule, "max_length", None) for rule in rules]
    return next((bound for bound in bounds if isinstance(bound, int)), None)


def _is_list(annotation: Any) -> bool:
    """A list, or an optional one."""
    if get_origin(annotation) in (Union, UnionType):
        return any(_is_list(arg) for arg in get_args(annotation))
    return get_origin(annotation) is list


def token_matches(who: Viewer, form: Submitted) -> bool:
    sent = form.text(TOKEN_FIELD)
    return bool(sent) and same_secret(sent, who.csrf)


Action = Callable[[Viewer, Submitted], "str | Response | Awaitable[str | Response]"]


class Submissions:
    """Each console form carries a one-time `form_id`: the same form sent twice (a double click, a reload of a
    slow answer) is done once, and the second send goes where the first went."""

    def __init__(self, *, keep_seconds: float = 600.0, limit: int = 4096) -> None:
        self._keep_seconds = keep_seconds
        self._limit = limit
        self._seen: OrderedDict[tuple[str, str], tuple[float, asyncio.Future[str]]] = OrderedDict()

    def claim(self, owner: str, form_id: str) -> asyncio.Future[str] | None:
        """None for a first send (the caller must `finish` it); else the first send's outcome, maybe pending."""
        now = time.monotonic()
        while self._seen and (next(iter(self._seen.values()))[0] < now or len(self._seen) > self._limit):
            self._seen.popitem(last=False)
        found = self._seen.get((owner, form_id))
        if found is not None:
            return found[1]
        self._seen[(owner, form_id)] = (now + self._keep_seconds, asyncio.get_running_loop().create_future())
        return None

    def finish(self, owner: str, form_id: str, location: str) -> None:
        found = self._seen.get((owner, form_id))
        if found is not None and not found[1].done():
            found[1].set_result(location)

    def forget(self, owner: str, form_id: str) -> None:
        """An outcome that cannot be replayed (a page rendered in place): the next send runs again."""
        found = self._seen.pop((owner, form_id), None)
        if found is not None and not found[1].done():
            found[1].cancel()


def submissions(request: Request) -> Submissions:
    found: Submissions = request.app.state.submissions  # made by the console's install()
    return found


async def _settle(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def failure_of(error: HomeportError, form: Submitted) -> Failure:
    headers = {"Retry-After": str(error.retry_after)} if isinstance(error, TooManyAttempts | Busy) else {}
    return Failure(status_of(error), error.message, error.fields, form.kept(), headers)


Step = Callable[[Submitted], "str | Response | Awaitable[str | Response]"]


async def _run(request: Request, step: Step, form: Submitted, back: str, token_ok: bool) -> str | Response:
    if not token_ok:
        return back_to(request, back, Failure(403, EXPIRED_FORM, {}, form.kept()))
    try:
        if inspect.iscoroutinefunction(step):
            outcome: str | Response = await step(form)
        else:
            outcome = await _settle(await run_in_threadpool(step, form))
    except NotFound:
        raise
    except HomeportError as exc:
        return back_to(request, back, failure_of(exc, form))
    return outcome


async def run_form(
    request: Request, step: Step, *, back: str | Callable[[Submitted], str], token_ok: Callable[[Submitted], bool]
) -> Response:
    """The flow under every console form, signed in or not (sign-in, setup): done once however often it is
    sent; where to go next on success; back to its page (`back`) with the failure on error."""
    form = Submitted.of(await request.form())
    target = back(form) if callable(back) else back
    form_id = form.text(FORM_ID_FIELD)
    owner = owner_of(request)
    seen = submissions(request)
    earlier = seen.claim(owner, form_id) if form_id else None
    if earlier is not None:
        with contextlib.suppress(asyncio.CancelledError):
            return redirect(await asyncio.shield(earlier))
    try:
        outcome = await _run(request, step, form, target, token_ok(form))
    except BaseException:
        if form_id:
            seen.forget(owner, form_id)
        raise
    if form_id:
        if isinstance(outcome, str):
            seen.finish(owner, form_id, outcome)
        else:
            seen.forget(owner, form_id)
    return redirect(outcome) if isinstance(outcome, str) else outcome


def _back_after_sign_in(location: str, form: Submitted) -> str:
    """A form sent after its session ended goes to sign-in, then back to the page that held it (its `page`
    field), where the browser fills in what was typed again; not to the address the form was sent to."""
    page = form.text(PAGE_FIELD)
    if not location.startswith("/login?next="):
        return location
    query = dict(parse_qsl(urlsplit(location).query))
    if page.startswith("/") and not page.startswith("//"):
        query["next"] = page
    if form.text(TOKEN_FIELD):  # the form came from a signed-in page: its session has ended, say so
        query["done"] = "expired"
    return "/login?" + urlencode(query)


async def handle(
    request: Request, act: Action, *, back: str, admin: bool = False, allow_restricted: bool = False
) -> Response:
    """Run a signed-in console form. `act` returns where to go next (or, rarely, a response); a failure goes
    `back` to the form's page, which shows it. A synchronous `act` runs in a worker thread (it may hash a
    password); `NotFound` shows the 404 page."""
    try:
        who = viewer(request, admin=admin, allow_restricted=allow_restricted)
    except Redirect as exc:
        raise Redirect(_back_after_sign_in(exc.location, Submitted.of(await request.form()))) from None
    return await run_form(
        request, functools.partial(act, who), back=back, token_ok=functools.partial(token_matches, who)
    )
