"""Recordings of a meeting's call (issue #14).

The host's browser does the media work: it draws both cameras side by side
on a canvas, records that (and the mixed audio when the meeting uses
browser audio) with ``MediaRecorder``, and uploads a chunk every few
seconds. The server only stores chunks and, once the recording stops,
joins them into one file with PyAV *without re-encoding* (a remux): the
browser's WebM has no duration and no cues, so a player could neither show
the length nor seek; the remuxed file has both. That keeps media off the
server's CPU (see bench/recording.py).

A recording stops when the host stops it, when the meeting ends, after
``TSUNAGU_RECORDING_MAX_MINUTES``, or when no chunk came for
``TSUNAGU_RECORDING_LOST_SECONDS`` (the host's page closed or crashed):
what was uploaded until then is kept.

It starts only once every guest in the call has agreed to be recorded: a
consent row of kind "recording" for the meeting, from the join page or the
in-meeting prompt (:data:`PROMPT_RECORDING` in consents.py).
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import anyio
import anyio.to_thread
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from server.meetings import consents
from server.storage import chores
from server.storage.blobs import BlobStore, LocalBlobStore
from server.storage.models import (
    Consent,
    Guest,
    Meeting,
    MeetingEvent,
    Recording,
    RecordingChunk,
    User,
    utcnow,
)
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.recordings")

# What MediaRecorder may give: WebM (Chromium, Firefox) or MP4 (Safari).
CONTAINERS = {"video/webm": "webm", "video/mp4": "mp4"}
# A finished recording's file as the player and the download get it.
MEDIA_TYPES = {"webm": "video/webm", "mp4": "video/mp4"}
# Seconds between the watcher's rounds at most (a shorter lost-host
# timeout makes it look more often).
WATCH_EVERY = 5.0
# A host's page stops at the maximum itself and sends its last chunk; the
# server waits this much longer before it stops the recording for it.
MAX_GRACE_SECONDS = 10.0

# Recordings this process is remuxing now (another round must not start one twice).
_busy: set[int] = set()
# Remuxes at once in this process: each reads and writes whole files, so
# many recordings stopping together (a restart) must not all run at once.
REMUX_AT_ONCE = 2
_remux_slots: anyio.CapacityLimiter | None = None
# A claim on a remux older than this is a process that died mid-way: another
# may take the recording on.
REMUX_CLAIM = timedelta(minutes=30)
# Set when a recording stops in this process: the watcher finishes it now
# rather than at its next round.
_wake: asyncio.Event | None = None


def container_of(mime_type: str) -> str | None:
    return CONTAINERS.get(mime_type.split(";", 1)[0].strip().lower())


@dataclass(frozen=True)
class CallGuest:
    id: int
    n: int


async def guests_in_call(db: AsyncSession, meeting: Meeting) -> list[CallGuest]:
    """The guests a recording would record: connected, or the one on video
    (WebRTC media can flow while their page's socket is down), not removed,
    and on the join page or a link (a snippet guest is never on camera;
    their bar only shows that a recording runs)."""
    from server.meetings import lifecycle

    found = await lifecycle.meeting_guests(db, meeting.id)
    return [
        CallGuest(guest.id, n)
        for n, guest in enumerate(found, 1)
        if (guest.connected or guest.id == meeting.video_guest_id)
        and guest.removed_at is None
        and guest.can_video
    ]


async def agreed(db: AsyncSession, meeting_id: int) -> dict[int, Consent]:
    """Each guest's first agreement to be recorded in this meeting, wherever
    it was given (join page, link, the prompt)."""
    # Only guests who were in the meeting: one who agreed on the link page
    # but was never let in from the waiting room was never recorded.
    rows = await db.scalars(
        select(Consent)
        .join(Guest, Guest.id == Consent.guest_id)
        .where(
            Consent.meeting_id == meeting_id,
            Consent.kind == "recording",
            Guest.meeting_id == meeting_id,
        )
        .order_by(Consent.id)
    )
    found: dict[int, Consent] = {}
    for consent in rows:
        if consent.guest_id is not None:
            found.setdefault(consent.guest_id, consent)
    return found


async def missing_consent(db: AsyncSession, meeting: Meeting) -> list[CallGuest]:
    have = await agreed(db, meeting.id)
    return [guest for guest in await guests_in_call(db, meeting) if guest.id not in have]


async def running(db: AsyncSession, meeting_id: int) -> Recording | None:
    return await db.scalar(
        select(Recording).where(Recording.meeting_id == meeting_id, Recording.state == "recording")
    )


async def of_meeting(db: AsyncSession, meeting_id: int) -> list[Recording]:
    return list(
        await db.scalars(
            select(Recording).where(Recording.meeting_id == meeting_id).order_by(Recording.id)
        )
    )


def require_host(meeting: Meeting, user: User) -> None:
    """Only the meeting's own host records it (they are the one in the call)."""
    if meeting.host_id != user.id:
        raise ApiError(403, "not_in_call")


async def start(
    db: AsyncSession, meeting: Meeting, user: User, mime_type: str, max_seconds: float
) -> Recording | list[CallGuest]:
    """Start recording, or, when some guests have not agreed yet, ask them
    (a ``recording.consent_requested`` event their pages prompt on) and
    return who was asked. The caller refuses the start after committing, so
    the request reaches the guests."""
    from server.meetings import lifecycle

    require_host(meeting, user)
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if container_of(mime_type) is None:
        raise ApiError(422, "recording_type_unsupported")
    if await running(db, meeting.id) is not None:
        raise ApiError(409, "recording_running")
    missing = await missing_consent(db, meeting)
    if missing:
        await lifecycle.record_event(
            db,
            meeting,
            "recording.consent_requested",
            # "guests": their n, as the timeline says them (お客様 1、2).
            {"guest_ids": [g.id for g in missing], "guests": "、".join(str(g.n) for g in missing)},
        )
        return missing
    now = utcnow()
    recording = Recording(
        meeting_id=meeting.id,
        started_by_id=user.id,
        started_at=now,
        mime_type=mime_type,
        state="recording",
        size=0,
        last_chunk_at=now,
    )
    db.add(recording)
    await db.flush()
    await lifecycle.record_event(
        db,
        meeting,
        "recording.started",
        {
            "recording_id": recording.id,
            "by": user.label,
            "max_seconds": max_seconds,
        },
    )
    return recording


async def ask_newcomer(db: AsyncSession, meeting: Meeting, guest: Guest) -> None:
    """A guest came into the call while it records (let in from the waiting
    room): ask them as the start asked the others, so their page prompts,
    unless they agreed already (on the link page)."""
    from server.meetings import lifecycle

    if not guest.can_video or await running(db, meeting.id) is None:
        return
    if guest.id in await agreed(db, meeting.id):
        return
    facts = await lifecycle.facts_of(db, meeting.id, guest.id)
    await lifecycle.record_event(
        db,
        meeting,
        "recording.consent_requested",
        {"guest_ids": [guest.id], "guests": str(facts["n"])},
    )


async def answer(db: AsyncSession, guest: Guest, agree: bool) -> None:
    """The guest answered the in-meeting prompt: agreeing is stored as a
    consent; either way the host hears of it."""
    from server.meetings import lifecycle

    if guest.meeting_id is None:
        raise ApiError(409, "not_connected")
    meeting = await db.get(Meeting, guest.meeting_id)
    assert meeting is not None
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    from server.meetings.lifecycle import facts_of

    facts = await facts_of(db, meeting.id, guest.id)
    if agree:
        await consents.record(db, guest, consents.PROMPT_RECORDING)
        await lifecycle.record_event(db, meeting, "recording.consent_given", facts)
    else:
        await lifecycle.record_event(db, meeting, "recording.consent_refused", facts)


async def asked(db: AsyncSession, guest: Guest) -> bool:
    """The host's last request to be recorded named this guest, who has not
    answered it yet (their page was reloaded while the prompt showed)."""
    if guest.meeting_id is None:
        return False
    kinds = ("recording.consent_requested", "recording.consent_given", "recording.consent_refused")
    events = await db.scalars(
        select(MeetingEvent)
        .where(MeetingEvent.meeting_id == guest.meeting_id, MeetingEvent.type.in_(kinds))
        .order_by(MeetingEvent.id.desc())
        .limit(50)
    )
    for event in events:
        if event.type == "recording.consent_requested":
            return guest.id in event.payload.get("guest_ids", [])
        if event.payload.get("guest_id") == guest.id:
            return False  # answered since
    return False


async def get_recording(
    db: AsyncSession, meeting: Meeting, recording_id: int, *, lock: bool = False
) -> Recording:
    query = select(Recording).where(
        Recording.id == recording_id, Recording.meeting_id == meeting.id
    )
    if lock:
        query = query.with_for_update(of=Recording)
    recording = await db.scalar(query)
    if recording is None:
        raise ApiError(404, "recording_not_found")
    return recording


async def stop(db: AsyncSession, meeting: Meeting, recording: Recording, by: str) -> bool:
    """Stop a running recording (idempotent: False when it had stopped)."""
    from server.meetings import lifecycle

    now = utcnow()
    stopped = await db.execute(
        update(Recording)
        .where(Recording.id == recording.id, Recording.state == "recording")
        .values(state="finishing", stopped_at=now, stopped_by=by)
        .execution_options(synchronize_session=False)
    )
    await db.refresh(recording)
    if stopped.rowcount != 1:
        return False
    await lifecycle.record_event(
        db, meeting, "recording.stopped", {"recording_id": recording.id, "by": by}
    )
    wake()
    return True


async def meeting_ended(db: AsyncSession, meeting: Meeting) -> None:
    """The meeting ended: a recording still running stops with it."""
    recording = await running(db, meeting.id)
    if recording is not None:
        await stop(db, meeting, recording, "end")


def wake() -> None:
    if _wake is not None:
        _wake.set()


# -- chunks --------------------------------------------------------------------


async def chunk_of(db: AsyncSession, recording_id: int, seq: int) -> RecordingChunk | None:
    return await db.scalar(
        select(RecordingChunk).where(
            RecordingChunk.recording_id == recording_id, RecordingChunk.seq == seq
        )
    )


async def add_chunk(
    db: AsyncSession, recording: Recording, seq: int, key: str, size: int
) -> RecordingChunk | None:
    """Note a stored chunk; None when this seq was stored meanwhile (a
    retry that raced the first try: the caller drops its own blob)."""
    existing = await chunk_of(db, recording.id, seq)
    if existing is not None:
        return None
    chunk = RecordingChunk(recording_id=recording.id, seq=seq, blob_key=key, size=size)
    db.add(chunk)
    recording.last_chunk_at = utcnow()
    await db.flush()
    return chunk


# -- the remux -----------------------------------------------------------------


def remux(source: str, target: str, container: str) -> float:
    """Copy every audio and video packet of ``source`` into ``target``
    unchanged (no decoding), so the muxer writes what the browser could
    not: the duration and a seek index (Matroska cues; for MP4 a ``moov``
    moved to the front). Returns the duration in seconds."""
    import av

    options = {"movflags": "+faststart"} if container == "mp4" else {}
    first: float | None = None
    last = 0.0
    with av.open(source) as given, av.open(target, "w", format=container, options=options) as out:
        streams = [s for s in given.streams if s.type in ("video", "audio")]
        if not streams:
            raise ValueError("no audio or video in the recording")
        mapped = {s.index: out.add_stream_from_template(s) for s in streams}
        latest: dict[int, int] = {}
        for packet in given.demux(streams):
            if packet.pts is None and packet.dts is None:
                continue  # the demuxer's flush packet
            if packet.dts is None:
                packet.dts = packet.pts
            if packet.pts is None:
                packet.pts = packet.dts
            # A chunk cut mid-cluster (a crash) can repeat a timestamp;
            # muxers refuse time going back.
            if packet.dts < latest.get(packet.stream.index, -(2**62)):
                continue
            latest[packet.stream.index] = packet.dts
            base = packet.time_base
            begin = float(packet.pts * base)
            end = float((packet.pts + (packet.duration or 0)) * base)
            first = begin if first is None else min(first, begin)
            last = max(last, end)
            packet.stream = mapped[packet.stream.index]
            out.mux(packet)
    return max(0.0, last - (first or 0.0))


def build_file(
    store: BlobStore, chunk_keys: list[str], container: str, key: str
) -> tuple[float, int]:
    """In a worker thread: the chunks, joined in order into one temporary
    file, remuxed into another, stored under ``key``. Returns the duration
    and the file's size."""
    with tempfile.TemporaryDirectory(prefix="tsunagu-recording-") as folder:
        joined = os.path.join(folder, "joined")
        final = os.path.join(folder, f"final.{container}")
        with open(joined, "wb") as handle:
            for chunk_key in chunk_keys:
                data = store.get(chunk_key)
                if data is not None:  # deleted meanwhile: the rest still plays
                    handle.write(data)
        duration = remux(joined, final, container)
        with open(final, "rb") as handle:
            store.put_file(key, handle, MEDIA_TYPES[container])
        return duration, os.path.getsize(final)


async def finish(app: Starlette, recording_id: int) -> None:
    """Turn a stopped recording's chunks into its file (ready), or mark it
    failed; then its chunks go. Runs once per recording in this process."""
    if recording_id in _busy:
        return
    _busy.add(recording_id)
    try:
        await _finish(app, recording_id)
    finally:
        _busy.discard(recording_id)


async def finish_soon(app: Starlette, recording_id: int) -> None:
    services(app).background.start_soon(finish, app, recording_id)


async def _finish(app: Starlette, recording_id: int) -> None:
    from server.meetings import lifecycle

    global _remux_slots
    # Claimed first, with a conditional UPDATE: with several processes, one
    # remuxes a recording; the others see the claim and leave it be.
    now = utcnow()
    async with lifecycle.transaction(app) as db:
        claimed = await db.execute(
            update(Recording)
            .where(
                Recording.id == recording_id,
                Recording.state == "finishing",
                Recording.blob_key.is_(None),
                or_(
                    Recording.remux_claimed_at.is_(None),
                    Recording.remux_claimed_at < now - REMUX_CLAIM,
                ),
            )
            .values(remux_claimed_at=now)
            .execution_options(synchronize_session=False)
        )
    if claimed.rowcount != 1:
        return
    if _remux_slots is None:
        _remux_slots = anyio.CapacityLimiter(REMUX_AT_ONCE)
    async with _remux_slots:
        await _remux(app, recording_id)


async def _remux(app: Starlette, recording_id: int) -> None:
    from server.meetings import lifecycle
    from server.storage.blobs import new_key

    shared = services(app)
    async with shared.db.begin() as db:
        recording = await db.get(Recording, recording_id)
        if recording is None or recording.state != "finishing":
            return
        chunks = list(
            await db.scalars(
                select(RecordingChunk)
                .where(RecordingChunk.recording_id == recording_id)
                .order_by(RecordingChunk.seq)
            )
        )
        container = container_of(recording.mime_type) or "webm"
    keys = [chunk.blob_key for chunk in chunks]
    key = new_key(container)
    duration: float | None = None
    size = 0
    if keys:
        try:
            # PyAV in a worker thread: the event loop goes on serving.
            duration, size = await anyio.to_thread.run_sync(
                build_file, shared.blobs, keys, container, key
            )
        except Exception:
            log.exception("recording %s could not be remuxed", recording_id)
    async with lifecycle.transaction(app) as db:
        recording = await db.get(Recording, recording_id)
        meeting = await db.get(Meeting, recording.meeting_id) if recording else None
        if recording is None or meeting is None or recording.state != "finishing":
            if duration is not None:
                await anyio.to_thread.run_sync(shared.blobs.delete, key)
            return
        if duration is None:
            # Kept as chunks: nothing is lost, and a later version can try again.
            recording.state = "failed"
            await lifecycle.record_event(
                db, meeting, "recording.failed", {"recording_id": recording.id}
            )
            return
        # Conditional: should another process have finished it meanwhile
        # (its claim taken over as stale), its file stays and this one goes.
        done = await db.execute(
            update(Recording)
            .where(
                Recording.id == recording_id,
                Recording.state == "finishing",
                Recording.blob_key.is_(None),
            )
            .values(state="ready", duration=round(duration, 3), size=size, blob_key=key)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            await anyio.to_thread.run_sync(shared.blobs.delete, key)
            return
        await db.refresh(recording)
        await db.execute(delete(RecordingChunk).where(RecordingChunk.recording_id == recording_id))
        await lifecycle.record_event(
            db,
            meeting,
            "recording.ready",
            {
                "recording_id": recording.id,
                "duration": recording.duration,
                "size": size,
                "clock": clock(recording.duration),
            },
        )
    await anyio.to_thread.run_sync(shared.blobs.delete_many, keys)


def clock(seconds: float | None) -> str:
    """12:34 or 1:02:03."""
    if seconds is None:
        return ""
    total = round(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# -- the watcher -----------------------------------------------------------------


async def check(app: Starlette, now: datetime | None = None) -> None:
    """One round: stop what must stop (the meeting ended, the maximum, a
    lost host) and finish what stopped."""
    from server.meetings import lifecycle

    settings = services(app).settings
    now = now or utcnow()
    grace = min(MAX_GRACE_SECONDS, settings.recording_lost_seconds)
    too_long = now - timedelta(seconds=settings.recording_max_minutes * 60 + grace)
    quiet = now - timedelta(seconds=settings.recording_lost_seconds)
    async with services(app).db.begin() as db:
        rows = (
            await db.execute(
                select(Recording, Meeting.state)
                .join(Meeting, Meeting.id == Recording.meeting_id)
                .where(Recording.state.in_(("recording", "finishing")))
            )
        ).all()
    due: list[tuple[int, str]] = []
    finishing: list[int] = []
    for recording, meeting_state in rows:
        if recording.state == "finishing":
            finishing.append(recording.id)
        elif meeting_state == "ended":
            due.append((recording.id, "end"))
        elif recording.started_at < too_long:
            due.append((recording.id, "timeout"))
        elif (recording.last_chunk_at or recording.started_at) < quiet:
            due.append((recording.id, "lost_host"))
    for recording_id, by in due:
        async with lifecycle.transaction(app) as db:
            recording = await db.get(Recording, recording_id)
            meeting = await db.get(Meeting, recording.meeting_id) if recording else None
            if recording is not None and meeting is not None:
                await stop(db, meeting, recording, by)
                finishing.append(recording_id)
    for recording_id in finishing:
        if recording_id not in _busy:
            services(app).background.start_soon(finish, app, recording_id)


async def watch(app: Starlette) -> None:
    """The background task: a round every few seconds (more often with a
    short lost-host timeout), and at once when a recording stops here."""
    global _wake
    _wake = asyncio.Event()
    settings = services(app).settings
    every = min(WATCH_EVERY, max(0.5, settings.recording_lost_seconds / 3))
    while True:
        await chores.run_pass([lambda: check(app)], log)
        with anyio.move_on_after(every):
            await _wake.wait()
        if _wake.is_set():
            _wake.clear()
            # The stop that woke us commits after its event was recorded:
            # look once it has.
            await anyio.sleep(0.2)


def record_entries(recordings: list[Recording]) -> list[dict[str, Any]]:
    """The record page's and the export's view of a meeting's recordings."""
    return [
        {
            "id": r.id,
            "state": r.state,
            "started_at": r.started_at,
            "stopped_at": r.stopped_at,
            "stopped_by": r.stopped_by,
            "started_by": r.started_by.label if r.started_by else None,
            "duration": r.duration,
            "clock": clock(r.duration),
            "size": r.size,
            "file": f"recording-{r.id}.{r.extension}" if r.state == "ready" else None,
            "blob_key": r.blob_key,
        }
        for r in recordings
    ]


async def for_record(db: AsyncSession, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting record's recordings: each with who started it and which
    guests had agreed to be recorded by then, and when."""
    from server.meetings import lifecycle

    numbers = {g.id: n for n, g in enumerate(await lifecycle.meeting_guests(db, meeting_id), 1)}
    given = list((await agreed(db, meeting_id)).values())
    entries = record_entries(await of_meeting(db, meeting_id))
    for entry in entries:
        entry["agreed"] = [
            {"n": numbers.get(c.guest_id or 0), "at": c.created_at, "place": c.place}
            for c in given
            if c.created_at <= entry["started_at"]
        ]
    return entries


# Read into the ZIP export this much at a time.
ZIP_PIECE = 1024 * 1024


async def zip_entry(
    archive: zipfile.ZipFile, store: BlobStore, recording: dict[str, Any]
) -> AsyncIterator[None]:
    """Write a ready recording's file into ``archive`` (stored: it is
    compressed already), yielding after each piece so the caller can send
    what was written. It is read a piece at a time (from an object store,
    by ranged reads), never whole into memory."""
    info = zipfile.ZipInfo(recording["file"], date_time=recording["started_at"].timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED
    key = recording["blob_key"]
    if isinstance(store, LocalBlobStore):
        path = store.path(key)
        if not path.exists():
            return
        with path.open("rb") as source, archive.open(info, "w", force_zip64=True) as target:
            while piece := await anyio.to_thread.run_sync(source.read, ZIP_PIECE):
                target.write(piece)
                yield
        return
    # An object store: ranged reads, so only a piece is in memory at a time.
    piece = await anyio.to_thread.run_sync(store.read_range, key, 0, ZIP_PIECE)
    if piece is None:
        return
    start = 0
    with archive.open(info, "w", force_zip64=True) as target:
        while piece:
            target.write(piece)
            yield
            if len(piece) < ZIP_PIECE:
                break
            start += len(piece)
            piece = await anyio.to_thread.run_sync(store.read_range, key, start, ZIP_PIECE)
