"""Console pages for meetings: the dashboard's live list lives in
``dashboard.py``; here are one meeting's view (live) or record (ended), the
record's downloads, and the history."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from server.accounts import sites, users
from server.console import room
from server.console.rendering import redirect, render, ui_strings
from server.i18n.locales import request_locale, translate
from server.meetings import captures, history, prepared, records, retention, search
from server.meetings import lifecycle as meetings
from server.storage.blobs import content_disposition
from server.storage.models import Meeting, User
from server.web.endpoints import Call, endpoint
from server.web.public_url import base_url
from sms import body as sms_body
from sms.links import join_url
from sms.phones import mask_phone


@endpoint()
async def meeting_view(call: Call) -> Response:
    request, db, user = call.request, call.db, call.user
    meeting = await meetings.get_meeting(db, user, request.path_params["meeting_id"])
    # Only admins delete a meeting's data (a host could hide their own).
    can_delete = user.is_admin and await retention.has_data(db, meeting.id)
    if meeting.state == "ended":
        return await record_view(call, meeting, can_delete)
    events = await meetings.events_after(db, meeting.id)
    found = await captures.list_captures(db, meeting.id)
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
        "nav_path": "/",
        # The room: its tool rail, and whether it is screen support only.
        **room.rail(
            meeting,
            call.services.templates.env,
            lambda key: translate(request_locale(request), key),
        ),
        # Screen support: the meeting began with a number from a site's
        # snippet (``Meeting.source``, set when it starts).
        "screen_support": meeting.source == "snippet",
        "prepared": await prepared_summary(call, meeting),
    }
    return render(request, "console/meeting.html", context, principal=call.principal)


async def prepared_summary(call: Call, meeting: Meeting) -> dict[str, Any] | None:
    """What a prepared meeting was made with, for its invite panel: the link
    already sent to the customer (and until when it works), the planned time
    and the chosen options, so the host does not hand out a new half-hour
    link in its place."""
    if not meeting.prepared:
        return None
    settings = call.services.settings
    made = await prepared.prepared_link(call.db, meeting.id)
    where = sms_body.zone(settings.sms_countries)
    return {
        "url": join_url(base_url(call.request), settings.secret_key, made.id) if made else None,
        "expires": made.expires_at.astimezone(where).date().isoformat()
        if made and made.expires_at
        else None,
        "scheduled": meeting.scheduled_at.astimezone(where).strftime("%Y-%m-%d %H:%M")
        if meeting.scheduled_at
        else None,
        "options": [
            name
            for name in ("waiting_room", "recording", "it_mode", "browser_audio")
            if getattr(meeting, name)
        ],
    }


async def record_view(call: Call, meeting: Meeting, can_delete: bool) -> Response:
    """An ended meeting's page is its record (商談記録): nothing live."""
    locale = request_locale(call.request)
    record = await records.load(call.db, meeting, locale)
    context = {
        "meeting": meeting,
        "record": record,
        "capture_urls": {c.id: captures.capture_urls(c) for c in record.captures},
        "sms_to": {m.id: mask_phone(m.to_number) for m in record.sms},
        "can_delete_data": can_delete,
        "nav_path": "/meetings",
    }
    return render(call.request, "console/meeting_record.html", context, principal=call.principal)


async def load_record(call: Call, db: AsyncSession) -> records.Record:
    """The record of a meeting the caller may see (another host's is not
    found, as on every meeting route)."""
    meeting = await meetings.get_meeting(db, call.user, call.request.path_params["meeting_id"])
    return await records.load(db, meeting, request_locale(call.request))


def download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": content_disposition(filename, inline=False),
            "Cache-Control": "no-store",
        },
    )


@endpoint()
async def memo_txt(call: Call) -> Response:
    record = await load_record(call, call.db)
    name = f"{records.file_stem(record)}-memo.txt"
    return download(records.memo_text(record), "text/plain; charset=utf-8", name)


@endpoint()
async def memo_md(call: Call) -> Response:
    record = await load_record(call, call.db)
    body = records.memo_markdown(record, request_locale(call.request))
    return download(body, "text/markdown; charset=utf-8", f"{records.file_stem(record)}-memo.md")


@endpoint(transaction="none")
async def record_zip(call: Call) -> Response:
    """The whole record as a ZIP, streamed: read in one transaction (the
    access check with it), then the images, one at a time, outside it."""
    async with call.services.db.begin() as db:
        record = await load_record(call, db)
    locale = request_locale(call.request)
    return StreamingResponse(
        records.zip_stream(record, call.services.blobs, locale),
        media_type="application/zip",
        headers={
            "Content-Disposition": content_disposition(
                f"{records.file_stem(record)}.zip", inline=False
            ),
            "Cache-Control": "no-store",
        },
    )


@endpoint(who="admin", transaction="none")
async def delete_data(call: Call) -> Response:
    request = call.request
    async with call.services.db.begin() as db:
        meeting = await meetings.get_meeting(db, call.user, request.path_params["meeting_id"])
    # Not inside a transaction: deleting opens its own (and the blob store's).
    deleted = await retention.delete_by_admin(request.app, meeting.id, call.user)
    return redirect(request, f"/meetings/{meeting.id}", "meeting.data_deleted", **deleted.counts)


def history_filters(
    request: Request, user: User
) -> tuple[history.Filters, dict[str, str], int | None, int | None]:
    """The history's filters and cursors from the query string. A value
    that is not one the form offers is ignored (the list shows unfiltered
    by it), and the form shows what was applied."""
    params = history.Params(request.query_params, strict=False)
    utc_offset = params.utc_offset()
    source = params.choice("source", history.SOURCES)
    state = params.choice("state", history.STATES)
    filters = history.Filters(
        query=search.normalized(params.text("q")),
        date_from=params.date("from"),
        date_to=params.date("to"),
        # A host sees their own meetings only; the host filter is an admin's.
        host_id=params.id("host") if user.is_admin else None,
        site_id=params.id("site"),
        source=source,
        state=state,
        utc_offset=utc_offset,
    )
    applied = {
        "q": filters.query,
        "from": filters.date_from.isoformat() if filters.date_from else "",
        "to": filters.date_to.isoformat() if filters.date_to else "",
        "host": str(filters.host_id) if filters.host_id is not None else "",
        "site": str(filters.site_id) if filters.site_id is not None else "",
        "source": source or "",
        "state": state or "",
        "tz": str(utc_offset) if utc_offset else "",
    }
    return filters, applied, params.id("before"), params.id("after")


@endpoint()
async def history_view(call: Call) -> Response:
    request, db = call.request, call.db
    filters, applied, before, after = history_filters(request, call.user)
    page = await history.find(db, call.user, filters, before=before, after=after)
    kept = {key: value for key, value in applied.items() if value}

    def page_link(**cursor: int) -> str:
        return "/meetings?" + urlencode({**kept, **cursor})

    hosts: list[Any] = []
    if call.user.is_admin:
        hosts = await users.list_users(db)
    site_list = await sites.list_sites(db)
    context = {
        "page": page,
        "filters": applied,
        "filtered": any(value for key, value in applied.items() if key != "tz"),
        "hosts": hosts,
        "sites": site_list,
        "sources": history.SOURCES,
        "states": history.STATES,
        "older_link": page_link(before=page.older) if page.older else None,
        "newer_link": page_link(after=page.newer) if page.newer else None,
        "first_link": page_link() if page.newer else None,
    }
    return render(request, "console/meetings.html", context, principal=call.principal)


def routes() -> list[BaseRoute]:
    return [
        Route("/meetings", history_view, methods=["GET"]),
        Route("/meetings/{meeting_id:id}", meeting_view, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/record.zip", record_zip, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/memo.txt", memo_txt, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/memo.md", memo_md, methods=["GET"]),
        Route("/meetings/{meeting_id:id}/delete-data", delete_data, methods=["POST"]),
    ]
