"""Captures: guests upload pictures of their page; hosts list and view them."""

from __future__ import annotations

import re
import sys
from datetime import datetime
from typing import Literal

import anyio.to_thread
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute
from starlette.types import Message

from capture.ingest import MAX_BYTES
from server.accounts.attempts import begin_attempt
from server.accounts.rate_limits import Limit
from server.meetings import captures
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.blobs import BlobStore, BlobTooLarge, content_disposition
from server.storage.models import Capture
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, read_json, respond
from server.web.services import services

# Each text field: a URL or title at its longest (see PageInfo.reported),
# three bytes a character for a Japanese title.
MAX_FIELD_BYTES = 64 * 1024
# Room for the other form fields and the multipart framing around the image.
MAX_UPLOAD = MAX_BYTES + 2 * MAX_FIELD_BYTES + 16 * 1024
UPLOADS = Limit(count=60, seconds=60)
# A random id per capture from the snippet (32 hex digits); any
# client's own scheme fits in the column if it keeps to these characters.
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9_-]{8,64}")
# A page report per navigation: a person does not open 30 pages a minute,
# a runaway script on the page (or a loop) does.
PAGE_REPORTS = Limit(count=30, seconds=60)


class CaptureFields(BaseModel):
    """The form fields sent with ``image`` (multipart/form-data)."""

    model_config = ConfigDict(extra="forbid")

    # Shortened, not refused, when long; control characters are trimmed.
    url: str = ""
    title: str = ""
    viewport_width: int = Field(default=0, ge=0, le=20000)
    viewport_height: int = Field(default=0, ge=0, le=20000)
    device_pixel_ratio: float = Field(default=1.0, gt=0, le=10)
    # "live_view": made for the host's 「この瞬間を保存」 in the live view.
    origin: Literal["button", "live_view"] = "button"


class PageReport(BaseModel):
    """Not a ``Payload``: control characters in a page's title or address
    are trimmed (``PageInfo.reported``), not refused, so the report of any
    page gets through."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str
    title: str = ""


class CaptureOut(Output):
    id: int
    meeting_id: int
    created_at: datetime
    url: str
    title: str
    viewport_width: int
    viewport_height: int
    device_pixel_ratio: float
    width: int
    height: int
    thumbnail_width: int
    thumbnail_height: int
    media_type: str
    image_url: str
    thumbnail_url: str


class CaptureList(Output):
    captures: list[CaptureOut]


def capture_out(capture: Capture) -> dict:
    """A capture as the API's ``CaptureOut``."""
    return {
        **{
            name: getattr(capture, name)
            for name in CaptureOut.model_fields
            if hasattr(capture, name)
        },
        **captures.capture_urls(capture),
    }


async def capped_body(request: Request, limit: int) -> bytearray:
    """The whole body, refused as soon as it passes ``limit``: a 100 MB
    upload is never read into memory."""
    declared = request.headers.get("content-length", "")
    too_large = ApiError(413, "capture_too_large", params={"limit_mb": MAX_BYTES // 2**20})
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    body = bytearray()
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise too_large
    except ClientDisconnect:
        raise ApiError(400, "bad_request") from None
    return body  # not copied into bytes: an upload is held once, not twice


async def read_upload(request: Request) -> tuple[bytes, captures.PageInfo]:
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise ApiError(415, "unsupported_media_type")
    # Handed to the form parser once, then dropped: the image is held by the
    # parsed form alone, not by the body too.
    body = [await capped_body(request, MAX_UPLOAD)]

    async def replay() -> Message:
        return {"type": "http.request", "body": body.pop() if body else b"", "more_body": False}

    form = await Request(request.scope, replay).form(
        max_files=1, max_fields=10, max_part_size=MAX_FIELD_BYTES
    )
    try:
        image = form.get("image")
        if image is None or isinstance(image, str):
            raise ApiError(
                422,
                "invalid_request",
                details=[{"field": "image", "problem": "a file is required"}],
            )
        data = await image.read()
        fields = {k: v for k, v in form.multi_items() if k != "image" and isinstance(v, str)}
    finally:
        await form.close()
    try:
        parsed = CaptureFields.model_validate(fields)
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])), "problem": e["msg"]}
            for e in exc.errors(include_url=False, include_context=False)
        ]
        raise ApiError(422, "invalid_request", details=details) from None
    return data, captures.PageInfo.reported(**parsed.model_dump())


def idempotency_key(request: Request) -> str | None:
    """The ``Idempotency-Key`` header: the snippet's random id for one
    capture, the same on every retry of it; ``422`` if malformed."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(422, "invalid_idempotency_key")
    return key


async def upload_capture(request: Request) -> JSONResponse:
    async with services(request).db() as db:
        guest = await require_guest(request, db)
        key = idempotency_key(request)
        stored = await captures.check_can_send(db, guest, key)
    if stored is not None:
        return replayed(stored)  # not counted, nor read: it is here already
    await begin_attempt(
        request, [(f"captures:guest:{guest.id}", UPLOADS)], code="too_many_captures"
    )
    data, page = await read_upload(request)
    capture, created = await captures.add_capture(request.app, guest.id, data, page, key)
    return respond(CaptureOut, capture_out(capture), status=201) if created else replayed(capture)


def replayed(capture: Capture) -> JSONResponse:
    """A retry of a capture already stored gets the same answer as the first
    try, so a client that lost the first 201 carries on as if it had it."""
    response = respond(CaptureOut, capture_out(capture), status=201)
    response.headers["Idempotent-Replayed"] = "true"
    return response


async def report_page(request: Request) -> Response:
    async with services(request).db() as db:
        guest = await require_guest(request, db)
    await begin_attempt(request, [(f"pages:guest:{guest.id}", PAGE_REPORTS)], code="too_many_pages")
    body = await read_json(request, PageReport)
    page = captures.PageInfo.reported(body.url, body.title)
    await captures.record_page(request.app, guest.id, page)
    return Response(status_code=204)


@endpoint()
async def list_captures(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    found = await captures.list_captures(call.db, meeting.id)
    return respond(CaptureList, {"captures": [capture_out(c) for c in found]})


@endpoint(transaction="none")
async def capture_blob(call: Call) -> Response:
    request = call.request
    # The blob is read after the transaction: no pooled connection waits on it.
    async with call.services.db.begin() as db:
        capture = await captures.get_capture(db, call.user, request.path_params["capture_id"])
    thumbnail = request.url.path.endswith("/thumbnail")
    key = capture.thumbnail_key if thumbnail else capture.image_key
    disposition = content_disposition(f"capture-{capture.id}.{key.rsplit('.', 1)[1]}")
    settings = call.services.settings
    store: BlobStore = call.services.blobs
    try:
        # Only a store that can presign URLs has a size limit to redirect at.
        limit = settings.s3_redirect_bytes if store.origin() else sys.maxsize
        data = await anyio.to_thread.run_sync(store.read, key, limit)
    except BlobTooLarge:
        # Large blobs go straight from the object store to the browser: the
        # web process neither relays nor holds them.
        url = store.presigned_url(
            key,
            seconds=settings.s3_url_seconds,
            content_type=capture.media_type,
            disposition=disposition,
        )
        assert url is not None
        # The redirect may be reused while the URL is still valid.
        cache = f"private, max-age={settings.s3_url_seconds * 4 // 5}"
        return RedirectResponse(url, status_code=302, headers={"Cache-Control": cache})
    if data is None:
        raise ApiError(404, "capture_not_found")
    return Response(
        data,
        media_type=capture.media_type,
        headers={
            # A capture never changes; only this person's browser may keep it.
            "Cache-Control": "private, max-age=31536000, immutable",
            "Content-Disposition": disposition,
        },
    )


# Refused for a guest who is not (or no longer) in a meeting.
GUEST_ERRORS = (*GUEST_AUTH_ERRORS, (409, "not_connected"), (409, "meeting_ended"))


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/guest/captures",
            upload_capture,
            summary="Send a capture of the page (multipart: image, url, title, viewport_width, "
            "viewport_height, device_pixel_ratio); a long URL or title is shortened. "
            "An Idempotency-Key header (8-64 of A-Z a-z 0-9 - _, random per capture) makes "
            "retries safe: a retry of a stored capture returns it again "
            "(Idempotent-Replayed: true). 503 ingest_busy: retry after Retry-After seconds",
            auth="guest",
            multipart=CaptureFields,
            response=CaptureOut,
            status=201,
            errors=(
                *GUEST_ERRORS,
                (413, "capture_too_large"),
                (415, "unsupported_image"),
                (415, "unsupported_media_type"),
                (422, "image_too_large"),
                (422, "image_corrupt"),
                (422, "invalid_request"),
                (422, "url_too_long"),
                (422, "title_too_long"),
                (422, "invalid_idempotency_key"),
                (429, "too_many_captures"),
                (503, "ingest_busy"),
            ),
            tag="captures",
        ),
        operation(
            "POST",
            "/api/v1/guest/pages",
            report_page,
            summary="Report the page the guest is on (shown to the host as a visited URL; "
            "a long URL or title is shortened, control characters are trimmed)",
            auth="guest",
            body=PageReport,
            status=204,
            errors=(
                *GUEST_ERRORS,
                (422, "url_too_long"),
                (422, "title_too_long"),
                (429, "too_many_pages"),
            ),
            tag="captures",
        ),
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}/captures",
            list_captures,
            summary="The meeting's captures, newest first",
            response=CaptureList,
            errors=((404, "meeting_not_found"),),
            tag="captures",
        ),
        operation(
            "GET",
            "/api/v1/captures/{capture_id:id}/image",
            capture_blob,
            name="capture_image",
            summary="A capture's image",
            errors=((404, "capture_not_found"),),
            tag="captures",
        ),
        operation(
            "GET",
            "/api/v1/captures/{capture_id:id}/thumbnail",
            capture_blob,
            name="capture_thumbnail",
            summary="A capture's thumbnail",
            errors=((404, "capture_not_found"),),
            tag="captures",
        ),
    ]
