"""The blob store, against the local folder and a real S3-protocol server
(moto's, started by the ``s3_endpoint`` fixture), and the capture download
that redirects large images to a presigned URL."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from PIL import Image

from server.settings import Settings, SettingsError
from server.storage.blobs import BlobStore, BlobTooLarge, LocalBlobStore, S3BlobStore, new_key
from server.web.services import services
from tests.conftest import S3_KEYS, http_client, log_in, test_settings
from tests.test_capture_ingest import encoded, picture
from tests.test_captures import meeting as connected_meeting
from tests.test_captures import send

pytestmark = pytest.mark.anyio
meeting = connected_meeting  # the fixture: a host and a guest in one meeting


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    settings = request.getfixturevalue("s3_settings")
    return S3BlobStore(
        str(settings["s3_bucket"]),
        prefix="blobs/",
        endpoint_url=str(settings["s3_endpoint_url"]),
        region="us-east-1",
        access_key_id=S3_KEYS["s3_access_key_id"],
        secret_access_key=S3_KEYS["s3_secret_access_key"],
    )


def test_a_blob_reads_back_as_stored_and_is_gone_once_deleted(store: BlobStore):
    key = new_key("jpg")
    store.put(key, b"\xff\xd8 a picture", content_type="image/jpeg")
    assert store.get(key) == b"\xff\xd8 a picture"
    assert store.read(key, 1024) == b"\xff\xd8 a picture"
    store.delete(key)
    assert store.get(key) is None
    store.delete(key)  # deleting what is not there is not an error
    assert store.get(new_key("jpg")) is None
    assert store.read(new_key("jpg"), 10) is None


def test_a_blob_is_read_a_range_at_a_time(store: BlobStore):
    key = new_key("webm")
    store.put(key, b"0123456789")
    assert store.read_range(key, 0, 4) == b"0123"
    assert store.read_range(key, 8, 4) == b"89"
    assert store.read_range(key, 10, 4) == b""
    assert store.read_range(new_key("webm"), 0, 4) is None


def test_read_refuses_a_blob_above_its_limit(store: BlobStore):
    key = new_key("png")
    store.put(key, b"x" * 1000)
    with pytest.raises(BlobTooLarge) as refused:
        store.read(key, 999)
    assert refused.value.size == 1000
    assert store.read(key, 1000) == b"x" * 1000


def test_a_large_file_is_stored_from_a_stream(store: BlobStore):
    # Above the S3 store's multipart threshold (lowered to S3's minimum part
    # size), so the object goes up in parts and comes back whole.
    if isinstance(store, S3BlobStore):
        store.transfer.multipart_threshold = store.transfer.multipart_chunksize = 5 * 2**20
    data = os.urandom(11 * 2**20)
    key = new_key("webm")
    store.put_file(key, io.BytesIO(data), content_type="video/webm")
    assert store.get(key) == data


def test_listing_gives_every_key_with_its_size_and_age(store: BlobStore):
    keys = {new_key("jpg"): b"one", new_key("webp"): b"three"}
    for key, data in keys.items():
        store.put(key, data)
    listed = {blob.key: blob for blob in store.list()}
    assert {key: blob.size for key, blob in listed.items()} == {k: len(v) for k, v in keys.items()}
    assert all(0 <= blob.age() < 600 for blob in listed.values())
    store.delete_many(list(keys))
    assert list(store.list()) == []


def test_keys_that_are_not_blob_keys_are_refused(store: BlobStore):
    for key in ("../secret", "a/b", "", "UPPER.jpg"):
        with pytest.raises(ValueError):
            store.put(key, b"x")


def test_local_temporary_files_are_swept_only_when_old(tmp_path: Path):
    store = LocalBlobStore(tmp_path / "blobs")
    old, fresh = store.temporary / "abc.jpg.1234", store.temporary / "def.jpg.5678"
    old.write_bytes(b"half a picture")
    fresh.write_bytes(b"an upload in progress")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    assert store.sweep_temporary(3600) == 1
    assert not old.exists()
    assert fresh.exists()


def test_s3_abandoned_multipart_uploads_are_aborted(s3_settings):
    store = S3BlobStore(
        str(s3_settings["s3_bucket"]),
        prefix="blobs/",
        endpoint_url=str(s3_settings["s3_endpoint_url"]),
        region="us-east-1",
        **{k.removeprefix("s3_"): str(v) for k, v in S3_KEYS.items()},
    )
    store.client.create_multipart_upload(Bucket=store.bucket, Key=store.name(new_key("webm")))
    # moto dates every upload 2010, so only the abort itself is checked here.
    assert store.sweep_temporary(0) == 1
    assert store.client.list_multipart_uploads(Bucket=store.bucket).get("Uploads", []) == []


def test_s3_settings_are_checked(settings_env):
    with pytest.raises(SettingsError, match="TSUNAGU_S3_BUCKET"):
        Settings.from_env(settings_env(TSUNAGU_BLOB_STORE="s3"))
    with pytest.raises(SettingsError, match="TSUNAGU_BLOB_STORE"):
        Settings.from_env(settings_env(TSUNAGU_BLOB_STORE="ftp"))
    with pytest.raises(SettingsError, match="TSUNAGU_S3_ENDPOINT_URL"):
        Settings.from_env(
            settings_env(
                TSUNAGU_BLOB_STORE="s3", TSUNAGU_S3_BUCKET="b", TSUNAGU_S3_ENDPOINT_URL="minio:9000"
            )
        )
    settings = Settings.from_env(
        settings_env(
            TSUNAGU_BLOB_STORE="s3",
            TSUNAGU_S3_BUCKET="captures",
            TSUNAGU_S3_ENDPOINT_URL="http://127.0.0.1:9000",
            TSUNAGU_SWEEP_AGE="60",
            TSUNAGU_RETENTION_DAYS="30",
        )
    )
    assert (settings.blob_store, settings.s3_bucket, settings.s3_prefix) == (
        "s3",
        "captures",
        "blobs/",
    )
    assert (settings.sweep_age, settings.retention_days) == (60, 30)


# -- downloads through the API ------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path, database_url: str, s3_settings) -> Settings:
    """The app of this module keeps its blobs in S3, and redirects every
    download above 100 kB: thumbnails are served, images redirected."""
    return test_settings(tmp_path / "data", database_url, s3_redirect_bytes=100_000, **s3_settings)


@pytest.fixture
async def capture(meeting) -> dict:
    sent = await send(meeting["guest"], encoded(picture((1170, 2532)), "PNG"))
    assert sent.status_code == 201, sent.text
    return sent.json()


async def test_a_large_capture_redirects_to_a_short_lived_url_a_small_one_is_served(
    app, meeting, capture
):
    host = meeting["host"]
    thumbnail = await host.get(capture["thumbnail_url"])
    image = await host.get(capture["image_url"])

    assert image.status_code == 302
    location = image.headers["location"]
    assert location.startswith(services(app).blobs.origin() + "/")
    query = parse_qs(urlsplit(location).query)
    # What S3 enforces (moto's server does not check it): the URL is signed
    # and valid for five minutes; the redirect is not reused after that.
    assert query["X-Amz-Expires"] == ["300"]
    assert "X-Amz-Signature" in query
    assert int(image.headers["cache-control"].rsplit("=", 1)[1]) < 300
    async with httpx.AsyncClient() as browser:
        direct = await browser.get(location)
    assert direct.status_code == 200
    assert direct.headers["content-type"] == capture["media_type"]
    assert direct.headers["content-disposition"].startswith(
        f'inline; filename="capture-{capture["id"]}.'
    )
    assert Image.open(io.BytesIO(direct.content)).size == (1170, 2532)

    assert thumbnail.status_code == 200
    assert thumbnail.headers["content-type"] == capture["media_type"]
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320


async def test_the_console_allows_images_from_the_object_store(app, meeting):
    page = await meeting["host"].get(f"/meetings/{meeting['id']}")
    csp = page.headers["content-security-policy"]
    assert f"img-src 'self' data: {services(app).blobs.origin()};" in csp


async def test_a_missing_blob_is_not_found(app, meeting, capture):
    store: S3BlobStore = services(app).blobs
    store.delete_many([blob.key for blob in store.list()])
    response = await meeting["host"].get(capture["thumbnail_url"])
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "capture_not_found"


async def test_another_host_is_given_no_signed_url(app, meeting, capture, make_user):
    await make_user("other")
    async with http_client(app) as other:
        await log_in(other, "other")
        response = await other.get(capture["image_url"])
    assert response.status_code == 404
    assert "location" not in response.headers
