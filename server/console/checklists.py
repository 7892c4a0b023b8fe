"""Admin pages: the checklists (事前チェックリスト) a host opens in a meeting
in IT重説 mode and ticks with the customer (seed 000)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.meetings import checklists
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field

PATH = "/admin/checklists"


def limits() -> dict[str, int]:
    return {"title_length": checklists.TITLE_LENGTH}


async def checklists_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    context = {
        "checklists": await checklists.list_checklists(call.db),
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
        **limits(),
    }
    status = error.status if error else 200
    return render(
        request, "console/checklists.html", context, principal=call.principal, status=status
    )


async def checklist_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    checklist = await checklists.get_checklist(call.db, request.path_params["checklist_id"])
    context = {
        "checklist": checklist,
        "form": form or {"title": checklist.title, "items": "\n".join(checklist.items)},
        "error": error.message(request_locale(request)) if error else "",
        **limits(),
    }
    status = error.status if error else 200
    return render(
        request, "console/checklist.html", context, principal=call.principal, status=status
    )


@endpoint(who="admin")
async def show_checklists(call: Call) -> Response:
    return await checklists_page(call)


@endpoint(who="admin")
async def show_checklist(call: Call) -> Response:
    return await checklist_page(call)


@form_post(page=checklists_page, fields=("title", "items"), who="admin")
async def add_checklist(call: Call) -> Response:
    form = call.form
    created = await checklists.create_checklist(
        call.db, field(form, "title"), checklists.items_from_text(field(form, "items"))
    )
    return redirect(call.request, PATH, "flash.checklist_created", name=created.title)


@form_post(page=checklist_page, fields=("title", "items"), who="admin")
async def change_checklist(call: Call) -> Response:
    request, form = call.request, call.form
    checklist = await checklists.get_checklist(call.db, request.path_params["checklist_id"])
    title = checklist.title
    if field(form, "action") == "delete":
        await checklists.delete_checklist(call.db, checklist)
        return redirect(request, PATH, "flash.checklist_deleted", name=title)
    await checklists.update_checklist(
        call.db, checklist, field(form, "title"), checklists.items_from_text(field(form, "items"))
    )
    return redirect(request, PATH, "flash.checklist_saved", name=checklist.title)


def routes() -> list[BaseRoute]:
    return [
        Route(PATH, show_checklists, methods=["GET"]),
        Route(PATH, add_checklist, methods=["POST"]),
        Route(PATH + "/{checklist_id:id}", show_checklist, methods=["GET"]),
        Route(PATH + "/{checklist_id:id}", change_checklist, methods=["POST"]),
    ]
