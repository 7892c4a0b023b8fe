"""Files kept in S3-compatible object storage (moto's server, issue #15):
each piece of an upload is an object, joined into the file's object with
the last byte, and the browser downloads the file from the store through a
short-lived signed link, as an attachment that is never rendered."""

from __future__ import annotations

import hashlib
import os

import httpx
import pytest
from sqlalchemy import select

from server.meetings import files
from server.storage.models import FileUploadPiece
from server.web.services import services
from tests.conftest import http_client, test_settings
from tests.test_files import bearer, start_meeting, stored


@pytest.fixture
def settings(tmp_path, database_url, s3_settings):
    return test_settings(tmp_path / "data", database_url, file_max_mb=2, **s3_settings)


async def test_a_file_sent_in_pieces_is_downloaded_from_the_store_as_an_attachment(
    app, host, monkeypatch
):
    monkeypatch.setattr(files, "PIECE_BYTES", 256 * 1024)
    meeting_id, token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    data = os.urandom(1_200_000)
    begun = (
        await host.post(f"{base}/uploads", json={"name": "../見積書.html", "size": len(data)})
    ).json()
    at = f"{base}/uploads/{begun['id']}"
    first = await host.post(f"{at}?offset=0", content=data[:700_000])
    assert first.json()["received"] == 700_000
    # Kept in the store as objects of a piece each.
    async with services(app).db() as db:
        keys = list(await db.scalars(select(FileUploadPiece.blob_key)))
    assert len(keys) == 3
    assert all(services(app).blobs.get(key) is not None for key in keys)

    done = await host.post(f"{at}?offset=700000", content=data[700_000:])

    assert done.status_code == 201, done.text
    sent = done.json()["file"]
    assert sent["name"] == "見積書.html"
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    assert await stored(app) == (1, 0, 1, 0)
    redirect = await host.get(f"/api/v1/files/{sent['id']}")
    assert redirect.status_code == 302
    assert redirect.headers["cache-control"] == "private, no-store"
    async with http_client(app) as guest:
        link = (
            await guest.post(f"/api/v1/guest/files/{sent['id']}/link", headers=bearer(token))
        ).json()
        guest_redirect = await guest.get(link["url"])
    assert guest_redirect.status_code == 302
    async with httpx.AsyncClient() as browser:
        for location in (redirect.headers["location"], guest_redirect.headers["location"]):
            assert location.startswith(services(app).settings.s3_endpoint_url)
            saved = await browser.get(location)
            assert saved.status_code == 200
            assert hashlib.sha256(saved.content).hexdigest() == sent["sha256"]
            # The store answers as the signed link asks: a download, never a page.
            assert saved.headers["content-type"] == "application/octet-stream"
            assert saved.headers["content-disposition"] == (
                'attachment; filename="file.html"; '
                "filename*=UTF-8''%E8%A6%8B%E7%A9%8D%E6%9B%B8.html"
            )
