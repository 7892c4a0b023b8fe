"""The host's business card (名刺) in the console: ``/account/card``, the
form with a live preview of the card as the guest sees it, and the
picture of the paper card (uploaded by ``server/static/card_edit.js``
through ``PUT /api/v1/me/card/image``)."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from capture.card_image import MAX_BYTES
from server.accounts import cards
from server.console.rendering import redirect, render
from server.i18n.locales import request_locale
from server.web.endpoints import Call, endpoint, form_post
from server.web.errors import ApiError
from server.web.forms import field


async def card_page(
    call: Call, *, form: dict[str, str] | None = None, error: ApiError | None = None
) -> Response:
    """The card's page; after a refused save, with what was typed."""
    card = await cards.find(call.db, call.user.id)
    if form is not None:
        values = form
    elif card is not None:
        values = {name: getattr(card, name) for name in cards.FIELDS}
    else:
        values = cards.blank(call.user)
    wrong = error.details[0]["field"] if error and error.details else None
    context = {
        "card": card,
        "values": values,
        "fields": cards.FIELDS,
        "limits": cards.LIMITS,
        "wrong_field": wrong,
        "image_limit_mb": MAX_BYTES // 2**20,
        "error": error.message(request_locale(call.request)) if error else "",
    }
    return render(
        call.request,
        "console/card.html",
        context,
        principal=call.principal,
        status=error.status if error else 200,
        headers=error.headers if error else None,
    )


@endpoint()
async def show_card(call: Call) -> Response:
    return await card_page(call)


@form_post(page=card_page, fields=cards.FIELDS)
async def save_card(call: Call) -> Response:
    await cards.save(call.db, call.user, {name: field(call.form, name) for name in cards.FIELDS})
    return redirect(call.request, "/account/card", "flash.card_saved")


@endpoint()
async def delete_card(call: Call) -> Response:
    await cards.remove(call.request.app, call.user)
    return redirect(call.request, "/account/card", "flash.card_deleted")


def routes() -> list[BaseRoute]:
    return [
        Route("/account/card", show_card, methods=["GET"]),
        Route("/account/card", save_card, methods=["POST"]),
        Route("/account/card/delete", delete_card, methods=["POST"]),
    ]
