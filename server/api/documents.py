"""Documents (資料, issue #15): the host's library under ``/api/v1/documents``,
the one shown in a meeting under ``/api/v1/meetings/{id}/document``, and the
guest's side under ``/api/v1/guest/document...``.

An upload is the file itself as the request's body (any content type; the
server decides what it is from its bytes), with its name in ``?name=``:
streamed to a temporary file with its size capped while reading.

Guests fetch page images with their token in the ``Authorization`` header
(a token never goes in a URL, where logs keep it); a download, which a
phone hands to its own download manager, uses a link signed for that
guest and document that lasts a minute.
"""

from __future__ import annotations

from datetime import datetime

import anyio.to_thread
from itsdangerous import BadSignature, URLSafeTimedSerializer
from pydantic import Field
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute

from server.accounts.attempts import begin_attempt
from server.accounts.rate_limits import Limit
from server.documents import library, sharing
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.blobs import BlobStore, LocalBlobStore, content_disposition
from server.storage.models import Document, DocumentPage, Guest
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.record_ids import MAX_ID
from server.web.services import services

SIZES = ("large", "thumb")
# A guest's download link lasts this long: enough to tap it.
DOWNLOAD_LINK_SECONDS = 60
DOWNLOAD_SALT = "tsunagu.document-download"
# A guest's page reports where they look half a second after they stop on a
# page; this is a page a second, sustained.
GUEST_VIEWS = Limit(count=60, seconds=60)


class DocumentOut(Output):
    id: int
    title: str
    file_name: str
    media_type: str = Field(description="application/pdf, image/png or image/jpeg")
    size: int
    sha256: str
    pages: int
    pages_ready: int = Field(description="Pages rasterised so far (in order from 1)")
    state: str = Field(description="processing | ready | failed")
    shared: bool = Field(description="Uploaded by an admin for every host")
    mine: bool = Field(description="The caller may rename and delete it")
    created_at: datetime
    thumbnail_url: str = Field(description="Page 1's thumbnail")
    file_url: str


class DocumentList(Output):
    documents: list[DocumentOut]
    max_mb: int
    max_pages: int


class DocumentRename(Payload):
    title: str = Field(min_length=1, max_length=library.TITLE_LENGTH)


class ShownDocument(Output):
    id: int
    title: str
    pages: int
    page: int
    download_allowed: bool
    pages_ready: int
    state: str


class GuestView(Output):
    guest_id: int
    page: int
    following: bool


class MeetingDocumentState(Output):
    document: ShownDocument | None = Field(description="The document shown now, if any")
    guest_views: list[GuestView] = Field(
        default_factory=list, description="Guests browsing on their own or following (host only)"
    )


class OpenDocument(Payload):
    document_id: int = Field(ge=1, le=MAX_ID)
    page: int = Field(default=1, ge=1, le=MAX_ID)


class ChangeDocument(Payload):
    document_id: int = Field(
        ge=1, le=MAX_ID, description="The document shown (a stale page is refused)"
    )
    page: int | None = Field(default=None, ge=1, le=MAX_ID)
    download_allowed: bool | None = None


class GuestViewIn(Payload):
    document_id: int = Field(ge=1, le=MAX_ID)
    page: int = Field(ge=1, le=MAX_ID)
    following: bool


class DownloadLink(Output):
    url: str


def document_out(document: Document, user) -> dict:
    return {
        "id": document.id,
        "title": document.title,
        "file_name": document.file_name,
        "media_type": document.media_type,
        "size": document.size,
        "sha256": document.sha256,
        "pages": document.pages,
        "pages_ready": document.pages_done,
        "state": document.state,
        "shared": document.owner_user_id is None,
        "mine": library.may_change(user, document),
        "created_at": document.created_at,
        "thumbnail_url": f"/api/v1/documents/{document.id}/pages/1/thumb",
        "file_url": f"/api/v1/documents/{document.id}/file",
    }


def list_out(call: Call, documents: list[Document]) -> dict:
    settings = call.services.settings
    return {
        "documents": [document_out(d, call.user) for d in documents],
        "max_mb": settings.document_max_mb,
        "max_pages": settings.document_max_pages,
    }


# -- the library ----------------------------------------------------------------


@endpoint(transaction="none")
async def upload_document(call: Call) -> JSONResponse:
    """The file is the body; ``?name=`` its file name, ``?title=`` a title
    (the name without its extension otherwise), ``?shared=1`` (admins) for
    every host."""
    query = call.request.query_params
    shared = query.get("shared", "") in ("1", "true")
    if shared and not call.user.is_admin:
        raise ApiError(403, "admin_required")
    name = query.get("name", "")[:1000]
    title = query.get("title", "")[:1000]
    document = await library.upload(call.request, call.user, name=name, title=title, shared=shared)
    return respond(DocumentOut, document_out(document, call.user), status=201)


@endpoint()
async def list_documents(call: Call) -> JSONResponse:
    return respond(DocumentList, list_out(call, await library.list_documents(call.db, call.user)))


@endpoint()
async def show_document(call: Call) -> JSONResponse:
    document = await library.get_document(
        call.db, call.user, call.request.path_params["document_id"]
    )
    return respond(DocumentOut, document_out(document, call.user))


@endpoint(transaction="meeting")
async def rename_document(call: Call) -> JSONResponse:
    body = await read_json(call.request, DocumentRename)
    document = await library.get_document(
        call.db, call.user, call.request.path_params["document_id"]
    )
    await library.rename(call.db, call.user, document, body.title)
    return respond(DocumentOut, document_out(document, call.user))


@endpoint(transaction="none")
async def delete_document(call: Call) -> Response:
    await library.delete_document(
        call.request.app, call.user, call.request.path_params["document_id"]
    )
    return Response(status_code=204)


def page_params(request: Request) -> tuple[int, str]:
    size = request.path_params["size"]
    if size not in SIZES:
        raise ApiError(404, "document_page_not_found")
    return request.path_params["number"], size


# A page image never changes (a new upload is a new document): the host's
# browser may keep it. A guest's may not: the host's document would stay in
# the phone's cache after the meeting (the guest's page keeps its own copies
# while the document is shown).
HOST_PAGE_CACHE = "private, max-age=86400, immutable"
GUEST_PAGE_CACHE = "no-store"


async def page_image(store: BlobStore, page: DocumentPage, size: str, cache: str) -> Response:
    key = page.large_key if size == "large" else page.thumb_key
    data = await anyio.to_thread.run_sync(store.get, key)
    if data is None:
        raise ApiError(404, "document_page_not_found")
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"},
    )


@endpoint(transaction="none")
async def host_page_image(call: Call) -> Response:
    number, size = page_params(call.request)
    async with call.services.db.begin() as db:
        document = await library.get_document(
            db, call.user, call.request.path_params["document_id"]
        )
        page = await library.get_page(db, document, number)
    return await page_image(call.services.blobs, page, size, HOST_PAGE_CACHE)


async def original_file(request: Request, document: Document) -> Response:
    """The file as uploaded, always as an attachment (never shown inline)."""
    store: BlobStore = services(request).blobs
    disposition = content_disposition(document.file_name, inline=False)
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    if isinstance(store, LocalBlobStore):
        path = store.path(document.original_key)
        if not path.exists():
            raise ApiError(404, "document_not_found")
        return FileResponse(
            path,
            media_type=document.media_type,
            headers={**headers, "Cache-Control": "private, no-store"},
        )
    settings = services(request).settings
    url = store.presigned_url(
        document.original_key,
        seconds=settings.s3_url_seconds,
        content_type=document.media_type,
        disposition=disposition,
    )
    assert url is not None
    return RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})


@endpoint(transaction="none")
async def host_file(call: Call) -> Response:
    async with call.services.db.begin() as db:
        document = await library.get_document(
            db, call.user, call.request.path_params["document_id"]
        )
    return await original_file(call.request, document)


# -- in a meeting -----------------------------------------------------------------


@endpoint()
async def meeting_document(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    return respond(MeetingDocumentState, await sharing.state(call.db, meeting, for_guest=False))


@endpoint(transaction="meeting")
async def open_meeting_document(call: Call) -> JSONResponse:
    body = await read_json(call.request, OpenDocument)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    await sharing.open_document(call.db, meeting, call.user, body.document_id, body.page)
    return respond(MeetingDocumentState, await sharing.state(call.db, meeting, for_guest=False))


@endpoint(transaction="meeting")
async def change_meeting_document(call: Call) -> JSONResponse:
    body = await read_json(call.request, ChangeDocument)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if body.page is not None:
        await sharing.turn(call.db, meeting, call.user, body.document_id, body.page)
    if body.download_allowed is not None:
        await sharing.allow_download(
            call.db, meeting, call.user, body.document_id, body.download_allowed
        )
    return respond(MeetingDocumentState, await sharing.state(call.db, meeting, for_guest=False))


@endpoint(transaction="meeting")
async def close_meeting_document(call: Call) -> Response:
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    await sharing.close(call.db, meeting, call.user)
    return Response(status_code=204)


# -- the guest --------------------------------------------------------------------


async def guest_document(request: Request) -> JSONResponse:
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting = await sharing.guest_meeting(db, guest)
        out = await sharing.state(db, meeting, for_guest=True)
    return respond(MeetingDocumentState, out)


async def guest_view(request: Request) -> Response:
    body = await read_json(request, GuestViewIn)
    async with services(request).db() as db:
        guest = await require_guest(request, db)
    # Each report that changes something is a timeline event: bounded.
    await begin_attempt(
        request, [(f"document-views:guest:{guest.id}", GUEST_VIEWS)], code="too_many_document_views"
    )
    async with meetings.transaction(request.app) as db:
        guest = await require_guest(request, db)
        await sharing.guest_view(db, guest, body.document_id, body.page, body.following)
    return Response(status_code=204)


async def guest_page_image(request: Request) -> Response:
    number, size = page_params(request)
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        document = await sharing.shown_to_guest(db, guest, request.path_params["document_id"])
        page = await library.get_page(db, document, number)
    return await page_image(services(request).blobs, page, size, GUEST_PAGE_CACHE)


def download_signer(request: Request) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(services(request).settings.secret_key, salt=DOWNLOAD_SALT)


async def guest_document_link(request: Request) -> JSONResponse:
    """A link to the file for this guest, valid a minute, while the host allows it."""
    document_id = request.path_params["document_id"]
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        await allowed_download(db, guest, document_id)
    signed = download_signer(request).dumps({"g": guest.id, "d": document_id})
    return respond(DownloadLink, {"url": f"/api/v1/guest/document-files/{signed}"}, status=201)


async def allowed_download(db, guest, document_id: int) -> Document:
    document = await sharing.shown_to_guest(db, guest, document_id)
    shown = await sharing.current(db, guest.meeting_id)
    if shown is None or not shown.download_allowed:
        raise ApiError(403, "document_download_not_allowed")
    return document


async def guest_file(request: Request) -> Response:
    try:
        data = download_signer(request).loads(
            request.path_params["signed"], max_age=DOWNLOAD_LINK_SECONDS
        )
    except BadSignature:
        raise ApiError(404, "document_link_expired") from None
    async with services(request).db.begin() as db:
        guest = await db.get(Guest, data["g"])
        if guest is None or guest.removed_at is not None:
            raise ApiError(404, "document_link_expired")
        document = await allowed_download(db, guest, data["d"])
    return await original_file(request, document)


DOCUMENT_NOT_FOUND = ((404, "document_not_found"),)
PAGE_ERRORS = (
    (404, "document_page_not_found"),
    (409, "document_page_not_ready"),
    (409, "document_failed"),
)
MEETING_ERRORS = (
    (404, "meeting_not_found"),
    (403, "document_not_host"),
    (409, "meeting_ended"),
)
GUEST_ERRORS = (*GUEST_AUTH_ERRORS, (409, "not_connected"), (409, "meeting_ended"))


def routes() -> list[BaseRoute]:
    base = "/api/v1/documents"
    one = base + "/{document_id:id}"
    shown = "/api/v1/meetings/{meeting_id:id}/document"
    return [
        operation(
            "POST",
            base,
            upload_document,
            summary="Upload a document: the body is the file (a PDF, PNG or JPEG; what it is "
            "is read from its bytes), ?name= its file name, ?title= a title, ?shared=1 (admins) "
            "for every host. Answered once page 1 is rasterised; the other pages follow "
            "(pages_ready, state)",
            response=DocumentOut,
            status=201,
            errors=(
                (403, "admin_required"),
                (413, "document_file_too_large"),
                (415, "document_type"),
                (422, "document_encrypted"),
                (422, "document_broken"),
                (422, "document_too_large"),
                (422, "document_empty"),
            ),
            tag="documents",
        ),
        operation(
            "GET",
            base,
            list_documents,
            summary="The caller's documents and those shared with every host (admins: all)",
            response=DocumentList,
            tag="documents",
        ),
        operation(
            "GET",
            one,
            show_document,
            summary="One document, with how many pages are ready",
            response=DocumentOut,
            errors=DOCUMENT_NOT_FOUND,
            tag="documents",
        ),
        operation(
            "PATCH",
            one,
            rename_document,
            summary="Rename a document (its owner, or an admin)",
            body=DocumentRename,
            response=DocumentOut,
            errors=(
                *DOCUMENT_NOT_FOUND,
                (403, "document_not_yours"),
                (422, "document_title_empty"),
            ),
            tag="documents",
        ),
        operation(
            "DELETE",
            one,
            delete_document,
            summary="Delete a document and its page images (its owner, or an admin)",
            status=204,
            errors=(*DOCUMENT_NOT_FOUND, (403, "document_not_yours")),
            tag="documents",
        ),
        operation(
            "GET",
            one + "/pages/{number:id}/{size}",
            host_page_image,
            summary="Page number (from 1) as a JPEG: size large (1600 px on its long side) "
            "or thumb (320 px). 409 document_page_not_ready (Retry-After) while being made",
            errors=(*DOCUMENT_NOT_FOUND, *PAGE_ERRORS),
            tag="documents",
        ),
        operation(
            "GET",
            one + "/file",
            host_file,
            summary="The file as uploaded, as an attachment",
            errors=DOCUMENT_NOT_FOUND,
            tag="documents",
        ),
        operation(
            "GET",
            shown,
            meeting_document,
            summary="The document shown in the meeting now (or none), and which guests follow "
            "the host's page",
            response=MeetingDocumentState,
            errors=((404, "meeting_not_found"),),
            tag="documents",
        ),
        operation(
            "PUT",
            shown,
            open_meeting_document,
            summary="Show a document in the meeting (the meeting's own host): the guests' pages "
            "open it at once (document.opened); the one shown before is closed",
            body=OpenDocument,
            response=MeetingDocumentState,
            errors=(*MEETING_ERRORS, *DOCUMENT_NOT_FOUND, (409, "document_failed")),
            tag="documents",
        ),
        operation(
            "PATCH",
            shown,
            change_meeting_document,
            summary="Turn to a page (document.page) or allow the guests to download the file "
            "(document.download_allowed)",
            body=ChangeDocument,
            response=MeetingDocumentState,
            errors=(
                *MEETING_ERRORS,
                (409, "document_not_open"),
                (422, "document_page_not_found"),
            ),
            tag="documents",
        ),
        operation(
            "DELETE",
            shown,
            close_meeting_document,
            summary="Close the document shown (document.closed)",
            status=204,
            errors=((404, "meeting_not_found"), (403, "document_not_host")),
            tag="documents",
        ),
        operation(
            "GET",
            "/api/v1/guest/document",
            guest_document,
            summary="The document shown in the guest's meeting now, if any",
            auth="guest",
            response=MeetingDocumentState,
            errors=GUEST_ERRORS,
            tag="documents",
        ),
        operation(
            "POST",
            "/api/v1/guest/document/view",
            guest_view,
            summary="The guest browses on their own (following false) or is back on the host's "
            "page: the host is told (document.guest_view)",
            auth="guest",
            body=GuestViewIn,
            status=204,
            errors=(
                *GUEST_ERRORS,
                (409, "document_not_open"),
                (409, "meeting_ended"),
                (422, "document_page_not_found"),
                (429, "too_many_document_views"),
            ),
            tag="documents",
        ),
        operation(
            "GET",
            "/api/v1/guest/documents/{document_id:id}/pages/{number:id}/{size}",
            guest_page_image,
            summary="A page of the document shown in the guest's meeting (only while shown)",
            auth="guest",
            errors=(*GUEST_ERRORS, *DOCUMENT_NOT_FOUND, *PAGE_ERRORS),
            tag="documents",
        ),
        operation(
            "POST",
            "/api/v1/guest/documents/{document_id:id}/download-link",
            guest_document_link,
            summary="A link to download the document shown, valid a minute, when the host "
            "allows it",
            auth="guest",
            response=DownloadLink,
            status=201,
            errors=(
                *GUEST_ERRORS,
                *DOCUMENT_NOT_FOUND,
                (403, "document_download_not_allowed"),
            ),
            tag="documents",
        ),
        operation(
            "GET",
            "/api/v1/guest/document-files/{signed}",
            guest_file,
            summary="The file behind a download link, as an attachment",
            auth="none",
            errors=(
                (404, "document_link_expired"),
                (404, "document_not_found"),
                (403, "document_download_not_allowed"),
                (409, "not_connected"),
            ),
            tag="documents",
        ),
    ]
