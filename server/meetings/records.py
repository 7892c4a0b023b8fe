"""A meeting's record (商談記録): everything that happened, in order, read
once for the record page, its JSON and its ZIP export.

What retention or an admin deleted is gone from the tables (captures) or
scrubbed from the timeline (the pages a guest opened), so it is neither
shown nor exported; the record says only that something was deleted, as
the timeline does.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import anyio.to_thread
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.i18n.locales import translate
from server.meetings import captures as captures_module
from server.meetings import consents, lifecycle
from server.storage.blobs import BlobStore
from server.storage.models import (
    Capture,
    ConnectionNumber,
    Consent,
    Guest,
    JoinLink,
    Meeting,
    MeetingEvent,
    MeetingMemo,
    Site,
    SmsMessage,
)
from sms.phones import mask_phone

EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def event_text(locale: str, event: MeetingEvent) -> str:
    """What the timeline says for ``event`` (as the meeting page's script
    does, see ``label`` in server/static/meeting.js)."""
    payload = event.payload or {}
    key = f"event.{event.type}"
    if payload.get("removed"):
        key += ".removed"
    elif event.type == "meeting.started" and payload.get("via") == "link":
        key = "event.meeting.started_link"
    elif event.type == "meeting.ended" and payload.get("by") == "timeout":
        key = "event.meeting.ended_timeout"
    params = dict(payload)
    if event.type == "sms.status":
        params["status"] = translate(locale, f"sms.status.{payload.get('status')}")
    text = translate(locale, key)
    if text == key:
        return event.type
    return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), "")), text)


@dataclass
class GuestEntry:
    id: int
    source: str  # number | snippet | link
    joined_at: datetime
    site: str | None


@dataclass
class Record:
    meeting: Meeting
    site_name: str | None
    guests: list[GuestEntry]
    events: list[MeetingEvent]
    captures: list[Capture]  # oldest first
    pages: list[MeetingEvent]  # page.visited, not deleted
    memo: str
    sms: list[SmsMessage]
    consents: list[Consent]
    timeline: list[dict[str, Any]] = field(default_factory=list)

    @property
    def duration_seconds(self) -> int | None:
        start, end = self.meeting.started_at, self.meeting.ended_at
        return int((end - start).total_seconds()) if start and end else None


async def guests_of(db: AsyncSession, meeting_id: int) -> list[GuestEntry]:
    """Who joined, with how: a link's guest, a snippet's (a site's), or one
    who read out a number; at the time their number or link was used."""
    guests = list(
        await db.scalars(select(Guest).where(Guest.meeting_id == meeting_id).order_by(Guest.id))
    )
    if not guests:
        return []
    ids = [guest.id for guest in guests]
    links = dict(
        (
            await db.execute(
                select(JoinLink.guest_id, JoinLink.used_at).where(
                    JoinLink.meeting_id == meeting_id, JoinLink.guest_id.in_(ids)
                )
            )
        ).all()
    )
    claims = dict(
        (
            await db.execute(
                select(ConnectionNumber.guest_id, ConnectionNumber.claimed_at).where(
                    ConnectionNumber.meeting_id == meeting_id, ConnectionNumber.guest_id.in_(ids)
                )
            )
        ).all()
    )
    site_ids = {guest.site_id for guest in guests if guest.site_id}
    names = (
        dict((await db.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))).all())
        if site_ids
        else {}
    )
    entries = []
    for guest in guests:
        if guest.id in links:
            source, joined = "link", links[guest.id]
        else:
            source = "snippet" if guest.site_id else "number"
            joined = claims.get(guest.id)
        entries.append(
            GuestEntry(
                id=guest.id,
                source=source,
                joined_at=joined or guest.created_at,
                site=names.get(guest.site_id) if guest.site_id else None,
            )
        )
    return sorted(entries, key=lambda entry: entry.joined_at)


async def load(db: AsyncSession, meeting: Meeting, locale: str) -> Record:
    events = await lifecycle.events_after(db, meeting.id)
    found = list(reversed(await captures_module.list_captures(db, meeting.id)))
    memo = await db.get(MeetingMemo, meeting.id)
    sms = list(
        await db.scalars(
            select(SmsMessage).where(SmsMessage.meeting_id == meeting.id).order_by(SmsMessage.id)
        )
    )
    site = await db.get(Site, meeting.site_id) if meeting.site_id else None
    record = Record(
        meeting=meeting,
        site_name=site.name if site else None,
        guests=await guests_of(db, meeting.id),
        events=events,
        captures=found,
        pages=[e for e in events if e.type == "page.visited" and not e.payload.get("removed")],
        memo=memo.text if memo else "",
        sms=sms,
        consents=await consents.of_meeting(db, meeting.id),
    )
    record.timeline = [
        {"time": event.created_at, "type": event.type, "text": event_text(locale, event)}
        for event in events
    ] + [
        {
            "time": consent.created_at,
            "type": "consent",
            "text": translate(
                locale,
                f"record.consent.{consent.kind}",
                place=translate(locale, f"record.place.{consent.place}"),
            ),
        }
        for consent in record.consents
    ]
    record.timeline += [
        {
            "time": guest.joined_at,
            "type": "guest",
            "text": translate(
                locale, "record.guest_joined", source=translate(locale, f"source.{guest.source}")
            ),
        }
        for guest in record.guests
    ]
    record.timeline.sort(key=lambda item: item["time"])
    return record


def capture_file(index: int, capture: Capture) -> str:
    extension = EXTENSIONS.get(capture.media_type, "bin")
    return f"captures/{index:03d}-{capture.id}.{extension}"


def as_json(record: Record, locale: str) -> dict[str, Any]:
    """The record as ``record.json`` in the export (times in UTC, ISO 8601)."""
    meeting = record.meeting
    return {
        "format": "tsunagu.meeting-record/1",
        "meeting": {
            "id": meeting.id,
            "state": meeting.state,
            "source": meeting.source,
            "number": meeting.number,
            "guest_label": meeting.guest_label,
            "site": record.site_name,
            "host": meeting.host.label,
            "created_at": meeting.created_at.isoformat(),
            "started_at": meeting.started_at.isoformat() if meeting.started_at else None,
            "ended_at": meeting.ended_at.isoformat() if meeting.ended_at else None,
            "ended_by": meeting.ended_by,
            "duration_seconds": record.duration_seconds,
        },
        "guests": [
            {
                "id": g.id,
                "source": g.source,
                "site": g.site,
                "joined_at": g.joined_at.isoformat(),
            }
            for g in record.guests
        ],
        "timeline": [
            {"time": item["time"].isoformat(), "type": item["type"], "text": item["text"]}
            for item in record.timeline
        ],
        "captures": [
            {
                "id": c.id,
                "file": capture_file(index, c),
                "time": c.created_at.isoformat(),
                "title": c.title,
                "url": c.url,
                "width": c.width,
                "height": c.height,
                "media_type": c.media_type,
                "sha256": c.sha256,
            }
            for index, c in enumerate(record.captures, 1)
        ],
        "pages": [
            {
                "time": e.created_at.isoformat(),
                "url": e.payload.get("url", ""),
                "title": e.payload.get("title", ""),
            }
            for e in record.pages
        ],
        "memo": {"text": record.memo, "files": ["memo.txt", "memo.md"]},
        "sms": [
            {
                "to": mask_phone(m.to_number),
                "time": m.created_at.isoformat(),
                "provider": m.provider,
                "status": m.status,
                "error_code": m.error_code,
                "history": [
                    {
                        "status": s.status,
                        "error_code": s.error_code,
                        "time": s.created_at.isoformat(),
                    }
                    for s in m.statuses
                ],
            }
            for m in record.sms
        ],
        "consents": [
            {
                "kind": c.kind,
                "terms": c.terms,
                "place": c.place,
                "guest_id": c.guest_id,
                "time": c.created_at.isoformat(),
            }
            for c in record.consents
        ],
        "locale": locale,
    }


def memo_text(record: Record) -> str:
    text = record.memo
    return text if text.endswith("\n") or not text else text + "\n"


def memo_markdown(record: Record, locale: str) -> str:
    """The memo with a heading that says which meeting it is from."""
    meeting = record.meeting
    title = translate(locale, "meeting.title", id=meeting.id)
    if meeting.guest_label:
        title += f" · {meeting.guest_label}"
    lines = [f"# {title}", ""]
    lines.append(f"- {translate(locale, 'meetings.host')}: {meeting.host.label}")
    if meeting.started_at:
        lines.append(f"- {translate(locale, 'meetings.started')}: {meeting.started_at.isoformat()}")
    if meeting.ended_at:
        lines.append(f"- {translate(locale, 'meetings.ended')}: {meeting.ended_at.isoformat()}")
    lines += ["", f"## {translate(locale, 'record.memo')}", "", record.memo.rstrip("\n"), ""]
    return "\n".join(lines)


def file_stem(record: Record) -> str:
    return f"meeting-{record.meeting.id}"


class _Sink(io.RawIOBase):
    """Where the ZIP writer writes: collected, handed out after each file,
    so the export streams with one capture in memory at a time."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self._chunks.append(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data = b"".join(self._chunks)
        self._chunks.clear()
        return data


async def zip_stream(record: Record, store: BlobStore, locale: str) -> AsyncIterator[bytes]:
    """The export: ``record.json``, every capture image and the memo as
    ``memo.txt`` and ``memo.md``. Images are stored (they are compressed
    already); text is deflated. A capture whose image is gone by now (a
    deletion since the record was read) is left out, and said so."""
    sink = _Sink()
    data = as_json(record, locale)
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, capture in enumerate(record.captures, 1):
            image = await anyio.to_thread.run_sync(store.get, capture.image_key)
            entry = data["captures"][index - 1]
            if image is None:
                entry["file"] = None
                continue
            archive.writestr(entry["file"], image, compress_type=zipfile.ZIP_STORED)
            yield sink.take()
        archive.writestr("memo.txt", memo_text(record))
        archive.writestr("memo.md", memo_markdown(record, locale))
        archive.writestr("record.json", json.dumps(data, ensure_ascii=False, indent=2))
    yield sink.take()
