"""Reading console form posts: bounded in size, CSRF-checked."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request

from server.auth import Principal, check_form_csrf
from server.errors import ApiError

MAX_FIELD_BYTES = 16 * 1024


async def read_form(request: Request, principal: Principal | None) -> FormData:
    """The posted form, after checking it came from our own page."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        raise ApiError(415, "unsupported_media_type")
    form = await request.form(max_files=0, max_fields=50, max_part_size=MAX_FIELD_BYTES)
    if principal is not None:
        check_form_csrf(request, principal, form)
    return form


def field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""
