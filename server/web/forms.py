"""Reading form posts (the console's): bounded in size, CSRF-checked."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import ClientDisconnect, Request

from server.accounts.auth import Principal, check_form_csrf
from server.web.errors import ApiError

MAX_FIELD_BYTES = 16 * 1024


async def read_form(request: Request, principal: Principal | None) -> FormData:
    """The posted form, after checking it came from our own page."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise ApiError(415, "unsupported_media_type")
    try:
        form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FIELD_BYTES)
    except ClientDisconnect:
        raise ApiError(400, "bad_request") from None
    if principal is not None:
        check_form_csrf(request, principal, form)
    return form


def field(form: FormData, name: str) -> str:
    """A text field, with control characters other than line breaks and tabs
    removed: browsers never send them, and PostgreSQL cannot store NUL."""
    value = form.get(name, "")
    if not isinstance(value, str):
        return ""
    return "".join(c for c in value if c in "\n\r\t" or not (ord(c) < 32 or 127 <= ord(c) < 160))


def is_form_refusal(error: ApiError) -> bool:
    """Refusals of what was typed (a taken name, a bad origin, too many
    attempts) are shown beside the form; anything else (not logged in, a
    stale CSRF token, a malformed post) goes to the usual error handling."""
    return error.status in (409, 422, 429)
