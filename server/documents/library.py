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
import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import anyio
import anyio.to_thread
from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request

from capture.document_pages import DocumentRefused, Limits, Pages, inspect
from server.meetings import lifecycle
from server.meetings.retention import delete_blobs
from server.storage import chores
from server.storage.blobs import BlobStore, new_key
from server.storage.models import Document, DocumentPage, Meeting, MeetingDocument, User, utcnow
from server.web.errors import ApiError
from server.web.services import services

log = logging.getLogger("tsunagu.documents")

TITLE_LENGTH = 200
FILE_NAME_LENGTH = 255
# A document whose worker has not said it is alive for this long is taken
# over (a process that died left it).
STALE = timedelta(seconds=30)
WATCH_EVERY = 10.0
# A worker alive says so this often (well within STALE).
HEARTBEAT = 10.0
# An original is copied back from the blob store this much at a time.
COPY_PIECE = 4 * 2**20


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
            working(app).add(document.id)
            shared_services.background.start_soon(finish, app, document.id, pages, 2)
    return document


# Per app (tests run several in one process), gone with it.
_WORKING: weakref.WeakKeyDictionary[Starlette, set[int]] = weakref.WeakKeyDictionary()


def working(app: Starlette) -> set[int]:
    """The documents this process is rasterising now: never taken over by
    this process's own watcher, however long a page takes."""
    return _WORKING.setdefault(app, set())


async def keep_claimed(app: Starlette, document_id: int) -> None:
    """Refresh ``worked_at`` every ``HEARTBEAT`` while the document is being
    worked on, whatever the work waits for (a slow page, PDFium's lock
    behind other uploads, reading a large original back), so no other
    process's watcher takes it over meanwhile."""
    while True:
        await anyio.sleep(HEARTBEAT)
        with contextlib.suppress(Exception):
            async with lifecycle.transaction(app) as db:
                await db.execute(
                    update(Document)
                    .where(Document.id == document_id, Document.state == "processing")
                    .values(worked_at=utcnow())
                )


@contextlib.asynccontextmanager
async def claimed(app: Starlette, document_id: int) -> AsyncIterator[None]:
    """Hold a document while working on it: in this process's set, and
    fresh in the database."""
    ours = working(app)
    ours.add(document_id)
    try:
        async with anyio.create_task_group() as group:
            group.start_soon(keep_claimed, app, document_id)
            try:
                yield
            finally:
                group.cancel_scope.cancel()
    finally:
        ours.discard(document_id)


async def finish(app: Starlette, document_id: int, pages: Pages, start: int) -> None:
    """Rasterise pages ``start``.. of a document, storing each as it comes."""
    try:
        async with claimed(app, document_id):
            await rasterise(app, document_id, pages, start)
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(pages.close)


class TakenElsewhere(Exception):
    """Another worker stored this page first: the document is theirs."""


async def rasterise(app: Starlette, document_id: int, pages: Pages, start: int) -> None:
    store = services(app).blobs
    try:
        for number in range(start, 10**9):
            try:
                made = await anyio.to_thread.run_sync(render_and_store, pages, store, number)
            except DocumentRefused:
                log.warning("document %d: page %d cannot be rasterised", document_id, number)
                await set_state(app, document_id, "failed")
                return
            try:
                kept, last = await store_page(app, document_id, made)
            except (TakenElsewhere, IntegrityError):
                # A second worker (a watcher that thought this one dead):
                # the document is in hand, not broken. It goes on alone.
                log.info("document %d: page %d was made elsewhere; leaving it", document_id, number)
                kept = False
            if not kept:
                await delete_blobs(store, [made.large_key, made.thumb_key])
                return
            if last:
                return
    except Exception:
        log.exception("document %d: rasterising failed", document_id)
        await set_state(app, document_id, "failed")


async def store_page(app: Starlette, document_id: int, made: RenderedPageKeys) -> tuple[bool, bool]:
    """Add a made page to its document: (kept, it was the last). Not kept
    when the document was deleted meanwhile; TakenElsewhere when another
    worker stored that page already."""
    async with lifecycle.transaction(app) as db:
        document = await db.get(Document, document_id, with_for_update=True)
        if document is None or document.state != "processing":  # deleted meanwhile
            return False, False
        there = await db.scalar(
            select(DocumentPage.id).where(
                DocumentPage.document_id == document_id, DocumentPage.number == made.number
            )
        )
        if there is not None:
            raise TakenElsewhere
        db.add(made.row(document_id))
        await db.flush()
        document.pages_done = max(document.pages_done, made.number)
        document.worked_at = utcnow()
        last = made.number >= document.pages
        if last:
            document.state = "ready"
    return True, last


async def set_state(app: Starlette, document_id: int, state: str) -> None:
    with contextlib.suppress(Exception):
        async with lifecycle.transaction(app) as db:
            await db.execute(update(Document).where(Document.id == document_id).values(state=state))


# -- taking over what a dead process left ---------------------------------------


async def take_over(app: Starlette) -> int:
    """Resume every "processing" document nobody has worked on lately;
    return how many. The claim is a compare-and-set on ``worked_at``, so of
    several processes looking at once exactly one takes each; a worker
    alive keeps ``worked_at`` fresh (:func:`keep_claimed`), and this
    process's own are never taken."""
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
    ours = working(app)
    for document_id, worked_at in stale:
        if document_id in ours:
            continue
        async with lifecycle.transaction(app) as db:
            claimed_now = await db.execute(
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
            document = await db.get(Document, document_id) if claimed_now.rowcount == 1 else None
        if document is None:
            continue
        taken += 1
        ours.add(document_id)
        services(app).background.start_soon(resume, app, document)
    return taken


def copy_out(store: BlobStore, key: str, path: Path) -> bool:
    """The blob into ``path`` a piece at a time (an original may be as large
    as TSUNAGU_DOCUMENT_MAX_MB allows); False when there is no such blob."""
    with path.open("wb") as out:
        start = 0
        while True:
            piece = store.read_range(key, start, COPY_PIECE)
            if piece is None:
                return False
            if not piece:
                return True
            out.write(piece)
            start += len(piece)


async def resume(app: Starlette, document: Document) -> None:
    """Go on with a document taken over, from its stored original. Should
    the original not be read back now (the blob store away), the document
    is left for a watcher's next look."""
    try:
        await reopen_and_finish(app, document)
    except Exception:
        log.exception("document %d: could not be resumed", document.id)
    finally:
        working(app).discard(document.id)


async def reopen_and_finish(app: Starlette, document: Document) -> None:
    store = services(app).blobs
    async with claimed(app, document.id):
        handle, name = tempfile.mkstemp(prefix="tsunagu-document-")
        os.close(handle)
        path = Path(name)
        try:
            found = await anyio.to_thread.run_sync(copy_out, store, document.original_key, path)
            if not found:
                log.warning("document %d: its original is gone", document.id)
                await set_state(app, document.id, "failed")
                return
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
        try:
            await rasterise(app, document.id, pages, document.pages_done + 1)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(pages.close)


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


async def close_where_shown(db: AsyncSession, document_id: int) -> None:
    """Close the document in every meeting showing it, telling the guests
    (``document.closed``): left open, their pages would point at images
    that are gone, and the host could no longer turn or close it."""
    shown = await db.scalars(
        select(MeetingDocument)
        .where(MeetingDocument.document_id == document_id, MeetingDocument.closed_at.is_(None))
        .order_by(MeetingDocument.meeting_id)
    )
    for item in list(shown):
        item.closed_at = utcnow()
        meeting = await db.get(Meeting, item.meeting_id)
        if meeting is not None:
            await lifecycle.record_event(
                db, meeting, "document.closed", {"document_id": document_id}
            )


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
        await close_where_shown(db, document.id)
        await db.delete(document)
    await delete_blobs(services(app).blobs, keys)
