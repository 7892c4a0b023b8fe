"""Document share through the API (issue #15): an upload checked and
rasterised once, refused cleanly (encrypted, broken, too many pages, not a
PDF or picture, too big) with nothing stored; a document shown in a
meeting, its pages turned, seen by the meeting's guest only while shown;
the guest's download when the host allows it; deletion removes its blobs;
a document left half made by a stopped process is finished."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select, update

from server.documents import library
from server.storage.models import Document, DocumentPage, Guest, MeetingEvent, utcnow
from server.web.services import services
from tests.conftest import csrf_token, http_client, log_in, test_settings
from tests.document_samples import blank_pdf, broken_pdf, encrypted_pdf, numbered_pdf


@pytest.fixture
def settings(tmp_path, database_url):
    return test_settings(
        tmp_path / "data",
        database_url,
        blob_store="local",
        document_max_pages=40,
        document_max_mb=2,
    )


async def upload(client, data: bytes, name: str = "提案書.pdf", **params) -> object:
    return await client.post("/api/v1/documents", params={"name": name, **params}, content=data)


async def wait_ready(client, document_id: int) -> dict:
    for _ in range(400):
        found = (await client.get(f"/api/v1/documents/{document_id}")).json()
        if found["state"] != "processing":
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"not ready: {found}")


def blob_count(app) -> int:
    return sum(1 for _ in services(app).blobs.list())


async def start_meeting(app, host) -> tuple[int, str]:
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    async with services(app).db.begin() as db:
        await db.execute(update(Guest).values(connected=True))
    return meeting.json()["id"], issued["guest_token"]


def page_number_shade(jpeg: bytes) -> int:
    """The background's blue-grey of a numbered page (document_samples)."""
    image = Image.open(io.BytesIO(jpeg)).convert("RGB")
    return image.getpixel((5, 5))[0]


async def test_a_30_page_pdf_is_rasterised_once_at_two_sizes_first_page_at_once(app, host):
    before = blob_count(app)
    answer = await upload(host, numbered_pdf(30))
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert document["title"] == "提案書"
    assert document["file_name"] == "提案書.pdf"
    assert document["pages"] == 30
    assert document["pages_ready"] >= 1  # page 1 is there with the answer
    first = await host.get(f"/api/v1/documents/{document['id']}/pages/1/large")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(first.content)).size == (1600, 1200)

    done = await wait_ready(host, document["id"])
    assert done["state"] == "ready" and done["pages_ready"] == 30
    # The original and two images a page.
    assert blob_count(app) - before == 1 + 2 * 30
    thumb = await host.get(f"/api/v1/documents/{document['id']}/pages/17/thumb")
    assert Image.open(io.BytesIO(thumb.content)).size == (320, 240)
    large = await host.get(f"/api/v1/documents/{document['id']}/pages/17/large")
    assert page_number_shade(large.content) == pytest.approx(255 - 17 * 3, abs=3)
    missing = await host.get(f"/api/v1/documents/{document['id']}/pages/31/large")
    assert missing.json()["error"]["code"] == "document_page_not_found"


@pytest.mark.parametrize(
    ("data", "name", "status", "code"),
    [
        (encrypted_pdf(), "locked.pdf", 422, "document_encrypted"),
        (broken_pdf(), "cut.pdf", 422, "document_broken"),
        (numbered_pdf(41, size=(200, 150)), "long.pdf", 422, "document_too_large"),
        (b"PK\x03\x04" + b"\0" * 100, "slides.pptx", 415, "document_type"),
        (b"<html><script>alert(1)</script></html>", "x.pdf", 415, "document_type"),
        (b"%PDF-1.4\n" + b"0" * (2 * 2**20), "huge.pdf", 413, "document_file_too_large"),
    ],
    ids=["encrypted", "broken", "too-many-pages", "office", "html", "too-big"],
)
async def test_refused_uploads_say_why_and_store_nothing(app, host, data, name, status, code):
    before = blob_count(app)
    answer = await upload(host, data, name)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error["message"] and not error["message"].startswith("error.")
    assert blob_count(app) == before
    assert (await host.get("/api/v1/documents")).json()["documents"] == []


async def test_the_encrypted_sample_is_a_real_encrypted_pdf():
    import pypdfium2 as pdfium

    with pytest.raises(pdfium.PdfiumError):
        pdfium.PdfDocument(encrypted_pdf())
    assert len(pdfium.PdfDocument(encrypted_pdf(), password="secret")) == 1


async def test_a_png_becomes_a_one_page_document(app, host):
    picture = io.BytesIO()
    Image.new("RGB", (3000, 2000), "orange").save(picture, format="PNG")
    answer = await upload(host, picture.getvalue(), "map.png")
    assert answer.status_code == 201, answer.text
    document = answer.json()
    assert (document["pages"], document["state"], document["media_type"]) == (
        1,
        "ready",
        "image/png",
    )
    large = await host.get(f"/api/v1/documents/{document['id']}/pages/1/large")
    assert Image.open(io.BytesIO(large.content)).size == (1600, 1067)


async def test_hosts_see_their_own_and_the_shared_documents_only(app, host, make_user):
    mine = (await upload(host, numbered_pdf(1), "mine.pdf")).json()
    refused = await upload(host, numbered_pdf(1), "for-all.pdf", shared="1")
    assert refused.json()["error"]["code"] == "admin_required"
    await make_user("boss", role="admin")
    await make_user("sato")
    async with http_client(app) as admin, http_client(app) as other:
        await log_in(admin, "boss")
        admin.headers["x-csrf-token"] = await csrf_token(admin)
        shared = (await upload(admin, numbered_pdf(1), "会社案内.pdf", shared="1")).json()
        assert shared["shared"]
        await log_in(other, "sato")
        other.headers["x-csrf-token"] = await csrf_token(other)
        seen = [d["title"] for d in (await other.get("/api/v1/documents")).json()["documents"]]
        assert seen == ["会社案内"]
        assert (await other.get(f"/api/v1/documents/{mine['id']}")).status_code == 404
        denied = await other.patch(f"/api/v1/documents/{shared['id']}", json={"title": "x"})
        assert denied.json()["error"]["code"] == "document_not_yours"
    listed = (await host.get("/api/v1/documents")).json()["documents"]
    assert [(d["title"], d["mine"]) for d in listed] == [("mine", True), ("会社案内", False)]
    renamed = await host.patch(f"/api/v1/documents/{mine['id']}", json={"title": "新しい名前"})
    assert renamed.json()["title"] == "新しい名前"


async def test_deleting_a_document_removes_its_blobs(app, host):
    before = blob_count(app)
    document = (await upload(host, numbered_pdf(3))).json()
    await wait_ready(host, document["id"])
    assert blob_count(app) == before + 7
    assert (await host.delete(f"/api/v1/documents/{document['id']}")).status_code == 204
    assert blob_count(app) == before
    assert (await host.get(f"/api/v1/documents/{document['id']}")).status_code == 404


async def test_a_shown_document_reaches_the_guest_page_by_page_and_only_while_shown(app, host):
    meeting_id, token = await start_meeting(app, host)
    guest_headers = {"authorization": f"Bearer {token}"}
    pdf = numbered_pdf(30)
    document = (await upload(host, pdf)).json()
    await wait_ready(host, document["id"])
    page_url = f"/api/v1/guest/documents/{document['id']}/pages/17/large"
    async with http_client(app, address="192.0.2.9") as guest:
        assert (await guest.get(page_url, headers=guest_headers)).status_code == 404

        shown = await host.put(
            f"/api/v1/meetings/{meeting_id}/document", json={"document_id": document["id"]}
        )
        assert shown.status_code == 200, shown.text
        turned = await host.patch(
            f"/api/v1/meetings/{meeting_id}/document",
            json={"document_id": document["id"], "page": 17},
        )
        assert turned.json()["document"]["page"] == 17
        state = (await guest.get("/api/v1/guest/document", headers=guest_headers)).json()
        assert state["document"]["page"] == 17 and state["document"]["title"] == "提案書"
        image = await guest.get(page_url, headers=guest_headers)
        assert image.status_code == 200
        assert page_number_shade(image.content) == pytest.approx(255 - 17 * 3, abs=3)
        # No token, no page.
        assert (await guest.get(page_url)).status_code == 401

        # The guest browses on their own: the host is told, once.
        for _ in range(2):
            viewed = await guest.post(
                "/api/v1/guest/document/view",
                json={"document_id": document["id"], "page": 3, "following": False},
                headers=guest_headers,
            )
            assert viewed.status_code == 204
        views = (await host.get(f"/api/v1/meetings/{meeting_id}/document")).json()
        assert views["guest_views"] == [
            {"guest_id": views["guest_views"][0]["guest_id"], "page": 3, "following": False}
        ]

        # Download only once allowed, through a short-lived link.
        link = await guest.post(
            f"/api/v1/guest/documents/{document['id']}/download-link", headers=guest_headers
        )
        assert link.json()["error"]["code"] == "document_download_not_allowed"
        await host.patch(
            f"/api/v1/meetings/{meeting_id}/document",
            json={"document_id": document["id"], "download_allowed": True},
        )
        link = await guest.post(
            f"/api/v1/guest/documents/{document['id']}/download-link", headers=guest_headers
        )
        assert token not in link.json()["url"]
        file = await guest.get(link.json()["url"])
        assert file.status_code == 200
        assert file.headers["content-disposition"].startswith("attachment;")
        assert file.headers["x-content-type-options"] == "nosniff"
        assert file.content == pdf

        closed = await host.delete(f"/api/v1/meetings/{meeting_id}/document")
        assert closed.status_code == 204
        assert (await guest.get(page_url, headers=guest_headers)).status_code == 404
        assert (await guest.get(link.json()["url"])).status_code == 404

    async with services(app).db() as db:
        types = list(
            await db.scalars(
                select(MeetingEvent.type)
                .where(MeetingEvent.type.like("document.%"))
                .order_by(MeetingEvent.id)
            )
        )
    assert types == [
        "document.opened",
        "document.page",
        "document.guest_view",
        "document.download_allowed",
        "document.closed",
    ]


async def test_only_the_meetings_own_host_shows_documents(app, host, make_user):
    meeting_id, _ = await start_meeting(app, host)
    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        admin.headers["x-csrf-token"] = await csrf_token(admin)
        shared = (await upload(admin, numbered_pdf(1), shared="1")).json()
        answer = await admin.put(
            f"/api/v1/meetings/{meeting_id}/document", json={"document_id": shared["id"]}
        )
    assert answer.json()["error"]["code"] == "document_not_host"
    answer = await host.put(
        f"/api/v1/meetings/{meeting_id}/document", json={"document_id": shared["id"]}
    )
    assert answer.status_code == 200


async def test_a_document_a_stopped_process_left_half_made_is_finished(app, host):
    document = (await upload(host, numbered_pdf(6))).json()
    await wait_ready(host, document["id"])
    # As if the process had died after page 2: pages 3-6 missing, long ago.
    async with services(app).db.begin() as db:
        await db.execute(
            DocumentPage.__table__.delete().where(
                DocumentPage.document_id == document["id"], DocumentPage.number > 2
            )
        )
        await db.execute(
            update(Document)
            .where(Document.id == document["id"])
            .values(state="processing", pages_done=2, worked_at=utcnow() - timedelta(minutes=5))
        )
    assert await library.take_over(app) == 1
    assert await library.take_over(app) == 0  # claimed: not taken twice
    done = await wait_ready(host, document["id"])
    assert (done["state"], done["pages_ready"]) == ("ready", 6)
    async with services(app).db() as db:
        count = await db.scalar(
            select(func.count()).where(DocumentPage.document_id == document["id"])
        )
    assert count == 6


# -- review fixes ------------------------------------------------------------------


async def shown_document(app, host, pages: int = 3) -> tuple[int, str, dict]:
    """A meeting with its guest, showing a document of ``pages`` pages."""
    meeting_id, token = await start_meeting(app, host)
    document = (await upload(host, numbered_pdf(pages))).json()
    await wait_ready(host, document["id"])
    shown = await host.put(
        f"/api/v1/meetings/{meeting_id}/document", json={"document_id": document["id"]}
    )
    assert shown.status_code == 200, shown.text
    return meeting_id, token, document


async def test_a_guests_page_images_are_not_kept_in_the_phones_cache(app, host):
    _, token, document = await shown_document(app, host)
    async with http_client(app, address="192.0.2.9") as guest:
        image = await guest.get(
            f"/api/v1/guest/documents/{document['id']}/pages/1/large",
            headers={"authorization": f"Bearer {token}"},
        )
    assert image.status_code == 200
    assert image.headers["cache-control"] == "no-store"
    mine = await host.get(f"/api/v1/documents/{document['id']}/pages/1/large")
    assert mine.headers["cache-control"].startswith("private")


async def test_a_guest_of_another_meeting_gets_no_page_of_a_document_shown_elsewhere(app, host):
    _, _, document = await shown_document(app, host)
    _, other_token = await start_meeting(app, host)
    async with http_client(app, address="192.0.2.10") as other:
        image = await other.get(
            f"/api/v1/guest/documents/{document['id']}/pages/1/large",
            headers={"authorization": f"Bearer {other_token}"},
        )
        link = await other.post(
            f"/api/v1/guest/documents/{document['id']}/download-link",
            headers={"authorization": f"Bearer {other_token}"},
        )
        state = await other.get(
            "/api/v1/guest/document", headers={"authorization": f"Bearer {other_token}"}
        )
    assert image.status_code == 404
    assert image.json()["error"]["code"] == "document_not_found"
    assert link.json()["error"]["code"] == "document_not_found"
    assert state.json()["document"] is None


async def test_an_expired_download_link_is_refused(app, host, monkeypatch):
    meeting_id, token, document = await shown_document(app, host)
    await host.patch(
        f"/api/v1/meetings/{meeting_id}/document",
        json={"document_id": document["id"], "download_allowed": True},
    )
    async with http_client(app, address="192.0.2.9") as guest:
        link = await guest.post(
            f"/api/v1/guest/documents/{document['id']}/download-link",
            headers={"authorization": f"Bearer {token}"},
        )
        assert (await guest.get(link.json()["url"])).status_code == 200
        # The minute has passed.
        monkeypatch.setattr("server.api.documents.DOWNLOAD_LINK_SECONDS", -1)
        expired = await guest.get(link.json()["url"])
    assert expired.status_code == 404
    assert expired.json()["error"]["code"] == "document_link_expired"
    assert "%PDF" not in expired.text


async def test_deleting_a_document_on_show_closes_it_for_the_guests(app, host):
    meeting_id, token, document = await shown_document(app, host)
    assert (await host.delete(f"/api/v1/documents/{document['id']}")).status_code == 204
    async with http_client(app, address="192.0.2.9") as guest:
        state = await guest.get(
            "/api/v1/guest/document", headers={"authorization": f"Bearer {token}"}
        )
    assert state.json()["document"] is None
    assert (await host.get(f"/api/v1/meetings/{meeting_id}/document")).json()["document"] is None
    async with services(app).db() as db:
        closed = list(
            await db.scalars(
                select(MeetingEvent.payload).where(MeetingEvent.type == "document.closed")
            )
        )
    assert closed == [{"document_id": document["id"]}]
    # The host shows another at once (nothing stale in the way).
    other = (await upload(host, numbered_pdf(1), "次.pdf")).json()
    again = await host.put(
        f"/api/v1/meetings/{meeting_id}/document", json={"document_id": other["id"]}
    )
    assert again.json()["document"]["title"] == "次"


async def test_a_guests_view_reports_are_limited_and_only_changes_recorded(app, host):
    _, token, document = await shown_document(app, host)
    headers = {"authorization": f"Bearer {token}"}
    answers = []
    async with http_client(app, address="192.0.2.9") as guest:
        for n in range(61):
            answer = await guest.post(
                "/api/v1/guest/document/view",
                json={"document_id": document["id"], "page": 2 + n % 2, "following": False},
                headers=headers,
            )
            answers.append(answer.status_code)
        refused = answer
    assert answers[:60] == [204] * 60
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "too_many_document_views"
    assert refused.headers["retry-after"]
    async with services(app).db() as db:
        count = await db.scalar(
            select(func.count()).where(MeetingEvent.type == "document.guest_view")
        )
    assert count == 60


async def test_a_pdf_page_over_pdfs_own_size_limit_is_refused(app, host):
    # 300 x 225 inches: drawn 1600 px wide like any page, but no real page.
    answer = await upload(host, blank_pdf(21600, 16200), "poster.pdf")
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "document_too_large"
    fine = await upload(host, blank_pdf(14400, 10800), "banner.pdf")
    assert fine.status_code == 201, fine.text


def test_a_large_jpeg_is_decoded_at_a_fraction_of_its_size(tmp_path, monkeypatch):
    from PIL import JpegImagePlugin

    from capture.document_pages import Pages

    path = tmp_path / "photo.jpg"
    Image.new("RGB", (6400, 4800), "teal").save(path, format="JPEG")
    decoded = []
    load = JpegImagePlugin.JpegImageFile.load

    def recording_load(image):
        decoded.append(image.size)
        return load(image)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "load", recording_load)
    with Pages(path, "JPEG") as pages:
        made = pages.render(0)
    assert (made.width, made.height) == (1600, 1200)
    assert decoded[0] == (1600, 1200)  # not 6400 x 4800 (30 MP) first


async def make_half_done(app, host, pages: int = 6) -> dict:
    """A document as a stopped process left it: pages 3.. missing."""
    document = (await upload(host, numbered_pdf(pages))).json()
    await wait_ready(host, document["id"])
    async with services(app).db.begin() as db:
        await db.execute(
            DocumentPage.__table__.delete().where(
                DocumentPage.document_id == document["id"], DocumentPage.number > 2
            )
        )
        await db.execute(
            update(Document)
            .where(Document.id == document["id"])
            .values(state="processing", pages_done=2, worked_at=utcnow() - timedelta(minutes=5))
        )
    return document


async def test_two_workers_on_one_document_leave_it_ready_not_failed(app, host, tmp_path):
    from capture.document_pages import Pages

    document = await make_half_done(app, host)
    before = blob_count(app)
    path = tmp_path / "same.pdf"
    path.write_bytes(numbered_pdf(6))
    # This process and a watcher elsewhere that took it for dead.
    first, second = Pages(path, "pdf"), Pages(path, "pdf")
    await asyncio.gather(
        library.finish(app, document["id"], first, 3),
        library.finish(app, document["id"], second, 3),
    )
    done = (await host.get(f"/api/v1/documents/{document['id']}")).json()
    assert (done["state"], done["pages_ready"]) == ("ready", 6)
    page = await host.get(f"/api/v1/documents/{document['id']}/pages/6/large")
    assert page_number_shade(page.content) == pytest.approx(255 - 6 * 3, abs=3)
    async with services(app).db() as db:
        count = await db.scalar(
            select(func.count()).where(DocumentPage.document_id == document["id"])
        )
    assert count == 6
    # No page image of the loser left behind: two for each page made.
    assert blob_count(app) == before + 2 * 4


async def test_a_document_being_worked_on_is_kept_fresh_and_never_taken_over(
    app, host, monkeypatch
):
    from capture import document_pages

    monkeypatch.setattr(library, "HEARTBEAT", 0.05)
    document = await make_half_done(app, host)
    # Its worker waits for PDFium behind another upload's long page.
    document_pages.PDFIUM.acquire()
    try:
        assert await library.take_over(app) == 1
        assert await library.take_over(app) == 0  # its own, being worked on
        async with services(app).db() as db:
            claimed_at = await db.scalar(
                select(Document.worked_at).where(Document.id == document["id"])
            )
        for _ in range(400):
            async with services(app).db() as db:
                worked_at = await db.scalar(
                    select(Document.worked_at).where(Document.id == document["id"])
                )
            if worked_at > claimed_at:
                break
            await asyncio.sleep(0.05)
        assert worked_at > claimed_at  # said alive while waiting
    finally:
        document_pages.PDFIUM.release()
    done = await wait_ready(host, document["id"])
    assert (done["state"], done["pages_ready"]) == ("ready", 6)


async def test_a_document_taken_over_is_read_back_a_piece_at_a_time(app, host, monkeypatch):
    document = await make_half_done(app, host)
    store = services(app).blobs

    def whole(key):
        raise AssertionError("the whole original read into memory")

    monkeypatch.setattr(store, "get", whole)
    monkeypatch.setattr(library, "COPY_PIECE", 1000)  # many pieces
    assert await library.take_over(app) == 1
    monkeypatch.undo()
    done = await wait_ready(host, document["id"])
    assert (done["state"], done["pages_ready"]) == ("ready", 6)
