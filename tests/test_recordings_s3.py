"""Recordings kept in S3-compatible object storage (moto's server): the
chunks and the file go through the object store, and the browser fetches
the file from it directly, ranges included."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest

from server.meetings import recordings
from server.web.services import services
from tests.conftest import test_settings
from tests.recording_media import chunks, live_webm
from tests.test_recordings import recording_started, wait_ready


@pytest.fixture
def settings(tmp_path, database_url, s3_settings):
    return test_settings(tmp_path / "data", database_url, **s3_settings)


async def test_the_file_is_made_in_the_object_store_and_served_from_it(app, host):
    meeting_id, _token, recording, base = await recording_started(app, host)
    for seq, piece in enumerate(chunks(live_webm(3), 3)):
        assert (await host.put(f"{base}/chunks/{seq}", content=piece)).status_code == 201
    await host.post(f"{base}/stop")

    ready = await wait_ready(host, meeting_id, recording["id"])

    assert abs(ready["duration"] - 3) < 0.1
    redirect = await host.get(ready["file_url"])
    assert redirect.status_code == 302
    async with httpx.AsyncClient() as browser:
        part = await browser.get(redirect.headers["location"], headers={"range": "bytes=0-99"})
    assert part.status_code == 206
    assert len(part.content) == 100
    assert part.headers["content-disposition"].startswith("attachment;")


async def test_the_export_reads_the_file_a_range_at_a_time(app, host, monkeypatch):
    meeting_id, _token, recording, base = await recording_started(app, host)
    await host.put(f"{base}/chunks/0", content=live_webm(3))
    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    ready = await wait_ready(host, meeting_id, recording["id"])
    # A piece far smaller than the file, and no whole-object read allowed.
    monkeypatch.setattr(recordings, "ZIP_PIECE", 1000)
    store = services(app).blobs
    ranges: list[int] = []
    read_range = store.read_range

    def counted(key: str, start: int, length: int) -> bytes | None:
        ranges.append(start)
        return read_range(key, start, length)

    def whole(key: str) -> bytes | None:
        raise AssertionError("the whole recording was read into memory")

    monkeypatch.setattr(store, "read_range", counted)
    monkeypatch.setattr(store, "get", whole)

    export = await host.get(f"/meetings/{meeting_id}/record.zip")

    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        assert len(archive.read(f"recording-{recording['id']}.webm")) == ready["size"]
    assert len(ranges) > ready["size"] // 1000
