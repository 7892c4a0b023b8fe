"""Console pages for meetings: the dashboard's live list lives in
``dashboard.py``; here are one meeting's view and the history."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console import room
from server.console.rendering import redirect, render, ui_strings
from server.i18n.locales import request_locale, translate
from server.meetings import captures, guests, retention
from server.meetings import lifecycle as meetings
from server.web.endpoints import Call, endpoint


@endpoint()
async def meeting_view(call: Call) -> Response:
    request, db, user = call.request, call.db, call.user
    meeting = await meetings.get_meeting(db, user, request.path_params["meeting_id"])
    events = await meetings.events_after(db, meeting.id)
    found = await captures.list_captures(db, meeting.id)
    # Only admins delete a meeting's data (a host could hide their own).
    can_delete = user.is_admin and await retention.has_data(db, meeting.id)
    context = {
        "meeting": meeting,
        "events": [meetings.envelope(e) for e in events],
        "captures": [
            {**captures.capture_json(c), "time": c.created_at.isoformat()}
            for c in reversed(found)  # oldest first, as events arrive
        ],
        "strings": ui_strings(request, "meeting", "sms.", "video.", "room.js."),
        # The meeting's own host is in its call; an admin looking on is not.
        "is_host": meeting.host_id == user.id,
        "link_minutes": call.services.settings.link_minutes,
        "can_delete_data": can_delete,
        # A live call is the dashboard's work; only a past meeting is history.
        "nav_path": "/meetings" if meeting.state == "ended" else "/",
        # The room: its tool rail, and whether it is screen support only.
        **room.rail(
            meeting,
            call.services.templates.env,
            lambda key: translate(request_locale(request), key),
        ),
        "screen_support": await guests.started_from_snippet(db, meeting),
    }
    return render(request, "console/meeting.html", context, principal=call.principal)


@endpoint(who="admin", transaction="none")
async def delete_data(call: Call) -> Response:
    request = call.request
    async with call.services.db.begin() as db:
        meeting = await meetings.get_meeting(db, call.user, request.path_params["meeting_id"])
    # Not inside a transaction: deleting opens its own (and the blob store's).
    deleted = await retention.delete_by_admin(request.app, meeting.id, call.user)
    return redirect(request, f"/meetings/{meeting.id}", "meeting.data_deleted", **deleted.counts)


@endpoint()
async def history(call: Call) -> Response:
    found = await meetings.list_meetings(call.db, call.user, limit=200)
    return render(
        call.request, "console/meetings.html", {"meetings": found}, principal=call.principal
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/meetings", history, methods=["GET"]),
        Route("/meetings/{meeting_id:id}", meeting_view, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/delete-data", delete_data, methods=["POST"]),
    ]
