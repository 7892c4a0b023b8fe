"""One way into a handler: its transaction, its caller and the CSRF check.

Every handler of the API and the console that acts for a logged-in person
is declared with :func:`endpoint`, which, before the handler runs:

- opens the database transaction (``transaction``);
- resolves the caller (``who``): a user, an admin, or anyone, logged in or
  not (``401 not_authenticated``, ``403 admin_required`` otherwise);
- on a cookie-authenticated state change (any method but GET, HEAD and
  OPTIONS), checks that it comes from our own pages: the ``X-CSRF-Token``
  header under ``/api/``, the form's ``csrf_token`` field on the console,
  whose form is then read once, here, and handed to the handler.

A new route cannot forget any of them: the handler gets a :class:`Call`
with the caller in it, and ``tests/test_csrf_routes.py`` walks every route
to prove that no state change escapes the check.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from server.accounts.auth import CSRF_HEADER, SAFE_METHODS, Principal, authenticate, check_csrf
from server.meetings import lifecycle
from server.storage.models import User
from server.web.errors import ApiError
from server.web.forms import field, is_form_refusal, read_form
from server.web.services import Services, services

# "user": anyone logged in; "admin": an admin; "anyone": the caller may also
# be nobody (``Call.principal`` is then ``None``).
Who = Literal["user", "admin", "anyone"]
# "request": one transaction around the caller and the handler.
# "meeting": the same, in ``lifecycle.transaction`` (SQLite's writer queue;
#   the meeting events recorded go out once it commits).
# "none": the caller is resolved in a short transaction of its own; the
#   handler opens what it needs, when it needs it (it reads a body first,
#   counts an attempt, waits on an SMS gateway or a blob store).
Transaction = Literal["request", "meeting", "none"]
# The attribute that marks a handler as declared with :func:`endpoint`.
MARK = "tsunagu_endpoint"


@dataclass(eq=False)
class Call:
    """What a handler gets: the request, the services, the caller, and, for
    a console form post, the form (already CSRF-checked)."""

    request: Request
    services: Services
    principal: Principal | None
    form: FormData | None = None
    session: AsyncSession | None = None
    # Run once the handler's transaction has committed, in order: what must
    # not happen for a change that did not last (a login counter reset).
    committed: list[Callable[[], Awaitable[None]]] = dataclasses.field(default_factory=list)

    @property
    def db(self) -> AsyncSession:
        """The transaction the handler runs in."""
        if self.session is None:
            raise RuntimeError("declared with transaction='none': open a transaction")
        return self.session

    @property
    def user(self) -> User:
        """The logged-in user (never missing unless ``who="anyone"``)."""
        assert self.principal is not None
        return self.principal.user


Handler = Callable[[Call], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
# Renders the form's page again, with what was typed and why it was refused.
Refused = Callable[[Call, ApiError], Awaitable[Response]]


def endpoint(
    *, who: Who = "user", transaction: Transaction = "request", refused: Refused | None = None
) -> Callable[[Handler], Endpoint]:
    """Declare a Starlette endpoint whose handler takes a :class:`Call`.

    ``refused``: for console forms. When the handler refuses what was typed
    (see :func:`server.web.forms.is_form_refusal`), its transaction is
    rolled back and ``refused`` renders the page in a new one, with the
    error; any other error goes to the usual error handling.
    """

    def declare(handler: Handler) -> Endpoint:
        @functools.wraps(handler)
        async def run(request: Request) -> Response:
            shared = services(request)
            call: Call | None = None  # set once the caller is allowed in
            try:
                if transaction == "none":
                    async with shared.db.begin() as db:
                        call = await open_call(request, shared, db, who)
                    call.session = None
                    return await handler(call)
                async with opened(request, shared, transaction) as db:
                    call = await open_call(request, shared, db, who)
                    response = await handler(call)
                for after_commit in call.committed:
                    await after_commit()
                return response
            except ApiError as error:
                if refused is None or call is None or not is_form_refusal(error):
                    raise
                refusal = error
            # The caller was allowed in, and the form read, before the refusal.
            async with shared.db.begin() as db:
                again = await open_call(request, shared, db, who, checked=True)
                again.form = call.form
                return await refused(again, refusal)

        setattr(run, MARK, who)
        return run

    return declare


@contextlib.asynccontextmanager
async def opened(
    request: Request, shared: Services, transaction: Transaction
) -> AsyncIterator[AsyncSession]:
    if transaction == "meeting":
        async with lifecycle.transaction(request.app) as db:
            yield db
    else:
        async with shared.db.begin() as db:
            yield db


async def open_call(
    request: Request, shared: Services, db: AsyncSession, who: Who, *, checked: bool = False
) -> Call:
    """The caller, allowed in; and the form of a console post, CSRF-checked
    (unless ``checked``: it was, earlier in this request)."""
    principal = await authenticate(request, db)
    if who != "anyone":
        if principal is None:
            raise ApiError(401, "not_authenticated")
        if who == "admin" and not principal.user.is_admin:
            raise ApiError(403, "admin_required")
    call = Call(request, shared, principal, session=db)
    if checked or principal is None or request.method in SAFE_METHODS:
        return call
    if request.url.path.startswith("/api/"):
        # Bearer tokens are never sent by a browser on its own: no CSRF.
        if principal.session is not None:
            check_csrf(request, principal, request.headers.get(CSRF_HEADER, ""))
    else:
        call.form = await read_form(request, principal)
    return call


# A console page rendered again after a refused form post: with what was
# typed (``form``) and why it was refused (``error``).
Page = Callable[..., Awaitable[Response]]


def form_post(
    *, page: Page, fields: tuple[str, ...] = (), who: Who = "user"
) -> Callable[[Handler], Endpoint]:
    """Declare a console form post: the form read and CSRF-checked (in
    ``Call.form``); the handler validates and acts, then redirects with a
    flash message; when it refuses what was typed, ``page`` is rendered
    again with the message and the ``fields`` as they were typed."""

    async def refused(call: Call, error: ApiError) -> Response:
        typed = {name: field(call.form, name) for name in fields} if call.form is not None else {}
        return await page(call, form=typed, error=error)

    return endpoint(who=who, refused=refused)
