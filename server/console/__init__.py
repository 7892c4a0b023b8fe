"""The host console: server-rendered pages for hosts and admins."""

from __future__ import annotations

from starlette.routing import BaseRoute

from server.console import (
    account,
    checklists,
    dashboard,
    documents,
    join,
    language,
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
        *users.routes(),
        *sites.routes(),
        *memo_templates.routes(),
        *checklists.routes(),
        *documents.routes(),
        *language.routes(),
    ]
