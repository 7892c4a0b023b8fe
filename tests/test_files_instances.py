"""Files sent through two server instances on one database and one blob
store, as behind a load balancer (issue #15): each piece of an upload is a
blob of its own, so a sender whose next piece reaches the other instance
(a phone that changed networks) goes on where it was."""

from __future__ import annotations

import hashlib
import os

import pytest
from sqlalchemy import func, select
from starlette.requests import ClientDisconnect

from server.meetings import files
from server.storage.models import FileUpload, FileUploadPiece
from server.web.app import create_app
from server.web.errors import ApiError
from server.web.services import services
from tests.conftest import http_client, test_settings
from tests.test_files import bearer, start_meeting, stored

SECRET = "one-secret-for-both-instances"


@pytest.fixture
def settings(tmp_path, database_url):
    return test_settings(
        tmp_path / "a", database_url, blob_store="local", file_max_mb=2, secret_key=SECRET
    )


@pytest.fixture
async def other(app, settings, tmp_path):
    """A second instance of the server: its own data dir, the same database,
    and the same blob folder (a shared mount, as an object store would be)."""
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "blobs").symlink_to(settings.data_dir / "blobs")
    second = create_app(
        test_settings(
            tmp_path / "b", settings.database_url, blob_store="local", file_max_mb=2,
            secret_key=SECRET,
        )
    )  # fmt: skip
    async with second.router.lifespan_context(second):
        yield second


def as_host(instance, host):
    """An API client of ``instance`` with the session ``host`` has on the first."""
    client = http_client(instance)
    client.cookies = host.cookies
    client.headers["x-csrf-token"] = host.headers["x-csrf-token"]
    return client


async def test_the_first_piece_on_one_instance_and_the_rest_on_the_other_make_the_file(
    app, other, host
):
    _meeting_id, token = await start_meeting(app, host)
    data = os.urandom(1_500_000)
    async with http_client(app) as guest_a, http_client(other) as guest_b:
        begun = await guest_a.post(
            "/api/v1/guest/files/uploads",
            json={"name": "契約書.pdf", "size": len(data)},
            headers=bearer(token),
        )
        base = f"/api/v1/guest/files/uploads/{begun.json()['id']}"
        first = await guest_a.post(
            f"{base}?offset=0", content=data[:600_000], headers=bearer(token)
        )
        assert first.json()["received"] == 600_000
        # The phone changed networks: the load balancer sends it to B,
        # which knows how far A got...
        state = (await guest_b.get(base, headers=bearer(token))).json()
        assert state["received"] == 600_000
        second = await guest_b.post(
            f"{base}?offset=600000", content=data[600_000:1_000_000], headers=bearer(token)
        )
        assert second.json()["received"] == 1_000_000
        done = await guest_b.post(
            f"{base}?offset=1000000", content=data[1_000_000:], headers=bearer(token)
        )

    assert done.status_code == 201, done.text
    sent = done.json()["file"]
    assert sent["sha256"] == hashlib.sha256(data).hexdigest()
    assert sent["size"] == len(data)
    # Either instance serves the file whole.
    async with as_host(other, host) as host_b:
        from_b = await host_b.get(f"/api/v1/files/{sent['id']}")
    from_a = await host.get(f"/api/v1/files/{sent['id']}")
    assert from_a.content == from_b.content == data
    # The pieces went once the file was made: one blob, no upload left.
    assert await stored(app) == (1, 0, 1, 0)


async def test_the_same_piece_racing_on_two_instances_lands_once(app, other, host):
    meeting_id, _token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    data = os.urandom(300_000)
    begun = (await host.post(f"{base}/uploads", json={"name": "a.bin", "size": len(data)})).json()
    # Both instances read the upload at offset 0 before either stored its piece.
    async with services(app).db() as db:
        on_a = await db.get(FileUpload, begun["id"])
    async with services(other).db() as db:
        on_b = await db.get(FileUpload, begun["id"])

    async def body(part: bytes):
        yield part

    assert await files.receive(app, on_a, 0, body(data[:100_000])) == 100_000
    with pytest.raises(ApiError) as late:
        await files.receive(other, on_b, 0, body(data[:100_000]))

    assert late.value.status == 409
    assert late.value.code == "file_offset_mismatch"
    assert late.value.params == {"received": 100_000}
    # The loser's blob is gone: one piece, one blob.
    assert await stored(app) == (0, 1, 1, 1)
    async with as_host(other, host) as host_b:
        done = await host_b.post(
            f"{base}/uploads/{begun['id']}?offset=100000", content=data[100_000:]
        )
    assert done.status_code == 201, done.text
    assert done.json()["file"]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_long_body_is_kept_a_piece_at_a_time(app, other, host, monkeypatch):
    monkeypatch.setattr(files, "PIECE_BYTES", 100_000)
    monkeypatch.setattr(files, "WRITE_BYTES", 30_000)
    meeting_id, _token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    data = os.urandom(500_000)
    begun = (await host.post(f"{base}/uploads", json={"name": "a.bin", "size": len(data)})).json()
    async with services(app).db() as db:
        upload = await db.get(FileUpload, begun["id"])

    async def dropped():
        for start in range(0, 250_000, 25_000):
            yield data[start : start + 25_000]
        raise ClientDisconnect()

    assert await files.receive(app, upload, 0, dropped()) == 250_000
    async with services(app).db() as db:
        sizes = list(await db.scalars(select(FileUploadPiece.size).order_by(FileUploadPiece.start)))
    assert sizes == [100_000, 100_000, 50_000]
    async with as_host(other, host) as host_b:
        done = await host_b.post(
            f"{base}/uploads/{begun['id']}?offset=250000", content=data[250_000:]
        )
    assert done.status_code == 201, done.text
    assert done.json()["file"]["sha256"] == hashlib.sha256(data).hexdigest()
    assert (await host.get(f"/api/v1/files/{done.json()['file']['id']}")).content == data
    async with services(app).db() as db:
        assert await db.scalar(select(func.count()).select_from(FileUploadPiece)) == 0


async def test_a_piece_missing_from_the_store_gives_the_upload_up(app, host):
    meeting_id, _token = await start_meeting(app, host)
    base = f"/api/v1/meetings/{meeting_id}/files"
    begun = (await host.post(f"{base}/uploads", json={"name": "a.bin", "size": 20})).json()
    await host.post(f"{base}/uploads/{begun['id']}?offset=0", content=b"a" * 10)
    async with services(app).db() as db:
        key = await db.scalar(select(FileUploadPiece.blob_key))
    services(app).blobs.delete(key)  # lost from the store (a bucket emptied by hand)

    lost = await host.post(f"{base}/uploads/{begun['id']}?offset=10", content=b"b" * 10)

    assert lost.status_code == 409
    assert lost.json()["error"]["code"] == "file_upload_lost"
    assert "もう一度" in lost.json()["error"]["message"]
    assert await stored(app) == (0, 0, 0, 0)
