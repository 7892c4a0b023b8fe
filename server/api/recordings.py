"""``/api/v1/meetings/{id}/recordings``: the host records the call (issue #14).

The host's browser starts a recording, uploads its chunks in order as
``MediaRecorder`` hands them out, and stops it; the server remuxes the
chunks into one file (server/meetings/recordings.py). Guests answer the
request to be recorded at ``/api/v1/guest/recording-consent``.
"""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta

import anyio.to_thread
from pydantic import Field
from sqlalchemy import select
from starlette.requests import ClientDisconnect
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from server.meetings import lifecycle as meetings
from server.meetings import recordings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.blobs import BlobStore, LocalBlobStore, content_disposition, new_key
from server.storage.models import Recording, utcnow
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services

# Chunks are numbered from 0; a day of 1-second chunks fits.
MAX_SEQ = 100_000
# What a chunk is held in memory up to before it spills to a temporary file.
SPOOL_BYTES = 1024 * 1024


class RecordingStart(Payload):
    mime_type: str = Field(
        max_length=100,
        description='What MediaRecorder records, e.g. "video/webm;codecs=vp8,opus" or "video/mp4"',
    )


class RecordingOut(Output):
    id: int
    meeting_id: int
    state: str = Field(description="recording | finishing | ready | failed")
    started_at: datetime
    started_by: str | None = Field(description="The host who started it")
    stopped_at: datetime | None
    stopped_by: str | None = Field(description="host | end | timeout | lost_host")
    mime_type: str
    duration: float | None = Field(description="Seconds, once ready")
    size: int = Field(description="The file's bytes, once ready")
    max_seconds: float = Field(description="It stops by itself after this many seconds")
    file_url: str | None = Field(description="Download (attachment), once ready")
    media_url: str | None = Field(description="The same bytes for a <video> player, once ready")


class RecordingList(Output):
    recordings: list[RecordingOut]
    guests_in_call: list[int] = Field(description="Guests (by their n) a recording records")
    agreed: list[int] = Field(description="Those of them who agreed to be recorded")
    max_seconds: float = Field(description="A recording stops by itself after this many seconds")


class GuestRecordingState(Output):
    recording: bool = Field(description="The host is recording the call now")
    asked: bool = Field(description="The host asked this guest to agree; no answer yet")


class ChunkOut(Output):
    recording_id: int
    seq: int
    size: int


class ConsentAnswer(Payload):
    agree: bool = Field(description="true: 同意する; false: 同意しない")


def recording_out(recording: Recording, max_seconds: float) -> dict:
    ready = recording.state == "ready"
    return {
        "id": recording.id,
        "meeting_id": recording.meeting_id,
        "state": recording.state,
        "started_at": recording.started_at,
        "started_by": recording.started_by.label if recording.started_by else None,
        "stopped_at": recording.stopped_at,
        "stopped_by": recording.stopped_by,
        "mime_type": recording.mime_type,
        "duration": recording.duration,
        "size": recording.size,
        "max_seconds": max_seconds,
        "file_url": f"/api/v1/recordings/{recording.id}/file" if ready else None,
        "media_url": f"/api/v1/recordings/{recording.id}/media" if ready else None,
    }


def max_seconds(call: Call) -> float:
    return round(call.services.settings.recording_max_minutes * 60, 1)


@endpoint(transaction="none")
async def start_recording(call: Call) -> JSONResponse:
    """Start, or ask the guests who have not agreed yet (then 409)."""
    body = await read_json(call.request, RecordingStart)
    async with meetings.transaction(call.request.app) as db:
        meeting = await meetings.get_meeting(
            db, call.user, call.request.path_params["meeting_id"], lock=True
        )
        started = await recordings.start(db, meeting, call.user, body.mime_type, max_seconds(call))
        if isinstance(started, Recording):
            await db.refresh(started, ["started_by"])
            out = recording_out(started, max_seconds(call))
    # Refused after the commit: the guests' pages have been asked.
    if not isinstance(started, Recording):
        raise ApiError(
            409,
            "recording_needs_consent",
            params={"guests": "、".join(f"{g.n}" for g in started)},
            details=[{"guest_id": g.id, "n": g.n} for g in started],
        )
    return respond(RecordingOut, out, status=201)


@endpoint()
async def list_recordings(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    found = await recordings.of_meeting(call.db, meeting.id)
    in_call = await recordings.guests_in_call(call.db, meeting)
    have = await recordings.agreed(call.db, meeting.id)
    return respond(
        RecordingList,
        {
            "recordings": [recording_out(r, max_seconds(call)) for r in found],
            "guests_in_call": [g.n for g in in_call],
            "agreed": [g.n for g in in_call if g.id in have],
            "max_seconds": max_seconds(call),
        },
    )


@endpoint(transaction="meeting")
async def stop_recording(call: Call) -> JSONResponse:
    params = call.request.path_params
    meeting = await meetings.get_meeting(call.db, call.user, params["meeting_id"], lock=True)
    recordings.require_host(meeting, call.user)
    recording = await recordings.get_recording(call.db, meeting, params["recording_id"])
    # The host's page stops by itself at the maximum length: that is the
    # maximum's stop, not the host's.
    longest = timedelta(seconds=max_seconds(call) - 1)
    by = "timeout" if utcnow() - recording.started_at >= longest else "host"
    if await recordings.stop(call.db, meeting, recording, by):
        # The file is made as soon as the stop is committed, not at the
        # watcher's next round.
        app, recording_id = call.request.app, recording.id
        call.committed.append(lambda: recordings.finish_soon(app, recording_id))
    return respond(RecordingOut, recording_out(recording, max_seconds(call)))


def chunk_seq(call: Call) -> int:
    seq = call.request.path_params["seq"]
    if not (seq.isascii() and seq.isdigit() and len(seq) <= 6 and int(seq) <= MAX_SEQ):
        raise ApiError(422, "invalid_chunk_seq", params={"max": MAX_SEQ})
    return int(seq)


async def spool_body(call: Call, limit: int) -> tempfile.SpooledTemporaryFile:
    """The request's body in a temporary file, refused (413) as soon as it
    passes ``limit``: a huge upload is never held, in memory or on disk."""
    too_large = ApiError(
        413, "recording_chunk_too_large", params={"limit_mb": round(limit / 2**20, 1)}
    )
    declared = call.request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 (returned)
    size = 0
    try:
        async for piece in call.request.stream():
            size += len(piece)
            if size > limit:
                spool.close()
                raise too_large
            spool.write(piece)
    except ClientDisconnect:
        spool.close()
        raise ApiError(400, "bad_request") from None
    if size == 0:
        spool.close()
        raise ApiError(422, "recording_chunk_empty")
    spool.seek(0)
    return spool


def store_chunk(store: BlobStore, key: str, spool, content_type: str) -> None:
    with spool:
        store.put_file(key, spool, content_type)


@endpoint(transaction="none")
async def upload_chunk(call: Call) -> JSONResponse:
    """One chunk, stored as it came. The same seq again (a retry whose
    answer was lost) is answered with what is stored, and not stored twice."""
    request = call.request
    params = request.path_params
    seq = chunk_seq(call)
    async with call.services.db.begin() as db:
        meeting = await meetings.get_meeting(db, call.user, params["meeting_id"])
        recordings.require_host(meeting, call.user)
        recording = await recordings.get_recording(db, meeting, params["recording_id"])
        existing = await recordings.chunk_of(db, recording.id, seq)
        if existing is None and recording.state != "recording":
            raise ApiError(409, "recording_stopped")
        container = recordings.container_of(recording.mime_type) or "webm"
    if existing is not None:
        return respond(ChunkOut, {"recording_id": recording.id, "seq": seq, "size": existing.size})
    spool = await spool_body(call, call.services.settings.recording_chunk_bytes)
    size = spool.seek(0, 2)
    spool.seek(0)
    key = new_key(f"{container}part")
    store = call.services.blobs
    await anyio.to_thread.run_sync(
        store_chunk, store, key, spool, recordings.MEDIA_TYPES[container]
    )
    async with meetings.transaction(request.app) as db:
        # Locked, then its state read again: a stop committing meanwhile
        # either waits for this chunk (and the remux then has it) or is
        # seen here (and the chunk is refused, not left out of the file).
        recording = await db.scalar(
            select(Recording)
            .where(Recording.id == recording.id)
            .with_for_update(of=Recording)
            .execution_options(populate_existing=True)
        )
        stored = None
        if recording is not None and recording.state == "recording":
            stored = await recordings.add_chunk(db, recording, seq, key, size)
        state = recording.state if recording is not None else "gone"
    if stored is None:
        await anyio.to_thread.run_sync(store.delete, key)
        if state != "recording":
            raise ApiError(409, "recording_stopped")
    return respond(ChunkOut, {"recording_id": recording.id, "seq": seq, "size": size}, status=201)


async def ready_recording(call: Call) -> Recording:
    async with call.services.db.begin() as db:
        recording = await db.get(Recording, call.request.path_params["recording_id"])
        if recording is None:
            raise ApiError(404, "recording_not_found")
        # Visible to whoever may see its meeting (404 otherwise).
        await meetings.get_meeting(db, call.user, recording.meeting_id)
    if recording.state != "ready" or not recording.blob_key:
        raise ApiError(409, "recording_not_ready")
    return recording


@endpoint(transaction="none")
async def recording_file(call: Call) -> Response:
    """The file, as a download or (``/media``) for the page's player; both
    answer Range requests, so a player seeks without fetching it all."""
    recording = await ready_recording(call)
    inline = call.request.url.path.endswith("/media")
    extension = recording.extension
    media_type = recordings.MEDIA_TYPES[extension]
    name = f"meeting-{recording.meeting_id}-recording-{recording.id}.{extension}"
    disposition = content_disposition(name, inline=inline)
    store: BlobStore = call.services.blobs
    assert recording.blob_key is not None
    if isinstance(store, LocalBlobStore):
        path = store.path(recording.blob_key)
        if not path.exists():
            raise ApiError(404, "recording_not_found")
        return FileResponse(
            path,
            media_type=media_type,
            headers={
                "Content-Disposition": disposition,
                "Cache-Control": "private, max-age=3600",
                "X-Content-Type-Options": "nosniff",
            },
        )
    # An object store answers Range requests itself: the browser fetches
    # from it directly, and the web process relays nothing.
    settings = call.services.settings
    url = store.presigned_url(
        recording.blob_key,
        seconds=settings.s3_url_seconds,
        content_type=media_type,
        disposition=disposition,
    )
    assert url is not None
    cache = f"private, max-age={settings.s3_url_seconds * 4 // 5}"
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": cache})


async def answer_consent(request) -> Response:
    """The guest answers 「録画に同意しますか」 on their page."""
    body = await read_json(request, ConsentAnswer)
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        if guest.meeting_id is None or not guest.connected:
            raise ApiError(409, "not_connected")
        await recordings.answer(db, guest, body.agree)
    return Response(status_code=204)


async def guest_state(request) -> JSONResponse:
    """Whether the call is being recorded, for a guest's page opened (or
    reloaded) mid-recording."""
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting_id = guest.meeting_id
        running = await recordings.running(db, meeting_id) if meeting_id is not None else None
        if running is not None:
            # A guest who came into the call while it records is asked too.
            have = await recordings.agreed(db, running.meeting_id)
            asked = guest.can_video and guest.id not in have
        else:
            asked = await recordings.asked(db, guest)
    return respond(GuestRecordingState, {"recording": running is not None, "asked": asked})


NOT_FOUND = ((404, "meeting_not_found"), (404, "recording_not_found"))


def routes() -> list[BaseRoute]:
    base = "/api/v1/meetings/{meeting_id:id}/recordings"
    return [
        operation(
            "POST",
            base,
            start_recording,
            summary="Start recording the call (the meeting's own host). 409 "
            "recording_needs_consent names the guests who have not agreed yet (in details); "
            "their pages are asked (recording.consent_requested)",
            body=RecordingStart,
            response=RecordingOut,
            status=201,
            errors=(
                (404, "meeting_not_found"),
                (403, "not_in_call"),
                (409, "recording_needs_consent"),
                (409, "recording_running"),
                (409, "meeting_ended"),
                (422, "recording_type_unsupported"),
            ),
            tag="recordings",
        ),
        operation(
            "GET",
            base,
            list_recordings,
            summary="The meeting's recordings, oldest first, with who is in the call and who "
            "agreed to be recorded",
            response=RecordingList,
            errors=((404, "meeting_not_found"),),
            tag="recordings",
        ),
        operation(
            "PUT",
            base + "/{recording_id:id}/chunks/{seq}",
            upload_chunk,
            summary="Upload chunk number seq (0, 1, 2...) of a running recording: the raw "
            "bytes MediaRecorder gave. The same seq again is answered 200 with what is stored",
            response=ChunkOut,
            status=201,
            errors=(
                *NOT_FOUND,
                (403, "not_in_call"),
                (409, "recording_stopped"),
                (413, "recording_chunk_too_large"),
                (422, "recording_chunk_empty"),
                (422, "invalid_chunk_seq"),
            ),
            tag="recordings",
        ),
        operation(
            "POST",
            base + "/{recording_id:id}/stop",
            stop_recording,
            summary="Stop the recording (idempotent); its file is made from the chunks "
            "(recording.ready)",
            response=RecordingOut,
            errors=(*NOT_FOUND, (403, "not_in_call")),
            tag="recordings",
        ),
        operation(
            "GET",
            "/api/v1/recordings/{recording_id:id}/file",
            recording_file,
            name="recording_download",
            summary="A ready recording's file, as an attachment (Range requests supported; "
            "on an object store, a redirect to it)",
            errors=((404, "recording_not_found"), (409, "recording_not_ready")),
            tag="recordings",
        ),
        operation(
            "GET",
            "/api/v1/recordings/{recording_id:id}/media",
            recording_file,
            name="recording_media",
            summary="The same file inline, for a <video> player",
            errors=((404, "recording_not_found"), (409, "recording_not_ready")),
            tag="recordings",
        ),
        operation(
            "POST",
            "/api/v1/guest/recording-consent",
            answer_consent,
            summary="The guest agrees (or not) to the recording the host asked for; the host "
            "hears recording.consent_given or recording.consent_refused",
            auth="guest",
            body=ConsentAnswer,
            status=204,
            errors=(*GUEST_AUTH_ERRORS, (409, "not_connected"), (409, "meeting_ended")),
            tag="recordings",
        ),
        operation(
            "GET",
            "/api/v1/guest/recording",
            guest_state,
            summary="Whether the guest's call is being recorded now",
            auth="guest",
            response=GuestRecordingState,
            errors=GUEST_AUTH_ERRORS,
            tag="recordings",
        ),
    ]
