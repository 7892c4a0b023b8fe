"""The documents hosts upload to show in meetings (資料, issue #15).

An upload is read to a temporary file with its size capped while reading,
checked by PDFium (capture/document_pages.py) before anything is stored,
and stored as it came. Its first page is rasterised before the upload is
answered, so a document uploaded during a meeting can be shown at once;
the other pages are rasterised in the background, in order, each stored
as soon as it is made (``pages_done`` counts them). A process that dies
midway leaves the document "processing" with an old ``worked_at``: the
watcher of any process (:func:`watch`) takes it over from the stored
original and goes on from the first missing page.

A document belongs to its host, not to a meeting: retention leaves it; it
goes when its host deletes it (or their account is deleted), blobs too.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request

from capture.document_pages import DocumentRefused, Limits, Pages, inspect
from server.meetings import lifecycle
from server.meetings.retention import delete_blobs
from server.storage import chores
from server.storage.blobs import BlobStore, new_key
from server.storage.models import Document, DocumentPage, User, utcnow
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.documents")

TITLE_LENGTH = 200
FILE_NAME_LENGTH = 255
# A document nobody has rasterised a page of for this long is taken over
# (a page takes well under a second; a process that died left it).
STALE = timedelta(seconds=30)
WATCH_EVERY = 10.0


def limits(app: Starlette) -> Limits:
    settings = services(app).settings
    return Limits(max_pages=settings.document_max_pages, max_pixels=settings.document_max_pixels)


def refused(error: DocumentRefused) -> ApiError:
    return ApiError(error.status, error.code, params=error.params)


def title_from(name: str) -> str:
    """A document's first title: its file name without the extension."""
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    return clean_title(stem) or "document"


def clean_title(text: str) -> str:
    """Control characters out, spaces trimmed, shortened to the column."""
    kept = "".join(c if c.isprintable() else " " for c in text).strip()
    return kept[:TITLE_LENGTH]


def clean_file_name(name: str) -> str:
    """The name as typed, with no folder and no control characters."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(c for c in name if c.isprintable()).strip()
    return kept[-FILE_NAME_LENGTH:] or "document"


# -- who sees what -------------------------------------------------------------


def visible_to(user: User):
    """A host's own documents and the ones for everyone; an admin's: all."""
    if user.is_admin:
        return Document.id.is_not(None)
    return or_(Document.owner_user_id == user.id, Document.owner_user_id.is_(None))


def may_change(user: User, document: Document) -> bool:
    """Its owner renames and deletes it; admins, any (the shared ones too)."""
    return user.is_admin or document.owner_user_id == user.id


async def get_document(db: AsyncSession, user: User, document_id: int) -> Document:
    document = await db.scalar(select(Document).where(Document.id == document_id, visible_to(user)))
    if document is None:
        raise ApiError(404, "document_not_found")
    return document


async def list_documents(db: AsyncSession, user: User) -> list[Document]:
    """The user's own first, then the shared ones; newest first in each."""
    found = await db.scalars(
        select(Document)
        .where(visible_to(user))
        .order_by(Document.owner_user_id.is_(None), Document.id.desc())
    )
    return list(found)


async def get_page(db: AsyncSession, document: Document, number: int) -> DocumentPage:
    if not 1 <= number <= document.pages:
        raise ApiError(404, "document_page_not_found")
    page = await db.scalar(
        select(DocumentPage).where(
            DocumentPage.document_id == document.id, DocumentPage.number == number
        )
    )
    if page is None:
        if document.state == "failed":
            raise ApiError(409, "document_failed")
        # Being rasterised: the page comes within a second or so.
        raise ApiError(409, "document_page_not_ready", headers={"Retry-After": "1"})
    return page


# -- upload --------------------------------------------------------------------


@contextlib.asynccontextmanager
async def received(request: Request, limit: int) -> AsyncIterator[tuple[Path, int, str]]:
    """The request's body in a temporary file (its path, size and sha256),
    refused (413) as soon as it passes ``limit``: never held in memory, and
    never written past the limit. The file is removed on leaving."""
    too_large = ApiError(413, "document_file_too_large", params={"limit_mb": limit // 2**20})
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    handle, name = tempfile.mkstemp(prefix="tsunagu-document-")
    path = Path(name)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as out:
            try:
                async for piece in request.stream():
                    size += len(piece)
                    if size > limit:
                        raise too_large
                    digest.update(piece)
                    out.write(piece)
            except ClientDisconnect:
                raise ApiError(400, "bad_request") from None
        if size == 0:
            raise ApiError(422, "document_empty")
        yield path, size, digest.hexdigest()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


@dataclass
class RenderedPageKeys:
    number: int
    large_key: str
    thumb_key: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int

    def row(self, document_id: int) -> DocumentPage:
        return DocumentPage(document_id=document_id, **self.__dict__)


def render_and_store(pages: Pages, store: BlobStore, number: int) -> RenderedPageKeys:
    """Rasterise page ``number`` and store both sizes (in a worker thread)."""
    made = pages.render(number - 1)
    large, thumb = new_key("jpg"), new_key("jpg")
    store.put(large, made.large, "image/jpeg")
    store.put(thumb, made.thumb, "image/jpeg")
    return RenderedPageKeys(
        number, large, thumb, made.width, made.height, made.thumb_width, made.thumb_height
    )


async def upload(request: Request, user: User, *, name: str, title: str, shared: bool) -> Document:
    """Store an uploaded document with its first page made; the other pages
    follow in the background. Refused with nothing stored when the file is
    no PDF, PNG or JPEG, or is encrypted, broken or too large."""
    app = request.app
    shared_services = services(app)
    store = shared_services.blobs
    limit = shared_services.settings.document_max_mb * 2**20
    async with received(request, limit) as (path, size, sha256):
        try:
            found = await anyio.to_thread.run_sync(inspect, path, limits(app))
        except DocumentRefused as error:
            raise refused(error) from None
        original = new_key("pdf" if found.kind == "pdf" else found.kind.lower())
        with path.open("rb") as source:
            await anyio.to_thread.run_sync(store.put_file, original, source, found.media_type)
        pages = await anyio.to_thread.run_sync(Pages, path, found.kind, limits(app))
        try:
            first = await anyio.to_thread.run_sync(render_and_store, pages, store, 1)
        except DocumentRefused as error:
            await anyio.to_thread.run_sync(pages.close)
            await delete_blobs(store, [original])
            raise refused(error) from None
        except BaseException:
            await anyio.to_thread.run_sync(pages.close)
            raise
        async with lifecycle.transaction(app) as db:
            document = Document(
                owner_user_id=None if shared else user.id,
                uploaded_by_id=user.id,
                title=clean_title(title) or title_from(name),
                file_name=clean_file_name(name),
                kind=found.kind,
                media_type=found.media_type,
                size=size,
                sha256=sha256,
                pages=found.pages,
                pages_done=1,
                state="ready" if found.pages == 1 else "processing",
                original_key=original,
                worked_at=utcnow(),
            )
            db.add(document)
            await db.flush()
            db.add(first.row(document.id))
        if found.pages == 1:
            await anyio.to_thread.run_sync(pages.close)
        else:
            # The temporary file goes with the request: the background work
            # keeps its own open handle (PDFium's) to the same bytes.
            shared_services.background.start_soon(finish, app, document.id, pages, 2)
    return document


async def finish(app: Starlette, document_id: int, pages: Pages, start: int) -> None:
    """Rasterise pages ``start``.. of a document, storing each as it comes."""
    store = services(app).blobs
    try:
        for number in range(start, 10**9):
            try:
                made = await anyio.to_thread.run_sync(render_and_store, pages, store, number)
            except DocumentRefused:
                log.warning("document %d: page %d cannot be rasterised", document_id, number)
                await set_state(app, document_id, "failed")
                return
            async with lifecycle.transaction(app) as db:
                document = await db.get(Document, document_id, with_for_update=True)
                if document is None:  # deleted meanwhile
                    kept = False
                else:
                    kept = True
                    db.add(made.row(document_id))
                    document.pages_done = number
                    document.worked_at = utcnow()
                    last = number >= document.pages
                    if last:
                        document.state = "ready"
            if not kept:
                await delete_blobs(store, [made.large_key, made.thumb_key])
                return
            if last:
                return
    except Exception:
        log.exception("document %d: rasterising failed", document_id)
        await set_state(app, document_id, "failed")
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(pages.close)


async def set_state(app: Starlette, document_id: int, state: str) -> None:
    with contextlib.suppress(Exception):
        async with lifecycle.transaction(app) as db:
            await db.execute(update(Document).where(Document.id == document_id).values(state=state))


# -- taking over what a dead process left ---------------------------------------


async def take_over(app: Starlette) -> int:
    """Resume every "processing" document nobody has worked on lately;
    return how many. The claim is a compare-and-set on ``worked_at``, so of
    several processes looking at once exactly one takes each."""
    now = utcnow()
    async with services(app).db() as db:
        stale = list(
            (
                await db.execute(
                    select(Document.id, Document.worked_at).where(
                        Document.state == "processing",
                        or_(Document.worked_at.is_(None), Document.worked_at < now - STALE),
                    )
                )
            ).all()
        )
    taken = 0
    for document_id, worked_at in stale:
        async with lifecycle.transaction(app) as db:
            claimed = await db.execute(
                update(Document)
                .where(
                    Document.id == document_id,
                    Document.state == "processing",
                    Document.worked_at.is_(None)
                    if worked_at is None
                    else Document.worked_at == worked_at,
                )
                .values(worked_at=now)
            )
            document = await db.get(Document, document_id) if claimed.rowcount == 1 else None
        if document is None:
            continue
        taken += 1
        await resume(app, document)
    return taken


async def resume(app: Starlette, document: Document) -> None:
    store = services(app).blobs
    handle, name = tempfile.mkstemp(prefix="tsunagu-document-")
    os.close(handle)
    path = Path(name)
    try:
        data = await anyio.to_thread.run_sync(store.get, document.original_key)
        if data is None:
            log.warning("document %d: its original is gone", document.id)
            await set_state(app, document.id, "failed")
            return
        await anyio.to_thread.run_sync(path.write_bytes, data)
        try:
            pages = await anyio.to_thread.run_sync(Pages, path, document.kind, limits(app))
        except DocumentRefused:
            await set_state(app, document.id, "failed")
            return
    finally:
        # PDFium holds the file open (POSIX keeps its bytes until closed).
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    log.info("document %d: resuming from page %d", document.id, document.pages_done + 1)
    services(app).background.start_soon(finish, app, document.id, pages, document.pages_done + 1)


async def watch(app: Starlette) -> None:
    """The background task: at start-up and every few seconds, take over
    documents a dead process left half rasterised."""
    await chores.repeat([lambda: take_over(app)], lambda: WATCH_EVERY, log)


# -- rename and delete -----------------------------------------------------------


async def rename(db: AsyncSession, user: User, document: Document, title: str) -> None:
    if not may_change(user, document):
        raise ApiError(403, "document_not_yours")
    cleaned = clean_title(title)
    if not cleaned:
        raise ApiError(422, "document_title_empty")
    document.title = cleaned


async def delete_document(app: Starlette, user: User, document_id: int) -> None:
    """Rows first, committed, then blobs (the sweeper's order)."""
    async with lifecycle.transaction(app) as db:
        document = await get_document(db, user, document_id)
        if not may_change(user, document):
            raise ApiError(403, "document_not_yours")
        keys = [document.original_key]
        rows = await db.execute(
            delete(DocumentPage)
            .where(DocumentPage.document_id == document.id)
            .returning(DocumentPage.large_key, DocumentPage.thumb_key)
        )
        keys += [key for row in rows.all() for key in row]
        await db.delete(document)
    await delete_blobs(services(app).blobs, keys)
