"""Files sent in a meeting (issue #15): resumable uploads for the host and
the guests, the meeting's list, and downloads that are always attachments.
What happens to files is in ``server/meetings/files.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import anyio
import anyio.to_thread
from pydantic import Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from server.accounts.attempts import begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import files
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.blobs import BlobStore, LocalBlobStore, content_disposition
from server.storage.models import FileUpload, Guest, Meeting, MeetingFile
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services

# New uploads per sender; pieces of uploads per sender (a 50 MB file is
# 13 pieces of 4 MB, more after drops on a poor line).
UPLOADS = Limit(30, 600)
PIECES = Limit(2000, 600)
OFFSET_DIGITS = 12


class UploadStart(Payload):
    name: str = Field(min_length=1, max_length=1000, description="The file's name on the device")
    size: int = Field(ge=0, le=2**53, description="The file's size in bytes")
    type: str = Field(
        default="",
        max_length=200,
        description="What the device says the file is (ignored: the content is what counts)",
    )


class FileOut(Output):
    id: int
    meeting_id: int
    name: str = Field(description="The name it is saved under (safe: no folders, Japanese kept)")
    size: int
    sha256: str
    content_type: str = Field(description="What its first bytes say it is")
    sender: Literal["host", "guest"]
    guest_id: int | None
    sent_by: str | None = Field(description="The host who sent it (host files)")
    created_at: datetime
    download_url: str | None = Field(
        description="Where the host downloads it (guests ask for a link instead)"
    )


class UploadOut(Output):
    id: str = Field(description="The upload's id (32 hex digits)")
    name: str
    size: int
    received: int = Field(description="Bytes the server has: send the rest from here")
    chunk_bytes: int = Field(description="A good size for each piece")
    state: Literal["receiving", "done"] = Field(
        description="done: every byte came and the file was made (it is in file)"
    )
    file: FileOut | None = Field(description="The file, once the last byte is in")


class FileList(Output):
    files: list[FileOut]
    max_mb: int = Field(description="The largest file that may be sent (TSUNAGU_FILE_MAX_MB)")
    can_send: bool = Field(description="The admin's policy lets you send files")


class DownloadLink(Output):
    url: str = Field(description="GET it (no token needed) within expires_in seconds")
    expires_in: int


# -- shared --------------------------------------------------------------------------


def upload_out(upload: FileUpload, sent: MeetingFile | None = None, *, guest_view=False) -> dict:
    return {
        "id": upload.id,
        "name": upload.name,
        "size": upload.size,
        "received": upload.received,
        "chunk_bytes": files.CHUNK_BYTES,
        "state": upload.state,
        "file": files.file_json(sent, guest_view=guest_view) if sent else None,
    }


def offset_of(request: Request) -> int:
    value = request.query_params.get("offset", "")
    if not (value.isascii() and value.isdigit() and len(value) <= OFFSET_DIGITS):
        raise ApiError(422, "file_offset_invalid")
    return int(value)


async def upload_state(request: Request, upload: FileUpload, *, guest_view: bool) -> JSONResponse:
    """How far an upload has come; a done one with its file, so a sender
    whose connection dropped on the last piece learns it was delivered."""
    sent = await files.delivered(request.app, upload.id) if upload.state == "done" else None
    if sent is None:
        return respond(UploadOut, upload_out(upload, guest_view=guest_view))
    return await made(request, upload, sent, guest_view=guest_view, status=200)


async def made(
    request: Request, upload: FileUpload, sent: MeetingFile, *, guest_view: bool, status: int
) -> JSONResponse:
    async with services(request).db.begin() as db:
        sent = await db.get(MeetingFile, sent.id)
        if sent is None:  # deleted with the meeting's data meanwhile
            raise ApiError(404, "file_upload_not_found")
        upload.state = "done"
        out = upload_out(upload, sent, guest_view=guest_view)
    return respond(UploadOut, out, status=status)


async def put_piece(request: Request, upload: FileUpload, *, guest_view: bool) -> JSONResponse:
    """Take one piece of an upload; with the last byte, the file is made.
    A piece sent again to an upload that is done (its answer was lost)
    gets the file, as the first did."""
    offset = offset_of(request)
    if upload.state == "done":
        sent = await files.delivered(request.app, upload.id)
        if sent is None:
            raise ApiError(404, "file_upload_not_found")
        return await made(request, upload, sent, guest_view=guest_view, status=201)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and offset == upload.received and offset + int(declared) > upload.size:
        # Refused before a byte is read; the upload is given up with it.
        await files.abort(request.app, upload.id)
        raise files.too_large(request.app)
    try:
        received = await files.receive(request.app, upload, offset, request.stream())
    except ApiError as error:
        if error.code == "file_offset_mismatch":
            error.details = [{"received": upload.received}]
        raise
    if received < upload.size:
        return respond(UploadOut, upload_out(upload, guest_view=guest_view))
    sent = await files.finish(request.app, upload)
    return await made(request, upload, sent, guest_view=guest_view, status=201)


async def file_response(request: Request, sent: MeetingFile) -> Response:
    """The file as a download, never shown: an attachment under its safe
    name, typed ``application/octet-stream`` (never what it was sniffed
    as), with no sniffing and, were it opened anyway, a sandbox."""
    disposition = content_disposition(sent.name, inline=False)
    store: BlobStore = services(request).blobs
    settings = services(request).settings
    if isinstance(store, LocalBlobStore):
        path = store.path(sent.blob_key)
        if not await anyio.to_thread.run_sync(path.exists):
            raise ApiError(404, "file_not_found")
        return FileResponse(
            path,
            media_type=files.DOWNLOAD_TYPE,
            headers={
                "Content-Disposition": disposition,
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox",
                "Cache-Control": "private, no-store",
            },
        )
    # An object store: the browser fetches from it directly, with the same
    # type and disposition the signed URL asks the store to answer with.
    url = store.presigned_url(
        sent.blob_key,
        seconds=settings.s3_url_seconds,
        content_type=files.DOWNLOAD_TYPE,
        disposition=disposition,
    )
    assert url is not None
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "private, no-store"})


# -- the host ----------------------------------------------------------------------


async def host_meeting(call: Call, db, *, lock: bool = False) -> Meeting:
    meeting = await meetings.get_meeting(
        db, call.user, call.request.path_params["meeting_id"], lock=lock
    )
    return meeting


def host_sender(call: Call, meeting: Meeting) -> files.Sender:
    # Only the meeting's own host sends in it (they are the one talking).
    if meeting.host_id != call.user.id:
        raise ApiError(403, "not_in_call")
    return files.Sender("host", user=call.user)


@endpoint()
async def list_files(call: Call) -> JSONResponse:
    meeting = await host_meeting(call, call.db)
    found = await files.of_meeting(call.db, meeting.id)
    rules = await files.policy(call.db)
    return respond(
        FileList,
        {
            "files": [files.file_json(f) for f in found],
            "max_mb": call.services.settings.file_max_mb,
            "can_send": rules.may_send("host") and meeting.host_id == call.user.id,
        },
    )


@endpoint(transaction="none")
async def start_host_upload(call: Call) -> JSONResponse:
    body = await read_json(call.request, UploadStart)
    async with call.services.db.begin() as db:
        meeting = await host_meeting(call, db)
        sender = host_sender(call, meeting)
    await begin_attempt(call.request, [(f"files:{sender.key}", UPLOADS)], code="too_many_files")
    async with call.services.db.begin() as db:
        meeting = await host_meeting(call, db)
        upload = await files.begin(call.request.app, db, meeting, sender, body.name, body.size)
        out = upload_out(upload)
    return respond(UploadOut, out, status=201)


async def host_upload(call: Call) -> FileUpload:
    async with call.services.db.begin() as db:
        meeting = await host_meeting(call, db)
        sender = host_sender(call, meeting)
        upload = await files.get_upload(
            db, call.request.path_params["upload_id"], sender, meeting.id
        )
        files.live_meeting(meeting)
    return upload


@endpoint(transaction="none")
async def host_upload_state(call: Call) -> JSONResponse:
    return await upload_state(call.request, await host_upload(call), guest_view=False)


@endpoint(transaction="none")
async def host_upload_piece(call: Call) -> JSONResponse:
    upload = await host_upload(call)
    await begin_attempt(
        call.request, [(f"file-pieces:user:{call.user.id}", PIECES)], code="too_many_requests"
    )
    return await put_piece(call.request, upload, guest_view=False)


@endpoint(transaction="none")
async def cancel_host_upload(call: Call) -> Response:
    upload = await host_upload(call)
    await files.abort(call.request.app, upload.id)
    return Response(status_code=204)


@endpoint(transaction="none")
async def host_download(call: Call) -> Response:
    async with call.services.db.begin() as db:
        sent = await files.for_host(db, call.user, call.request.path_params["file_id"])
    return await file_response(call.request, sent)


# -- the guest ---------------------------------------------------------------------


async def guest_in_meeting(request: Request, db) -> tuple[Guest, Meeting]:
    guest = await require_guest(request, db)
    meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
    return guest, files.live_meeting(meeting)


async def guest_files(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        if guest.meeting_id is None:
            raise ApiError(409, "not_connected")
        found = await files.of_meeting(db, guest.meeting_id, guest)
        rules = await files.policy(db)
        out = {
            "files": [files.file_json(f, guest_view=True) for f in found],
            "max_mb": services(request).settings.file_max_mb,
            "can_send": rules.may_send("guest"),
        }
    return respond(FileList, out)


async def start_guest_upload(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        guest, _ = await guest_in_meeting(request, db)
    sender = files.Sender("guest", guest=guest)
    await begin_attempt(request, [(f"files:{sender.key}", UPLOADS)], code="too_many_files")
    body = await read_json(request, UploadStart)
    async with services(request).db.begin() as db:
        guest, meeting = await guest_in_meeting(request, db)
        sender = files.Sender("guest", guest=guest)
        upload = await files.begin(request.app, db, meeting, sender, body.name, body.size)
        out = upload_out(upload, guest_view=True)
    return respond(UploadOut, out, status=201)


async def guest_upload(request: Request) -> FileUpload:
    async with services(request).db.begin() as db:
        guest, meeting = await guest_in_meeting(request, db)
        sender = files.Sender("guest", guest=guest)
        return await files.get_upload(db, request.path_params["upload_id"], sender, meeting.id)


async def guest_upload_state(request: Request) -> JSONResponse:
    return await upload_state(request, await guest_upload(request), guest_view=True)


async def guest_upload_piece(request: Request) -> JSONResponse:
    upload = await guest_upload(request)
    await begin_attempt(
        request, [(f"file-pieces:guest:{upload.guest_id}", PIECES)], code="too_many_requests"
    )
    return await put_piece(request, upload, guest_view=True)


async def cancel_guest_upload(request: Request) -> Response:
    upload = await guest_upload(request)
    await files.abort(request.app, upload.id)
    return Response(status_code=204)


async def guest_file_link(request: Request) -> JSONResponse:
    """A short-lived link the guest's browser saves the file from: a
    download is a navigation, which cannot carry the bearer token, and the
    token must not go in a URL (logs keep those)."""
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        sent = await files.for_guest(db, guest, request.path_params["file_id"])
        secret = services(request).settings.secret_key
        url = files.download_link(secret, sent, guest)
    return respond(DownloadLink, {"url": url, "expires_in": files.LINK_SECONDS})


async def guest_download(request: Request) -> Response:
    params = request.path_params
    secret = services(request).settings.secret_key
    guest_id = files.link_guest(secret, params["file_id"], params["signed"])
    async with services(request).db.begin() as db:
        guest = await db.get(Guest, guest_id)
        if guest is None or guest.removed_at is not None:
            raise ApiError(403, "file_link_invalid")
        sent = await files.for_guest(db, guest, params["file_id"])
    return await file_response(request, sent)


GUEST_ERRORS = (*GUEST_AUTH_ERRORS, (409, "not_connected"), (409, "meeting_ended"))
UPLOAD_ERRORS = (
    (403, "file_send_hosts_only"),
    (403, "file_send_guests_only"),
    (413, "file_too_large"),
    (415, "file_type_blocked"),
    (422, "file_empty"),
    (422, "file_name_invalid"),
    (429, "too_many_files"),
)
PIECE_ERRORS = (
    (404, "file_upload_not_found"),
    (409, "file_offset_mismatch"),
    (409, "file_upload_busy"),
    (409, "file_upload_lost"),
    (413, "file_too_large"),
    (415, "file_content_blocked"),
    (422, "file_offset_invalid"),
    (429, "too_many_requests"),
)
PIECE_SUMMARY = (
    "Send the upload's bytes from ?offset= (where it stands: its received) as the raw body "
    "(application/octet-stream), in one piece or several. 200 while more is due; 201 with "
    "the file once the last byte is in (then file.sent). A body that would take the upload "
    "past its declared size ends it: 413, nothing kept. A body cut short keeps what came: "
    "GET the upload for received and go on from there (state done with the file when the "
    "last piece made it though its answer was lost; a piece sent again then gets the file, "
    "201). 409 file_offset_mismatch names the received offset in details"
)


def routes() -> list[BaseRoute]:
    base = "/api/v1/meetings/{meeting_id:id}/files"
    guest = "/api/v1/guest/files"
    not_found = (404, "meeting_not_found")
    return [
        operation(
            "GET",
            base,
            list_files,
            summary="The meeting's files, both ways, oldest first",
            response=FileList,
            errors=(not_found,),
            tag="files",
        ),
        operation(
            "POST",
            base + "/uploads",
            start_host_upload,
            summary="Begin sending a file to the meeting's guests (the meeting's own host): "
            "refused at once when too large, empty or blocked by the admin's policy",
            body=UploadStart,
            response=UploadOut,
            status=201,
            errors=(not_found, (403, "not_in_call"), (409, "meeting_ended"), *UPLOAD_ERRORS),
            tag="files",
        ),
        operation(
            "GET",
            base + "/uploads/{upload_id}",
            host_upload_state,
            summary="How far an upload has come (received), to resume it; once done (state "
            "done), the file it made, so a sender whose connection dropped on the last piece "
            "learns the file was delivered",
            response=UploadOut,
            errors=(not_found, (404, "file_upload_not_found"), (409, "meeting_ended")),
            tag="files",
        ),
        operation(
            "POST",
            base + "/uploads/{upload_id}",
            host_upload_piece,
            summary=PIECE_SUMMARY,
            response=UploadOut,
            errors=(not_found, (403, "not_in_call"), (409, "meeting_ended"), *PIECE_ERRORS),
            tag="files",
        ),
        operation(
            "POST",
            base + "/uploads/{upload_id}/cancel",
            cancel_host_upload,
            summary="Give up an upload (what came is removed)",
            status=204,
            errors=(not_found, (404, "file_upload_not_found"), (409, "meeting_ended")),
            tag="files",
        ),
        operation(
            "GET",
            "/api/v1/files/{file_id:id}",
            host_download,
            summary="Download a file of a meeting you may see: always an attachment "
            "(application/octet-stream, nosniff, CSP sandbox) under its safe name, RFC 6266/5987 "
            "(on an object store, a redirect to it)",
            errors=((404, "file_not_found"),),
            tag="files",
        ),
        operation(
            "GET",
            guest,
            guest_files,
            summary="The files the guest may download (the host's and their own)",
            auth="guest",
            response=FileList,
            errors=GUEST_ERRORS,
            tag="files",
        ),
        operation(
            "POST",
            guest + "/uploads",
            start_guest_upload,
            summary="Begin sending a file to the host (as the host's upload)",
            auth="guest",
            body=UploadStart,
            response=UploadOut,
            status=201,
            errors=(*GUEST_ERRORS, *UPLOAD_ERRORS),
            tag="files",
        ),
        operation(
            "GET",
            guest + "/uploads/{upload_id}",
            guest_upload_state,
            summary="How far the guest's upload has come (received), to resume it; once done, "
            "the file it made",
            auth="guest",
            response=UploadOut,
            errors=(*GUEST_ERRORS, (404, "file_upload_not_found")),
            tag="files",
        ),
        operation(
            "POST",
            guest + "/uploads/{upload_id}",
            guest_upload_piece,
            summary=PIECE_SUMMARY,
            auth="guest",
            response=UploadOut,
            errors=(*GUEST_ERRORS, *PIECE_ERRORS),
            tag="files",
        ),
        operation(
            "POST",
            guest + "/uploads/{upload_id}/cancel",
            cancel_guest_upload,
            summary="Give up the guest's upload",
            auth="guest",
            status=204,
            errors=(*GUEST_ERRORS, (404, "file_upload_not_found")),
            tag="files",
        ),
        operation(
            "POST",
            guest + "/{file_id:id}/link",
            guest_file_link,
            summary="A link to download a file from, valid for 120 s: the guest's browser "
            "goes to it (no token in the URL, only a signature naming the file and the guest)",
            auth="guest",
            response=DownloadLink,
            errors=(*GUEST_AUTH_ERRORS, (404, "file_not_found")),
            tag="files",
        ),
        operation(
            "GET",
            "/api/v1/files/{file_id:id}/download/{signed}",
            guest_download,
            summary="Download a file by a guest's link: an attachment as for the host",
            auth="none",
            errors=(
                (403, "file_link_invalid"),
                (403, "file_link_expired"),
                (404, "file_not_found"),
            ),
            tag="files",
        ),
    ]
