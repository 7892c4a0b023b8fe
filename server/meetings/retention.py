"""Deleting stored data: one meeting's on request, old meetings' by the
retention setting, and blobs nobody refers to (the sweeper).

Each kind of stored data is a :class:`MeetingData` in :data:`MEETING_DATA`
(captures, memos, recordings and the names guests typed), and names its blob
columns in :data:`BLOB_COLUMNS`, so the deletion, the retention and the
sweeper cover it without changes here.

Order of deletion: rows first, committed, then blobs. A crash in between
leaves blobs with no row, which the sweeper removes; never a row whose blob
is gone.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from itertools import islice

import anyio
import anyio.to_thread
from sqlalchemy import ColumnElement, Select, delete, exists, func, or_, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from starlette.applications import Starlette

from server.meetings import files
from server.meetings import lifecycle as meetings
from server.storage import chores
from server.storage.blobs import BlobStore, StoredBlob
from server.storage.models import (
    Capture,
    Card,
    Document,
    DocumentPage,
    FileUpload,
    FileUploadPiece,
    Guest,
    LicencePhoto,
    Meeting,
    MeetingEvent,
    MeetingFile,
    MeetingMemo,
    Recording,
    RecordingChunk,
    User,
)
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.retention")

# Keys looked up in the database at a time.
BATCH = 500
# Meetings whose data retention deletes in one round (the next round, an
# interval later, goes on): a backlog does not hold the writer for long.
RETENTION_BATCH = 200


@dataclass(frozen=True)
class MeetingData:
    """One kind of data a meeting holds."""

    name: str  # in the deletion's summary, e.g. "captures"
    # The meeting ids that have some of it (a subquery).
    meeting_ids: Callable[[], Select]
    # Delete a meeting's rows; return how many and the blob keys they named.
    delete: Callable[[AsyncSession, int], Awaitable[tuple[int, list[str]]]]


async def delete_captures(db: AsyncSession, meeting_id: int) -> tuple[int, list[str]]:
    rows = (
        await db.execute(
            delete(Capture)
            .where(Capture.meeting_id == meeting_id)
            .returning(Capture.image_key, Capture.thumbnail_key)
        )
    ).all()
    return len(rows), [key for row in rows for key in row]


async def delete_memo(db: AsyncSession, meeting_id: int) -> tuple[int, list[str]]:
    """The shared memo: what the guest and the host typed."""
    rows = (
        await db.execute(
            delete(MeetingMemo)
            .where(MeetingMemo.meeting_id == meeting_id)
            .returning(MeetingMemo.meeting_id)
        )
    ).all()
    return len(rows), []


async def delete_recordings(db: AsyncSession, meeting_id: int) -> tuple[int, list[str]]:
    """Recordings (issue #14): their files and any chunks not yet joined."""
    ids = select(Recording.id).where(Recording.meeting_id == meeting_id).scalar_subquery()
    chunk_keys = (
        await db.scalars(
            delete(RecordingChunk)
            .where(RecordingChunk.recording_id.in_(ids))
            .returning(RecordingChunk.blob_key)
        )
    ).all()
    rows = (
        await db.execute(
            delete(Recording)
            .where(Recording.meeting_id == meeting_id)
            .returning(Recording.blob_key)
        )
    ).all()
    return len(rows), [*chunk_keys, *(row[0] for row in rows if row[0])]


async def delete_files(db: AsyncSession, meeting_id: int) -> tuple[int, list[str]]:
    """Files sent in the meeting (issue #15), and uploads still on their way
    with the blobs of their pieces."""
    pieces = await files.forget_uploads(
        db, select(FileUpload.id).where(FileUpload.meeting_id == meeting_id)
    )
    keys = (
        await db.scalars(
            delete(MeetingFile)
            .where(MeetingFile.meeting_id == meeting_id)
            .returning(MeetingFile.blob_key)
        )
    ).all()
    return len(keys), [*keys, *pieces]


def guests_of(meeting_id: int) -> ColumnElement[bool]:
    """The meeting's guests, those who knocked at it and were never let in too."""
    return or_(Guest.meeting_id == meeting_id, Guest.knock_meeting_id == meeting_id)


async def delete_names(db: AsyncSession, meeting_id: int) -> tuple[int, list[str]]:
    """The names guests typed on the link page (issue #14's waiting room);
    the knock events' copies go with the timeline's scrub."""
    done = await db.execute(
        update(Guest)
        .where(guests_of(meeting_id), Guest.entered_name.is_not(None))
        .values(entered_name=None)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount, []


MEETING_DATA: list[MeetingData] = [
    MeetingData("captures", lambda: select(Capture.meeting_id), delete_captures),
    MeetingData("memos", lambda: select(MeetingMemo.meeting_id), delete_memo),
    MeetingData("recordings", lambda: select(Recording.meeting_id), delete_recordings),
    MeetingData("files", lambda: select(MeetingFile.meeting_id), delete_files),
    MeetingData(
        "names",
        lambda: select(func.coalesce(Guest.meeting_id, Guest.knock_meeting_id)).where(
            Guest.entered_name.is_not(None)
        ),
        delete_names,
    ),
]
# Every column that holds a blob key: a blob named in none of them is an orphan.
BLOB_COLUMNS: list[InstrumentedAttribute[str]] = [
    Capture.image_key,
    Capture.thumbnail_key,
    LicencePhoto.blob_key,  # not a meeting's: kept until its owner replaces it
    Card.image_blob_key,  # type: ignore[list-item] (a host's, like the licence photo)
    Recording.blob_key,  # type: ignore[list-item] (NULL until the file is made)
    RecordingChunk.blob_key,
    MeetingFile.blob_key,
    # Documents (issue #15) are their hosts', not a meeting's: retention
    # leaves them; deleting one removes its blobs (server/documents/library.py).
    Document.original_key,
    DocumentPage.large_key,
    DocumentPage.thumb_key,
    FileUploadPiece.blob_key,
]


@dataclass
class Deleted:
    """What one deletion removed: rows per kind and the blobs they named."""

    counts: dict[str, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def delete_meeting_data(
    app: Starlette, meeting_id: int, *, event: str, payload: dict
) -> Deleted:
    """Delete everything a meeting holds (its rows, then their blobs) and
    record ``event`` on the meeting, with ``payload`` and the counts. The
    meeting itself and its timeline stay. Nothing to delete: no event.

    The meeting's row is locked first (PostgreSQL), so two deletions of the
    same meeting (two instances' retention rounds, an admin's double click)
    are ordered, and the second finds nothing and records nothing.
    """
    deleted = Deleted()
    async with meetings.transaction(app) as db:
        meeting = await db.scalar(
            # FOR NO KEY UPDATE, as record_event takes it: FOR UPDATE would
            # also conflict with the key-share lock an insert of a row that
            # refers to the meeting (a capture) holds, and could deadlock
            # with that insert's own record_event.
            select(Meeting)
            .where(Meeting.id == meeting_id)
            .with_for_update(of=Meeting, key_share=True)
        )
        if meeting is None:
            raise ApiError(404, "meeting_not_found")
        for part in MEETING_DATA:
            count, keys = await part.delete(db, meeting_id)
            deleted.counts[part.name] = count
            deleted.keys.extend(keys)
        if deleted.total:
            await scrub_timeline(db, meeting_id)
            await meetings.record_event(db, meeting, event, {**payload, **deleted.counts})
    if deleted.keys:
        await delete_blobs(services(app).blobs, deleted.keys)
    return deleted


# Events whose payload tells what the guest showed (the address and title
# of their pages): deleting the meeting's data removes that too.
SHOWN_BY_GUEST = ("capture.created", "page.visited")
# Events that name a file sent in the meeting: who sent one stays, not
# what it was.
NAMED_FILES = ("file.sent",)
# Events that carry the name the guest typed while knocking: it goes, the
# rest of the event (who, when) stays.
NAMED_BY_GUEST = ("knock.waiting", "guest.admitted", "guest.refused", "knock.left")


async def scrub_timeline(db: AsyncSession, meeting_id: int) -> None:
    """Keep that something happened, not what the guest's page was nor what
    they typed: the timeline then says "capture received (deleted)"."""
    events = await db.scalars(
        select(MeetingEvent).where(
            MeetingEvent.meeting_id == meeting_id,
            MeetingEvent.type.in_(SHOWN_BY_GUEST + NAMED_BY_GUEST + NAMED_FILES),
        )
    )
    for event in events:
        if event.type in SHOWN_BY_GUEST:
            event.payload = {"removed": True}
        elif event.type in NAMED_FILES:
            kept = ("sender", "guest_id", "n", "by")
            event.payload = {k: v for k, v in event.payload.items() if k in kept} | {
                "removed": True
            }
        elif event.payload.get("name"):
            event.payload = {**event.payload, "name": ""}
    await db.flush()


async def delete_blobs(store: BlobStore, keys: list[str]) -> None:
    """Remove blobs whose rows are gone. A failure is logged, not raised:
    the rows are already deleted, and the sweeper removes these later."""
    try:
        await anyio.to_thread.run_sync(store.delete_many, keys)
    except Exception:
        log.exception("could not delete %d blobs; the sweeper will remove them", len(keys))


async def delete_by_admin(app: Starlette, meeting_id: int, admin: User) -> Deleted:
    return await delete_meeting_data(
        app, meeting_id, event="data.deleted", payload={"by": admin.label}
    )


async def apply_retention(app: Starlette, now: datetime | None = None) -> int:
    """Delete the data of meetings that ended more than
    ``TSUNAGU_RETENTION_DAYS`` ago; return how many meetings lost data."""
    days = services(app).settings.retention_days
    if not days:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    parts = [part.meeting_ids() for part in MEETING_DATA]
    with_data = parts[0] if len(parts) == 1 else union(*parts)
    async with services(app).db() as db:
        due = list(
            await db.scalars(
                select(Meeting.id)
                .where(
                    Meeting.state == "ended",
                    Meeting.ended_at < cutoff,
                    Meeting.id.in_(with_data),
                )
                .order_by(Meeting.id)
                .limit(RETENTION_BATCH)
            )
        )
    emptied = 0
    for meeting_id in due:
        deleted = await delete_meeting_data(
            app, meeting_id, event="data.expired", payload={"days": days}
        )
        if deleted.total:
            emptied += 1
            log.info("retention: meeting %d: deleted %s", meeting_id, deleted.counts)
    return emptied


@dataclass
class Swept:
    orphans: int = 0
    orphan_bytes: int = 0
    temporary: int = 0


def batches(blobs: Iterator[StoredBlob], size: int) -> Callable[[], list[StoredBlob]]:
    """A function returning the next ``size`` blobs, to call from a thread."""
    return lambda: list(islice(blobs, size))


async def referenced(db: AsyncSession, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for column in BLOB_COLUMNS:
        found.update(await db.scalars(select(column).where(column.in_(keys))))
    return found


async def sweep(app: Starlette, older_than: float | None = None) -> Swept:
    """Remove blobs that no row names and temporary files, both only when
    older than ``older_than`` seconds (``TSUNAGU_SWEEP_AGE``): a blob is
    written before its row, so a young blob with no row may be an upload in
    progress. Safe on several instances at once: deleting what another
    instance has just deleted is not an error."""
    store: BlobStore = services(app).blobs
    age = services(app).settings.sweep_age if older_than is None else older_than
    swept = Swept()
    swept.temporary = await anyio.to_thread.run_sync(store.sweep_temporary, age)
    listing = iter(await anyio.to_thread.run_sync(store.list))
    next_batch = batches(listing, BATCH)
    now = datetime.now(UTC)
    while batch := await anyio.to_thread.run_sync(next_batch):
        old = {blob.key: blob for blob in batch if blob.age(now) > age}
        if not old:
            continue
        async with services(app).db() as db:
            named = await referenced(db, list(old))
        orphans = [old[key] for key in old if key not in named]
        if orphans:
            await anyio.to_thread.run_sync(store.delete_many, [blob.key for blob in orphans])
            swept.orphans += len(orphans)
            swept.orphan_bytes += sum(blob.size for blob in orphans)
    if swept.orphans or swept.temporary:
        # A warning: these are what crashes (or failed deletions) left.
        log.warning(
            "sweeper: removed %d blobs with no row (%d bytes) and %d temporary files",
            swept.orphans,
            swept.orphan_bytes,
            swept.temporary,
        )
    return swept


async def housekeeping(app: Starlette) -> None:
    """The background task: sweep and apply retention at start-up, then
    every ``TSUNAGU_SWEEP_INTERVAL`` seconds (0: at start-up only). A
    failure (the store or the database unreachable) is logged and tried
    again next round; it never stops the server."""
    await chores.repeat(
        (partial(sweep, app), partial(apply_retention, app), partial(files.sweep_uploads, app)),
        lambda: services(app).settings.sweep_interval,
        log,
    )


async def has_data(db: AsyncSession, meeting_id: int) -> bool:
    """Whether the meeting still holds anything :func:`delete_meeting_data`
    would delete (the console shows its button only then)."""
    for part in MEETING_DATA:
        subquery = part.meeting_ids().subquery()
        column = next(iter(subquery.c))
        if await db.scalar(select(exists().where(column == meeting_id))):
            return True
    return False
