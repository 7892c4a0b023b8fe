"""Console pages for meetings: the dashboard's live list lives in
``dashboard.py``; here are one meeting's view and the history."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.accounts.auth import require_user
from server.console.forms import read_form
from server.console.rendering import redirect, render, ui_strings
from server.meetings import captures, retention
from server.meetings import lifecycle as meetings
from server.web.services import services


async def meeting_view(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        meeting = await meetings.get_meeting(db, principal.user, request.path_params["meeting_id"])
        events = await meetings.events_after(db, meeting.id)
        found = await captures.list_captures(db, meeting.id)
        # Only admins delete a meeting's data (a host could hide their own).
        can_delete = principal.user.is_admin and await retention.has_data(db, meeting.id)
    context = {
        "meeting": meeting,
        "events": [meetings.envelope(e) for e in events],
        "captures": [
            {
                "capture_id": c.id,
                "url": c.url,
                "title": c.title,
                "width": c.width,
                "height": c.height,
                "time": c.created_at.isoformat(),
                **captures.capture_urls(c),
            }
            for c in reversed(found)  # oldest first, as events arrive
        ],
        "strings": ui_strings(request, "meeting", "sms.", "video."),
        # The meeting's own host is in its call; an admin looking on is not.
        "is_host": meeting.host_id == principal.user.id,
        "link_minutes": services(request).settings.link_minutes,
        "can_delete_data": can_delete,
    }
    return render(request, "console/meeting.html", context, principal=principal)


async def delete_data(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db, admin=True)
        meeting = await meetings.get_meeting(db, principal.user, request.path_params["meeting_id"])
    await read_form(request, principal)  # the CSRF check
    deleted = await retention.delete_by_admin(request.app, meeting.id, principal.user)
    return redirect(request, f"/meetings/{meeting.id}", "meeting.data_deleted", **deleted.counts)


async def history(request: Request) -> Response:
    async with services(request).db.begin() as db:
        principal = await require_user(request, db)
        found = await meetings.list_meetings(db, principal.user, limit=200)
    return render(request, "console/meetings.html", {"meetings": found}, principal=principal)


def routes() -> list[BaseRoute]:
    return [
        Route("/meetings", history, methods=["GET"]),
        Route("/meetings/{meeting_id:id}", meeting_view, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/delete-data", delete_data, methods=["POST"]),
    ]
