"""The console's documents page (資料, issue #15): a host's documents and
the ones for everyone, uploaded, renamed and deleted through the API
(server/api/documents.py) by ``server/static/documents_page.js``."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import render
from server.documents import library
from server.web.endpoints import Call, endpoint


@endpoint()
async def documents_page(call: Call) -> Response:
    settings = call.services.settings
    found = await library.list_documents(call.db, call.user)
    context = {
        "documents": [{"document": d, "mine": library.may_change(call.user, d)} for d in found],
        "max_mb": settings.document_max_mb,
        "max_pages": settings.document_max_pages,
        "nav_path": "/documents",
    }
    return render(call.request, "console/documents.html", context, principal=call.principal)


def routes() -> list[BaseRoute]:
    return [Route("/documents", documents_page, methods=["GET"])]
