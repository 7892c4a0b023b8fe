"""Guests send captures of their page; the host sees them, nobody else does."""

from __future__ import annotations

import asyncio
import io
import multiprocessing
import os

import anyio.to_thread
import pytest
from PIL import Image
from sqlalchemy import update

from capture.ingest import ImageRefused
from capture.ingest_pool import IngestBusy, IngestPool
from server.settings import Settings
from server.storage.blobs import new_key
from server.storage.models import Capture
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in
from tests.test_capture_ingest import encoded, picture, png_bomb, webp_bomb

PAGE = {
    "url": "https://shop.example/cart?id=7",
    "title": "カート | Shop",
    "viewport_width": "390",
    "viewport_height": "844",
    "device_pixel_ratio": "3",
}


@pytest.fixture
async def meeting(app, make_user):
    """A host and a guest connected in one meeting."""
    await make_user("tanaka")
    async with http_client(app) as host, http_client(app, address="192.0.2.8") as guest:
        await log_in(host, "tanaka")
        host.headers["x-csrf-token"] = await csrf_token(host)
        issued = (await guest.post("/api/v1/guest/numbers")).json()
        guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
        started = await host.post("/api/v1/meetings", json={"number": issued["number"]})
        yield {"host": host, "guest": guest, "id": started.json()["id"]}


async def send(
    guest, data: bytes, filename="screen.png", content_type="image/png", headers=None, **fields
):
    return await guest.post(
        "/api/v1/guest/captures",
        data={**PAGE, **fields},
        files={"image": (filename, data, content_type)},
        headers=headers,
    )


def stored_blobs(app) -> list[str]:
    return sorted(blob.key for blob in services(app).blobs.list())


async def test_guest_capture_reaches_host_with_title_and_url(app, meeting):
    host, guest = meeting["host"], meeting["guest"]
    sent = await send(guest, encoded(picture((390 * 3, 844 * 3)), "PNG"))

    assert sent.status_code == 201
    listed = (await host.get(f"/api/v1/meetings/{meeting['id']}/captures")).json()["captures"]
    assert len(listed) == 1
    capture = listed[0]
    assert capture["url"] == PAGE["url"]
    assert capture["title"] == PAGE["title"]
    assert (capture["viewport_width"], capture["viewport_height"]) == (390, 844)
    assert capture["device_pixel_ratio"] == 3
    assert (capture["width"], capture["height"]) == (1170, 2532)

    image = await host.get(capture["image_url"])
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert "private" in image.headers["cache-control"]
    assert Image.open(io.BytesIO(image.content)).size == (1170, 2532)
    thumbnail = await host.get(capture["thumbnail_url"])
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) == 320

    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    created = [e for e in events if e["type"] == "capture.created"]
    assert created[0]["payload"]["url"] == PAGE["url"]
    assert created[0]["payload"]["image_url"] == capture["image_url"]


async def test_a_webp_capture_from_the_snippet_is_stored_re_encoded(meeting):
    host, guest = meeting["host"], meeting["guest"]
    source = encoded(picture((390 * 3, 844 * 3)), "WEBP", quality=90)

    sent = await send(guest, source, filename="capture.webp", content_type="image/webp")

    assert sent.status_code == 201, sent.text
    assert (sent.json()["width"], sent.json()["height"]) == (1170, 2532)
    image = await host.get(sent.json()["image_url"])
    assert image.headers["content-type"] == "image/jpeg"
    assert image.content != source  # decoded and encoded anew, never passed through
    assert Image.open(io.BytesIO(image.content)).size == (1170, 2532)


async def test_another_host_cannot_see_the_captures(app, meeting, make_user):
    await send(meeting["guest"], encoded(picture((200, 300)), "PNG"))
    listed = (await meeting["host"].get(f"/api/v1/meetings/{meeting['id']}/captures")).json()
    image_url = listed["captures"][0]["image_url"]
    await make_user("suzuki")
    async with http_client(app) as other:
        await log_in(other, "suzuki")
        assert (await other.get(image_url)).status_code == 404
        assert (await other.get(f"/api/v1/meetings/{meeting['id']}/captures")).status_code == 404
    async with http_client(app) as stranger:
        assert (await stranger.get(image_url)).status_code == 401


def gif() -> bytes:
    return encoded(Image.new("P", (10, 10)), "GIF")


@pytest.mark.parametrize(
    ("make", "filename", "status", "code"),
    [
        (lambda: b"", "screen.png", 422, "image_corrupt"),
        (lambda: encoded(picture((300, 400)), "PNG")[:900], "screen.png", 422, "image_corrupt"),
        (lambda: encoded(picture((300, 400)), "JPEG")[:700], "screen.jpg", 422, "image_corrupt"),
        (gif, "screen.png", 415, "unsupported_image"),  # the extension lies
        (
            lambda: b'<svg xmlns="http://www.w3.org/2000/svg"/>',
            "screen.svg",
            415,
            "unsupported_image",
        ),
        (lambda: png_bomb(60_000, 60_000), "screen.png", 422, "image_too_large"),
        (
            lambda: encoded(picture((300, 400)), "WEBP", quality=80)[:-10],
            "screen.webp",
            422,
            "image_corrupt",
        ),
        (lambda: webp_bomb(16_383, 16_383), "screen.webp", 422, "image_too_large"),
    ],
)
async def test_bad_uploads_are_refused_and_nothing_is_stored(
    app, meeting, make, filename, status, code
):
    good = await send(meeting["guest"], encoded(picture((100, 100)), "PNG"))
    assert good.status_code == 201
    before = stored_blobs(app)

    response = await send(meeting["guest"], make(), filename=filename)

    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert stored_blobs(app) == before
    listed = (await meeting["host"].get(f"/api/v1/meetings/{meeting['id']}/captures")).json()
    assert len(listed["captures"]) == 1


async def test_a_100_mb_upload_is_refused_before_it_is_read(app, meeting):
    declared = await meeting["guest"].post(
        "/api/v1/guest/captures",
        content=b"\x00" * (100 * 1024 * 1024),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "capture_too_large"

    sent = 0

    async def endless():
        nonlocal sent
        while True:
            sent += 1024 * 1024
            yield b"\x00" * (1024 * 1024)

    streamed = await meeting["guest"].post(
        "/api/v1/guest/captures",
        content=endless(),
        headers={"content-type": "multipart/form-data; boundary=x"},
    )
    assert streamed.status_code == 413
    assert sent <= 17 * 1024 * 1024
    assert stored_blobs(app) == []


async def test_gps_exif_in_an_upload_is_not_kept(app, meeting):
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (35.0, 41.0, 22.0)}
    sent = await send(
        meeting["guest"], encoded(picture((300, 200)), "JPEG", exif=exif.tobytes()), "p.jpg"
    )
    image = await meeting["host"].get(sent.json()["image_url"])
    assert not Image.open(io.BytesIO(image.content)).getexif()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"viewport_width": "wide"}, "viewport_width"),
        ({"device_pixel_ratio": "0"}, "device_pixel_ratio"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_wrong_fields_are_named(meeting, fields, field):
    response = await send(meeting["guest"], encoded(picture((50, 50)), "PNG"), **fields)
    assert response.status_code == 422
    assert field in {d["field"] for d in response.json()["error"]["details"]}


async def test_no_image_or_no_multipart_is_refused(meeting):
    no_image = await meeting["guest"].post("/api/v1/guest/captures", data=PAGE)
    assert no_image.status_code in (415, 422)
    as_json = await meeting["guest"].post("/api/v1/guest/captures", json=PAGE)
    assert as_json.status_code == 415


async def test_captures_and_page_reports_stop_when_the_meeting_ends(meeting):
    guest, host = meeting["guest"], meeting["host"]
    page = await guest.post(
        "/api/v1/guest/pages", json={"url": "https://shop.example/", "title": "Top"}
    )
    assert page.status_code == 204
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    guest_id = (await guest.get("/api/v1/guest/session")).json()["guest_id"]
    # Whose page it is, too: the host's pointer on a capture needs it (#16).
    assert {"url": "https://shop.example/", "title": "Top", "guest_id": guest_id} in [
        e["payload"] for e in events if e["type"] == "page.visited"
    ]

    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    late = await send(guest, encoded(picture((50, 50)), "PNG"))
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "meeting_ended"
    late_page = await guest.post("/api/v1/guest/pages", json={"url": "https://shop.example/x"})
    assert late_page.json()["error"]["code"] == "meeting_ended"


async def test_a_guest_not_yet_connected_cannot_send(app):
    async with http_client(app) as guest:
        issued = (await guest.post("/api/v1/guest/numbers")).json()
        guest.headers["authorization"] = f"Bearer {issued['guest_token']}"
        response = await send(guest, encoded(picture((50, 50)), "PNG"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "not_connected"


LONG_URL = "https://shop.example/search?q=" + "x" * 4970  # 5,000 characters
ODD_TITLE = "カート\x00\x1b\n  | \u2028Shop\t"


async def events_of(host, meeting_id: int, kind: str) -> list[dict]:
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    return [e["payload"] for e in events if e["type"] == kind]


async def test_a_long_url_and_an_odd_title_are_shortened_not_refused(meeting):
    guest, host = meeting["guest"], meeting["host"]
    assert len(LONG_URL) == 5000
    shown_url = LONG_URL[:2047] + "…"
    shown_title = "カート | Shop"

    sent = await send(guest, encoded(picture((60, 60)), "PNG"), url=LONG_URL, title=ODD_TITLE)
    reported = await guest.post("/api/v1/guest/pages", json={"url": LONG_URL, "title": ODD_TITLE})

    assert sent.status_code == 201, sent.text
    assert (sent.json()["url"], sent.json()["title"]) == (shown_url, shown_title)
    assert reported.status_code == 204
    listed = (await host.get(f"/api/v1/meetings/{meeting['id']}/captures")).json()["captures"]
    assert [(c["url"], c["title"]) for c in listed] == [(shown_url, shown_title)]
    created = await events_of(host, meeting["id"], "capture.created")
    assert [(e["url"], e["title"]) for e in created] == [(shown_url, shown_title)]
    visited = await events_of(host, meeting["id"], "page.visited")
    assert [(e["url"], e["title"]) for e in visited] == [(shown_url, shown_title)]


async def test_a_long_title_keeps_its_first_499_characters(meeting):
    guest, host = meeting["guest"], meeting["host"]
    title = "商品" * 400  # 800 characters
    url = "https://shop.example/\x00item?\x7fid=1"
    response = await guest.post("/api/v1/guest/pages", json={"url": url, "title": title})
    assert response.status_code == 204
    visited = await events_of(host, meeting["id"], "page.visited")
    assert [(e["url"], e["title"]) for e in visited] == [
        ("https://shop.example/item?id=1", title[:499] + "…")
    ]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"url": "https://shop.example/" + "x" * 16_384}, "url_too_long"),
        ({"title": "t" * 4097}, "title_too_long"),
    ],
)
async def test_absurdly_long_addresses_and_titles_are_refused_saying_so(meeting, fields, code):
    guest, host = meeting["guest"], meeting["host"]
    upload = await send(guest, encoded(picture((50, 50)), "PNG"), **fields)
    report = await guest.post("/api/v1/guest/pages", json={"url": "https://a.example/", **fields})

    for response in (upload, report):
        assert response.status_code == 422
        assert response.json()["error"]["code"] == code
        assert "長すぎて送れません" in response.json()["error"]["message"]
    assert (await host.get(f"/api/v1/meetings/{meeting['id']}/captures")).json()["captures"] == []
    assert await events_of(host, meeting["id"], "page.visited") == []


async def test_page_reports_are_limited_per_guest(app, meeting):
    guest, host = meeting["guest"], meeting["host"]
    answers = [
        await guest.post("/api/v1/guest/pages", json={"url": f"https://shop.example/{n}"})
        for n in range(31)
    ]

    assert [a.status_code for a in answers] == [204] * 30 + [429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "too_many_pages"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert len(await events_of(host, meeting["id"], "page.visited")) == 30
    # Captures are counted apart: the guest can still send what they see.
    sent = await send(guest, encoded(picture((50, 50)), "PNG"))
    assert sent.status_code == 201


# -- idempotent uploads and a busy server -----------------------------------


def key_header(key: str = "0f8e2a7c9b1d4e6fa3c5b7d9e1f30a2b") -> dict[str, str]:
    return {"idempotency-key": key}


async def captures_of(host, meeting_id: int) -> list[dict]:
    return (await host.get(f"/api/v1/meetings/{meeting_id}/captures")).json()["captures"]


async def test_a_retry_of_a_stored_capture_returns_it_again(app, meeting):
    guest, host = meeting["guest"], meeting["host"]
    data = encoded(picture((390, 844)), "PNG")

    first = await send(guest, data, headers=key_header())
    again = await send(guest, data, headers=key_header())  # its 201 was lost on the way

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert [c["id"] for c in await captures_of(host, meeting["id"])] == [first.json()["id"]]
    assert len(await events_of(host, meeting["id"], "capture.created")) == 1
    assert len(stored_blobs(app)) == 2  # one image, one thumbnail

    # Another capture (another key) is another capture, even of the same screen.
    other = await send(guest, data, headers=key_header("another-capture-0001"))
    assert other.json()["id"] != first.json()["id"]
    assert len(await captures_of(host, meeting["id"])) == 2


async def test_two_copies_sent_at_once_are_stored_once(app, meeting, monkeypatch):
    guest, host = meeting["guest"], meeting["host"]
    data = encoded(picture((390, 844)), "PNG")
    pool = services(app).ingest
    process = pool.process
    arrived: list[None] = []
    both = asyncio.Event()

    async def after_both_arrive(upload: bytes):
        # Each copy has passed the early look-up and neither is stored: the
        # unique key alone has to sort them out.
        arrived.append(None)
        if len(arrived) == 2:
            both.set()
        await both.wait()
        return await process(upload)

    monkeypatch.setattr(pool, "process", after_both_arrive)
    answers = await asyncio.gather(*(send(guest, data, headers=key_header()) for _ in range(2)))

    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["id"] == answers[1].json()["id"]
    assert sorted(a.headers.get("idempotent-replayed", "") for a in answers) == ["", "true"]
    assert len(await captures_of(host, meeting["id"])) == 1
    assert len(await events_of(host, meeting["id"], "capture.created")) == 1
    assert len(stored_blobs(app)) == 2  # the loser removed its pair


@pytest.mark.parametrize(
    "key", ["short", "x" * 65, "has space 123", "semi;colon:123", "../../etc/passwd"]
)
async def test_a_malformed_idempotency_key_is_refused(app, meeting, key):
    response = await send(
        meeting["guest"], encoded(picture((50, 50)), "PNG"), headers=key_header(key)
    )

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert stored_blobs(app) == []


def hold(gate) -> None:
    """A job that keeps its worker busy until the test opens ``gate``."""
    gate.wait()


async def test_a_full_ingest_queue_answers_503_with_retry_after_and_stores_nothing(
    app, meeting, monkeypatch
):
    guest, host = meeting["guest"], meeting["host"]
    # One worker and no room to wait: one job in hand fills the pool.
    pool = IngestPool(workers=1, queue=0)
    monkeypatch.setattr(services(app), "ingest", pool)
    with multiprocessing.get_context("spawn").Manager() as manager:
        gate = manager.Event()
        held = asyncio.ensure_future(pool.run(hold, gate))
        await asyncio.sleep(0)  # one turn of the loop: the job is submitted
        assert pool.pending == 1

        busy = await send(guest, encoded(picture((390, 844)), "PNG"), headers=key_header())

        gate.set()
        await held
    try:
        assert busy.status_code == 503
        assert busy.json()["error"]["code"] == "ingest_busy"
        wait = int(busy.headers["retry-after"])
        assert 1 <= wait <= 60
        assert f"{wait} 秒" in busy.json()["error"]["message"]
        assert stored_blobs(app) == []
        assert await captures_of(host, meeting["id"]) == []
        assert await events_of(host, meeting["id"], "capture.created") == []

        # Room again: the same capture, sent again as told, is stored.
        again = await send(guest, encoded(picture((390, 844)), "PNG"), headers=key_header())
        assert again.status_code == 201
        assert len(await captures_of(host, meeting["id"])) == 1
    finally:
        await anyio.to_thread.run_sync(pool.close)


def test_the_ingest_pool_is_sized_by_settings(settings_env):
    chosen = Settings.from_env(settings_env(TSUNAGU_INGEST_WORKERS="3", TSUNAGU_INGEST_QUEUE="0"))
    assert (chosen.ingest_workers, chosen.ingest_queue) == (3, 0)
    assert Settings.from_env(settings_env()).ingest_workers >= 1


async def test_a_capture_stored_as_webp_before_is_still_served_as_webp(app, meeting):
    sent = await send(meeting["guest"], encoded(picture((200, 300)), "PNG"))
    webp = encoded(picture((200, 300)), "WEBP", quality=80)
    image_key, thumbnail_key = new_key("webp"), new_key("webp")
    for key in (image_key, thumbnail_key):
        await anyio.to_thread.run_sync(services(app).blobs.put, key, webp)
    async with services(app).db.begin() as db:
        await db.execute(
            update(Capture)
            .where(Capture.id == sent.json()["id"])
            .values(media_type="image/webp", image_key=image_key, thumbnail_key=thumbnail_key)
        )

    image = await meeting["host"].get(sent.json()["image_url"])

    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"
    assert image.content == webp


def die() -> None:
    """A worker that dies mid-job, as one killed or out of memory would."""
    os._exit(1)


async def test_a_worker_that_dies_gives_503_and_the_next_capture_is_ingested():
    pool = IngestPool(workers=1, queue=4)
    try:
        with pytest.raises(IngestBusy) as refused:
            await pool.run(die)
        assert refused.value.retry_after >= 1

        processed = await pool.process(encoded(picture((120, 80)), "PNG"))
        assert (processed.width, processed.height) == (120, 80)
        assert pool.pending == 0
    finally:
        await anyio.to_thread.run_sync(pool.close)


async def test_a_refusal_made_in_a_worker_reaches_the_guest_with_its_numbers(app, meeting):
    pool = IngestPool(workers=1, queue=1)
    try:
        with pytest.raises(ImageRefused) as refused:
            await pool.process(png_bomb(60_000, 60_000))
        assert (refused.value.status, refused.value.code) == (422, "image_too_large")
        assert refused.value.params == {"megapixels": 16}
    finally:
        await anyio.to_thread.run_sync(pool.close)

    response = await send(meeting["guest"], png_bomb(60_000, 60_000))

    assert response.status_code == 422
    assert "16 メガピクセル" in response.json()["error"]["message"]
