"""Admin pages: the shared memo's templates, which a host inserts into an
empty memo at the start of a call (seed 001: a template set beforehand)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.meetings import memo
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field


async def templates_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    context = {
        "templates": await memo.list_templates(call.db),
        "form": form or {},
        "error": error.message(request_locale(request)) if error else "",
        "max_chars": memo.MAX_TEMPLATE_CHARS,
    }
    status = error.status if error else 200
    return render(
        request, "console/memo_templates.html", context, principal=call.principal, status=status
    )


async def template_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    request = call.request
    template = await memo.get_template(call.db, request.path_params["template_id"])
    context = {
        "template": template,
        "form": form or {"name": template.name, "body": template.body},
        "error": error.message(request_locale(request)) if error else "",
        "max_chars": memo.MAX_TEMPLATE_CHARS,
    }
    status = error.status if error else 200
    return render(
        request, "console/memo_template.html", context, principal=call.principal, status=status
    )


@endpoint(who="admin")
async def show_templates(call: Call) -> Response:
    return await templates_page(call)


@endpoint(who="admin")
async def show_template(call: Call) -> Response:
    return await template_page(call)


@form_post(page=templates_page, fields=("name", "body"), who="admin")
async def add_template(call: Call) -> Response:
    form = call.form
    created = await memo.create_template(call.db, field(form, "name"), field(form, "body"))
    return redirect(
        call.request, "/admin/memo-templates", "flash.memo_template_created", name=created.name
    )


@form_post(page=template_page, fields=("name", "body"), who="admin")
async def change_template(call: Call) -> Response:
    request, form = call.request, call.form
    template = await memo.get_template(call.db, request.path_params["template_id"])
    name = template.name
    if field(form, "action") == "delete":
        await memo.delete_template(call.db, template)
        return redirect(request, "/admin/memo-templates", "flash.memo_template_deleted", name=name)
    await memo.update_template(call.db, template, field(form, "name"), field(form, "body"))
    return redirect(
        request, "/admin/memo-templates", "flash.memo_template_saved", name=template.name
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/admin/memo-templates", show_templates, methods=["GET"]),
        Route("/admin/memo-templates", add_template, methods=["POST"]),
        Route("/admin/memo-templates/{template_id:id}", show_template, methods=["GET"]),
        Route("/admin/memo-templates/{template_id:id}", change_template, methods=["POST"]),
    ]
