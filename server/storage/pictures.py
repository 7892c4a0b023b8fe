"""An uploaded picture's way in and out: the ingest pool's refusals as API
errors, and a picture's blob stored, replaced and read as its row says.

A guest's capture, the host's licence photo and their business card's
picture all take this way, so they answer the same refusals with the same
codes, and a failed replacement never loses the picture it replaced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TypeVar

import anyio.to_thread
from starlette.applications import Starlette

from capture.ingest import ImageRefused
from capture.ingest_pool import IngestBusy
from server.storage.blobs import BlobStore, new_key
from server.web.errors import ApiError
from server.web.services import services

Row = TypeVar("Row")


@contextmanager
def ingest_refusals(codes: Mapping[str, str] | None = None) -> Iterator[None]:
    """Turn what the ingest pool raises into API errors: its refusal (its
    code renamed by ``codes``, for a picture with a message of its own), or
    ``503 ingest_busy`` with a ``Retry-After`` when the pool is full."""
    try:
        yield
    except ImageRefused as refused:
        code = (codes or {}).get(refused.code, refused.code)
        raise ApiError(refused.status, code, params=refused.params) from None
    except IngestBusy as busy:
        raise ApiError(
            503,
            "ingest_busy",
            params={"seconds": busy.retry_after},
            headers={"Retry-After": str(busy.retry_after)},
        ) from None


async def replace(
    app: Starlette,
    image: bytes,
    media_type: str,
    extension: str,
    point_at: Callable[[str], Awaitable[tuple[Row, str | None]]],
) -> Row:
    """Store ``image`` as a new blob, then ``point_at(key)`` points the row
    at it (committed) and returns the row and the key it named before. The
    old blob goes once the new row is committed; if pointing fails, the new
    blob goes instead, so a failure keeps the old picture."""
    store: BlobStore = services(app).blobs
    key = new_key(extension)
    await anyio.to_thread.run_sync(store.put, key, image, media_type)
    try:
        row, old_key = await point_at(key)
    except BaseException:
        await anyio.to_thread.run_sync(store.delete, key)
        raise
    if old_key:
        await anyio.to_thread.run_sync(store.delete, old_key)
    return row


async def delete(app: Starlette, key: str | None) -> None:
    """The blob of a picture whose row no longer names it (none: nothing)."""
    if key:
        await anyio.to_thread.run_sync(services(app).blobs.delete, key)


async def read(app: Starlette, key: str | None, missing: str) -> bytes:
    """The picture's bytes, or ``404 missing`` when there is none (or it was
    removed meanwhile)."""
    data = await anyio.to_thread.run_sync(services(app).blobs.get, key) if key else None
    if data is None:
        raise ApiError(404, missing)
    return data
