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

from server.documents import sharing as documents
from server.i18n.locales import translate
from server.meetings import captures as captures_module
from server.meetings import checklists, consents, files, lifecycle, recordings
from server.meetings import guests as guests_module
from server.meetings.history import clock
from server.storage.blobs import BlobStore
from server.storage.models import (
    Capture,
    Consent,
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
    does, see ``describe`` in server/static/meeting.js)."""
    payload = event.payload or {}
    key = f"event.{event.type}"
    if payload.get("removed"):
        key += ".removed"
    elif event.type == "meeting.started" and payload.get("via") == "link":
        key = "event.meeting.started_link"
    elif event.type == "meeting.ended" and payload.get("by") == "timeout":
        key = "event.meeting.ended_timeout"
    elif event.type == "guest.labelled" and not payload.get("label"):
        key = "event.guest.labelled_cleared"
    elif event.type == "file.sent" and payload.get("sender") == "guest":
        key = "event.file.sent_by_guest"
    elif event.type == "screen.stopped" and payload.get("ended"):
        # Nobody stopped it: the page closed, the meeting ended, the guest went.
        key = "event.screen.ended.guest" if payload.get("by") == "guest" else "event.screen.ended"
    elif event.type.startswith("screen.") and payload.get("by") == "guest":
        key += ".guest"  # the guest shared, not the host
    elif event.type == "live_view.stopped" and (
        payload.get("ended") or payload.get("by") == "host"
    ):
        key += ".ended" if payload.get("ended") else ".host"
    elif event.type == "capture.created" and payload.get("origin") == "live_view":
        key = "event.capture.created_live_view"
    elif event.type == "document.download_allowed" and not payload.get("allowed"):
        key = "event.document.download_disallowed"
    elif event.type == "document.guest_view" and payload.get("following"):
        key = "event.document.guest_followed"
    params = dict(payload)
    if event.type == "sms.status":
        params["status"] = translate(locale, f"sms.status.{payload.get('status')}")
    text = translate(locale, key)
    if text == key:
        return event.type
    return PLACEHOLDER.sub(lambda m: str(params.get(m.group(1), "")), text)


@dataclass
class GuestEntry:
    """A guest as the record shows them: the guest list's お客様 N, how they
    came, when they joined and when and how they went."""

    id: int
    n: int
    source: str  # number | snippet | link
    site: str | None
    joined_at: datetime | None
    state: str  # as the guest list: left | removed | ended | ...
    # When they went: removed or left, or last seen (with the meeting's end).
    gone_at: datetime | None
    removed_by: str | None  # the name of whoever removed them
    # The name they typed when knocking (issue #14), kept as consent evidence.
    name: str = ""


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
    # IT重説 (issue #14): each checklist opened, as it stood at the end.
    checklists: list[dict[str, Any]] = field(default_factory=list)
    recordings: list[dict[str, Any]] = field(default_factory=list)  # issue #14
    files: list[dict[str, Any]] = field(default_factory=list)  # issue #15
    # Issue #15: each document shown, with the pages shown and for how long.
    documents: list[dict[str, Any]] = field(default_factory=list)

    def guest_n(self, consent: Consent) -> int | None:
        """The consent's guest as the meeting numbers them; ``None``: a guest
        who agreed in the waiting room and was never let in."""
        numbers = {guest.id: guest.n for guest in self.guests}
        return numbers.get(consent.guest_id) if consent.guest_id is not None else None

    @property
    def duration(self) -> str | None:
        """As the history shows it (``history.clock``)."""
        start, end = self.meeting.started_at, self.meeting.ended_at
        return clock(end - start) if start and end else None

    @property
    def duration_seconds(self) -> int | None:
        start, end = self.meeting.started_at, self.meeting.ended_at
        return int((end - start).total_seconds()) if start and end else None


async def guests_of(
    db: AsyncSession, meeting: Meeting, events: list[MeetingEvent]
) -> list[GuestEntry]:
    """Who joined and went, in the guest list's order and numbering
    (``lifecycle.meeting_guests``, ``guests.guest_state``); who removed a
    guest is in their ``guest.removed`` event."""
    found = await lifecycle.meeting_guests(db, meeting.id)
    site_ids = {guest.site_id for guest in found if guest.site_id}
    names = (
        dict((await db.execute(select(Site.id, Site.name).where(Site.id.in_(site_ids)))).all())
        if site_ids
        else {}
    )
    removers = {
        e.payload.get("guest_id"): e.payload.get("by") for e in events if e.type == "guest.removed"
    }
    return [
        GuestEntry(
            id=guest.id,
            n=n,
            source=guest.source,
            site=names.get(guest.site_id) if guest.site_id else None,
            joined_at=guest.joined_at,
            state=guests_module.guest_state(meeting, guest),
            gone_at=guest.removed_at or guest.left_at,
            removed_by=removers.get(guest.id) if guest.removed_by == "host" else None,
            name=guest.entered_name or "",
        )
        for n, guest in enumerate(found, 1)
    ]


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
        guests=await guests_of(db, meeting, events),
        events=events,
        captures=found,
        pages=[e for e in events if e.type == "page.visited" and not e.payload.get("removed")],
        memo=memo.text if memo else "",
        sms=sms,
        consents=await consents.of_meeting(db, meeting.id),
        checklists=[
            checklists.meeting_checklist_json(c)
            for c in await checklists.of_meeting(db, meeting.id)
        ],
        recordings=await recordings.for_record(db, meeting.id),
        files=await files.for_record(db, meeting.id),
        documents=await documents.for_record(db, meeting, events),
    )
    record.timeline = [
        {
            "time": event.created_at,
            "type": event.type,
            "text": event_text(locale, event),
            "event_id": event.id,
        }
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
    record.timeline.sort(key=lambda item: item["time"])
    record.timeline = grouped_pages(locale, record.timeline, events)
    return record


def grouped_pages(
    locale: str, timeline: list[dict[str, Any]], events: list[MeetingEvent]
) -> list[dict[str, Any]]:
    """A document's pages turned one after another are one line, "3 → 4 →
    17", as the live timeline shows them (server/static/meeting.js)."""
    pages = {e.id: e.payload for e in events if e.type == "document.page"}
    out: list[dict[str, Any]] = []
    for item in timeline:
        payload = pages.get(item.get("event_id", 0))
        last = out[-1] if out else None
        if payload and last and last.get("document_id") == payload.get("document_id"):
            last["pages"].append(str(payload.get("page")))
            text = translate(locale, "event.document.page", page=" → ".join(last["pages"]))
            last["text"] = text
            continue
        if payload:
            item = {
                **item,
                "document_id": payload.get("document_id"),
                "pages": [str(payload.get("page"))],
            }
        out.append(item)
    return out


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
                "n": g.n,
                "source": g.source,
                "site": g.site,
                "joined_at": g.joined_at.isoformat() if g.joined_at else None,
                "state": g.state,
                "gone_at": g.gone_at.isoformat() if g.gone_at else None,
                "removed_by": g.removed_by,
                "name": g.name,
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
                # null: a waiting-room guest who was never let in.
                "guest_n": record.guest_n(c),
                "time": c.created_at.isoformat(),
            }
            for c in record.consents
        ],
        "documents": [
            {
                **{k: v for k, v in d.items() if not isinstance(v, datetime)},
                "opened_at": d["opened_at"].isoformat(),
                "closed_at": d["closed_at"].isoformat() if d["closed_at"] else None,
            }
            for d in record.documents
        ],
        "recordings": [
            {
                "id": r["id"],
                "file": r["file"],
                "state": r["state"],
                "started_at": r["started_at"].isoformat(),
                "stopped_at": r["stopped_at"].isoformat() if r["stopped_at"] else None,
                "stopped_by": r["stopped_by"],
                "started_by": r["started_by"],
                "duration_seconds": r["duration"],
                "size": r["size"],
                "agreed": [
                    {"guest_n": a["n"], "time": a["at"].isoformat(), "place": a["place"]}
                    for a in r["agreed"]
                ],
            }
            for r in record.recordings
        ],
        "files": [
            {
                "id": f["id"],
                "name": f["name"],
                "size": f["size"],
                "sha256": f["sha256"],
                "content_type": f["content_type"],
                "sender": f["sender"],
                "sent_by": f["sent_by"],
                "guest_n": f["n"],
                "time": f["created_at"].isoformat(),
            }
            for f in record.files
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
        # Recordings: stored, copied a megabyte at a time (never whole in memory).
        for recording in record.recordings:
            if recording["file"]:
                async for _ in recordings.zip_entry(archive, store, recording):
                    yield sink.take()
        archive.writestr("memo.txt", memo_text(record))
        archive.writestr("memo.md", memo_markdown(record, locale))
        archive.writestr("record.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(
            "checklists.json", json.dumps(record.checklists, ensure_ascii=False, indent=2)
        )
    yield sink.take()
