"""Admin page: the rules for files sent in meetings (issue #15): who may
send, and what is refused by extension or by content."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.meetings import files
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field


async def policy_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    rules = await files.policy(call.db)
    shown = {
        "senders": rules.senders,
        "guest_executables": "on" if rules.guest_executables_blocked else "",
        "extensions": "\n".join(rules.blocked_extensions),
        "types": "\n".join(rules.blocked_types),
    }
    context = {
        "form": {**shown, **(form or {})},
        "error": error.message(request_locale(request)) if error else "",
        "max_mb": call.services.settings.file_max_mb,
        "senders": files.SENDERS,
        "executables": ", ".join(files.EXECUTABLE_EXTENSIONS),
    }
    status = error.status if error else 200
    return render(request, "console/files.html", context, principal=call.principal, status=status)


@endpoint(who="admin")
async def show_policy(call: Call) -> Response:
    return await policy_page(call)


@form_post(
    page=policy_page, fields=("senders", "guest_executables", "extensions", "types"), who="admin"
)
async def save_policy(call: Call) -> Response:
    form = call.form
    senders = field(form, "senders")
    if senders not in files.SENDERS:
        raise ApiError(422, "invalid_request")
    await files.save_policy(
        call.db,
        senders=senders,
        guest_executables_blocked=field(form, "guest_executables") == "on",
        blocked_extensions=files.parse_list(field(form, "extensions"), kind="extensions"),
        blocked_types=files.parse_list(field(form, "types"), kind="types"),
        by=call.user,
    )
    return redirect(call.request, "/admin/files", "flash.file_policy_saved")


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/files", show_policy, methods=["GET"]),
        Route("/admin/files", save_policy, methods=["POST"]),
    ]
