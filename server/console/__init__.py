"""The host console: server-rendered pages for hosts and admins."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.console import (
    account,
    cards,
    checklists,
    dashboard,
    documents,
    files,
    join,
    language,
    live_view,
    login,
    meetings,
    memo_templates,
    outbox,
    prepared,
    sites,
    users,
)


def routes() -> list[BaseRoute]:
    return [
        *login.routes(),
        *dashboard.routes(),
        *prepared.routes(),
        *meetings.routes(),
        *join.routes(),
        *outbox.routes(),
        *account.routes(),
        *cards.routes(),
        *users.routes(),
        *sites.routes(),
        *memo_templates.routes(),
        *checklists.routes(),
        *files.routes(),
        *documents.routes(),
        *language.routes(),
        *live_view.routes(),
    ]
