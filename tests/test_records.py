"""Meeting records (商談記録): the ended meeting's page, its downloads and
ZIP export, the consent record, the guest label and the meeting's source,
on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import select, text

from server.accounts import sites
from server.meetings import presence
from server.storage.database import create_engine, migrate
from server.storage.models import Capture, Consent, Meeting, MeetingMemo, utcnow
from server.web.services import services
from tests.conftest import csrf_token, empty_database, http_client, log_in
from tests.test_capture_ingest import encoded, picture

MEMO = "住所変更の件。次回は来週火曜日に折り返し。\n- 口座番号を確認済み"


def page_text(html: str) -> str:
    """What a person reads: the page's text without tags."""
    body = re.sub(r"(?s)<script.*?</script>|<[^>]+>", " ", html)
    return " ".join(unescape(body).split())


async def make_site(app, name: str = "Shop") -> str:
    async with services(app).db.begin() as db:
        site = await sites.create_site(
            db, name=name, origins=["https://shop.example"], created_by=None
        )
        return site.site_key


async def set_memo(app, meeting_id: int, memo: str) -> None:
    # The memo piece keeps MeetingMemo.text current; the record only reads it.
    async with services(app).db.begin() as db:
        db.add(MeetingMemo(meeting_id=meeting_id, state=b"", text=memo))


async def send_capture(guest, title: str, url: str, colour=(200, 30, 30)) -> dict:
    response = await guest.post(
        "/api/v1/guest/captures",
        data={"url": url, "title": title, "viewport_width": "390", "viewport_height": "844"},
        files={"image": ("s.png", encoded(picture((320, 240), colour=colour), "PNG"), "image/png")},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def snippet_meeting(app, host):
    """A snippet guest (a site's) in a meeting with two captures, a visited
    page, a memo and an SMS; then ended."""
    site_key = await make_site(app)
    async with http_client(app, address="192.0.2.8") as guest:
        issued = await guest.post("/api/v1/guest/numbers", json={"site_key": site_key})
        assert issued.status_code == 201
        guest.headers["authorization"] = f"Bearer {issued.json()['guest_token']}"
        started = await host.post("/api/v1/meetings", json={"number": issued.json()["number"]})
        meeting_id = started.json()["id"]
        await send_capture(guest, "カート | Shop", "https://shop.example/cart?id=7")
        await send_capture(guest, "お届け先の入力", "https://shop.example/checkout", (30, 30, 200))
        visited = await guest.post(
            "/api/v1/guest/pages",
            json={"url": "https://shop.example/faq/returns-policy", "title": "返品について"},
        )
        assert visited.status_code == 204
        sms = await host.post(f"/api/v1/meetings/{meeting_id}/sms", json={"phone": "090-1234-5678"})
        assert sms.status_code == 201, sms.text
        await set_memo(app, meeting_id, MEMO)
        await host.post(f"/api/v1/meetings/{meeting_id}/end")
        yield {"id": meeting_id, "started": started.json(), "site_key": site_key}


async def test_the_ended_meetings_page_is_its_record(host, snippet_meeting):
    page = await host.get(f"/meetings/{snippet_meeting['id']}")
    assert page.status_code == 200
    shown = page_text(page.text)
    assert f"ミーティング #{snippet_meeting['id']} の記録" in shown
    # How long, as the history says it (mm:ss under an hour).
    assert re.search(r"通話時間 \d\d:\d\d ", shown)
    # Who joined, and how.
    assert "お客様 1 画面サポート（サイト） · Shop 参加" in shown
    assert "Shop" in shown
    # Every capture with its title, address and thumbnail, oldest first.
    assert shown.index("カート | Shop") < shown.index("お届け先の入力")
    assert "https://shop.example/cart?id=7" in shown
    assert page.text.count("/thumbnail") == 2
    # The page the guest opened, the memo's final text, the SMS with its history.
    assert "返品について" in shown and "https://shop.example/faq/returns-policy" in shown
    assert "住所変更の件。次回は来週火曜日に折り返し。" in page.text
    assert "090-****-5678" in shown
    assert "送信箱に保存（未送信）" in shown
    # The consent, when the guest agreed on the snippet.
    assert "画面の送信に同意（サイトの画面サポート）" in shown
    # Nothing live: no end button, no number box, no video.
    assert 'id="end-meeting"' not in page.text
    assert 'id="attach"' not in page.text
    assert "video-stage" not in page.text


async def test_the_memo_downloads_as_text_and_markdown(host, snippet_meeting):
    txt = await host.get(f"/meetings/{snippet_meeting['id']}/memo.txt")
    assert txt.status_code == 200
    assert txt.headers["content-type"].startswith("text/plain")
    assert "attachment" in txt.headers["content-disposition"]
    assert txt.text == MEMO + "\n"
    md = await host.get(f"/meetings/{snippet_meeting['id']}/memo.md")
    assert md.text.startswith(f"# ミーティング #{snippet_meeting['id']}")
    assert MEMO in md.text


async def test_the_zip_holds_every_capture_the_memo_and_record_json(app, host, snippet_meeting):
    response = await host.get(f"/meetings/{snippet_meeting['id']}/record.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert archive.testzip() is None
    record = json.loads(archive.read("record.json"))
    async with services(app).db() as db:
        stored = list(
            await db.scalars(
                select(Capture)
                .where(Capture.meeting_id == snippet_meeting["id"])
                .order_by(Capture.id)
            )
        )
    assert len(stored) == 2
    assert [c["id"] for c in record["captures"]] == [c.id for c in stored]
    for entry, capture in zip(record["captures"], stored, strict=True):
        blob = services(app).blobs.get(capture.image_key)
        in_zip = archive.read(entry["file"])
        assert hashlib.sha256(in_zip).hexdigest() == hashlib.sha256(blob).hexdigest()
        assert entry["sha256"] == capture.sha256
    assert record["meeting"]["source"] == "snippet"
    assert record["meeting"]["site"] == "Shop"
    assert [p["url"] for p in record["pages"]] == ["https://shop.example/faq/returns-policy"]
    assert record["memo"]["text"] == MEMO
    assert archive.read("memo.txt").decode() == MEMO + "\n"
    assert MEMO in archive.read("memo.md").decode()
    assert [c["kind"] for c in record["consents"]] == ["capture"]
    assert record["sms"][0]["history"][0]["status"] == "created"
    assert "+819012345678" not in archive.read("record.json").decode()


async def test_deleted_data_is_neither_shown_nor_exported(app, host, make_user, snippet_meeting):
    await make_user("boss", role="admin")
    async with http_client(app) as admin:
        await log_in(admin, "boss")
        token = await csrf_token(admin)
        deleted = await admin.delete(
            f"/api/v1/meetings/{snippet_meeting['id']}/data", headers={"x-csrf-token": token}
        )
        assert deleted.json()["captures"] == 2
    page = page_text((await host.get(f"/meetings/{snippet_meeting['id']}")).text)
    assert "カート | Shop" not in page
    assert "returns-policy" not in page
    assert "キャプチャはありません。" in page
    archive = zipfile.ZipFile(
        io.BytesIO((await host.get(f"/meetings/{snippet_meeting['id']}/record.zip")).content)
    )
    assert [n for n in archive.namelist() if n.startswith("captures/")] == []
    assert "returns-policy" not in archive.read("record.json").decode()


async def test_another_host_cannot_open_or_export_the_record(app, make_user, snippet_meeting):
    await make_user("suzuki")
    meeting_id = snippet_meeting["id"]
    async with http_client(app) as other:
        await log_in(other, "suzuki")
        token = await csrf_token(other)
        for path in ("", "/record.zip", "/memo.txt", "/memo.md"):
            response = await other.get(f"/meetings/{meeting_id}{path}")
            assert response.status_code == 404, path
            assert "住所変更" not in response.text
        label = await other.patch(
            f"/api/v1/meetings/{meeting_id}",
            json={"guest_label": "田中様"},
            headers={"x-csrf-token": token},
        )
        assert label.status_code == 404
        assert label.json()["error"]["code"] == "meeting_not_found"


async def test_the_host_labels_the_guest_and_every_view_shows_it(app, host, snippet_meeting):
    meeting_id = snippet_meeting["id"]
    changed = await host.patch(f"/api/v1/meetings/{meeting_id}", json={"guest_label": " 山田様 "})
    assert changed.status_code == 200
    assert changed.json()["guest_label"] == "山田様"
    events = (await host.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    assert events[-1]["type"] == "guest.labelled"
    assert events[-1]["payload"]["label"] == "山田様"
    assert "山田様" in page_text((await host.get(f"/meetings/{meeting_id}")).text)
    assert "山田様" in page_text((await host.get("/meetings")).text)
    assert (await host.get(f"/api/v1/meetings/{meeting_id}")).json()["guest_label"] == "山田様"

    too_long = await host.patch(f"/api/v1/meetings/{meeting_id}", json={"guest_label": "あ" * 61})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["details"][0]["field"] == "guest_label"
    control = await host.patch(f"/api/v1/meetings/{meeting_id}", json={"guest_label": "a\u0000"})
    assert control.status_code == 422
    cleared = await host.patch(f"/api/v1/meetings/{meeting_id}", json={"guest_label": ""})
    assert cleared.json()["guest_label"] is None
    timeline = page_text((await host.get(f"/meetings/{meeting_id}")).text)
    assert "お客様の表示名を消しました" in timeline
    assert "お客様の表示名を「」にしました" not in timeline
    no_csrf = await host.patch(
        f"/api/v1/meetings/{meeting_id}",
        json={"guest_label": "x"},
        headers={"x-csrf-token": ""},
    )
    assert no_csrf.status_code == 403


async def test_a_live_meetings_page_offers_the_label(app, host):
    async with http_client(app, address="192.0.2.9") as guest:
        issued = (await guest.post("/api/v1/guest/numbers")).json()
        started = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    await host.patch(f"/api/v1/meetings/{started['id']}", json={"guest_label": "佐藤様"})
    page = await host.get(f"/meetings/{started['id']}")
    assert 'id="guest-label"' in page.text
    assert "佐藤様" in page_text(page.text)
    assert "佐藤様" in page_text((await host.get("/")).text)
    live = (await host.get("/api/v1/meetings?state=live&host=me")).json()["meetings"]
    assert live[0]["guest_label"] == "佐藤様"


async def test_each_meeting_knows_how_it_started_and_from_which_site(app, host):
    site_key = await make_site(app)
    async with http_client(app, address="192.0.2.10") as guest:
        phone = (await guest.post("/api/v1/guest/numbers")).json()
    async with http_client(app, address="192.0.2.11") as guest:
        snippet = (await guest.post("/api/v1/guest/numbers", json={"site_key": site_key})).json()
    by_number = (await host.post("/api/v1/meetings", json={"number": phone["number"]})).json()
    by_snippet = (await host.post("/api/v1/meetings", json={"number": snippet["number"]})).json()
    by_link = (await host.post("/api/v1/meetings/by-link", json={})).json()["meeting"]
    assert (by_number["source"], by_number["site_id"]) == ("number", None)
    assert by_snippet["source"] == "snippet"
    assert by_snippet["site_id"] is not None
    assert (by_link["source"], by_link["site_id"]) == ("link", None)

    # A snippet guest attached to the phone meeting gives it the site, not its source.
    async with http_client(app, address="192.0.2.12") as guest:
        second = (await guest.post("/api/v1/guest/numbers", json={"site_key": site_key})).json()
    attached = await host.post(
        f"/api/v1/meetings/{by_number['id']}/guests", json={"number": second["number"]}
    )
    assert attached.json()["source"] == "number"
    assert attached.json()["site_id"] == by_snippet["site_id"]


async def test_the_agreement_is_on_record_before_the_number_and_joins_the_meeting(app, host):
    async with http_client(app, address="192.0.2.13") as guest:
        first = (await guest.post("/api/v1/guest/numbers")).json()
        guest.headers["authorization"] = f"Bearer {first['guest_token']}"
        # An expired number re-issued to the same guest: they agreed once.
        again = (await guest.post("/api/v1/guest/numbers")).json()
        async with services(app).db() as db:
            before = list(await db.scalars(select(Consent)))
        assert [(c.kind, c.place, c.meeting_id) for c in before] == [("terms", "join", None)]
        started = (await host.post("/api/v1/meetings", json={"number": again["number"]})).json()
    async with services(app).db() as db:
        after = list(await db.scalars(select(Consent)))
    assert [(c.kind, c.terms, c.meeting_id) for c in after] == [
        ("terms", "join.consent@1", started["id"])
    ]
    assert after[0].created_at <= (await _started_at(app, started["id"]))


async def _started_at(app, meeting_id: int):
    async with services(app).db() as db:
        meeting = await db.get(Meeting, meeting_id)
        return meeting.started_at


async def test_a_link_guest_agrees_on_the_join_page_and_it_is_recorded(app, host):
    made = (await host.post("/api/v1/meetings/by-link", json={})).json()
    link = (await host.post(f"/api/v1/meetings/{made['meeting']['id']}/links")).json()
    token = link["url"].rsplit("/", 1)[1]
    async with http_client(app, address="192.0.2.14") as guest:
        joined = await guest.post("/api/v1/guest/links", json={"token": token})
        assert joined.status_code == 201
    await host.post(f"/api/v1/meetings/{made['meeting']['id']}/end")
    page = page_text((await host.get(f"/meetings/{made['meeting']['id']}")).text)
    assert "利用規約とプライバシーポリシーに同意（参加リンク）" in page
    assert "お客様 1 リンク（SMS・QR） 参加" in page


async def test_old_meetings_get_their_source_and_site_from_the_migration(settings):
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        await migrate(engine, "0008")
        now = utcnow()
        async with engine.begin() as connection:
            run = connection.execute
            await run(
                text(
                    "INSERT INTO users (id, username, display_name, password_hash, role, "
                    "is_active, created_at, password_changed_at) "
                    "VALUES (1, 'old', '', 'x', 'host', true, :now, :now)"
                ),
                {"now": now},
            )
            await run(
                text(
                    "INSERT INTO sites (id, name, site_key, is_active, created_at, updated_at, "
                    "unmask_selectors) VALUES (1, 'Old shop', 'pk_old', true, :now, :now, '[]')"
                ),
                {"now": now},
            )
            for meeting_id, number, site in ((1, "1111", 1), (2, "2222", None)):
                await run(
                    text(
                        "INSERT INTO meetings (id, host_id, state, source, number, created_at, "
                        "guest_connected) VALUES (:id, 1, 'ended', 'number', :number, :now, false)"
                    ),
                    {"id": meeting_id, "number": number, "now": now},
                )
                await run(
                    text(
                        "INSERT INTO guests (id, created_at, site_id, user_agent, address, "
                        "meeting_id) VALUES (:id, :now, :site, '', '', :id)"
                    ),
                    {"id": meeting_id, "site": site, "now": now},
                )
                await run(
                    text(
                        "INSERT INTO connection_numbers (number, guest_id, issued_at, expires_at, "
                        "meeting_id) VALUES (:number, :id, :now, :now, :id)"
                    ),
                    {"id": meeting_id, "number": number, "now": now},
                )
            await run(
                text(
                    "INSERT INTO meetings (id, host_id, state, source, created_at, "
                    "guest_connected) VALUES (3, 1, 'ended', 'link', :now, false)"
                ),
                {"now": now},
            )
        await migrate(engine)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT id, source, site_id FROM meetings ORDER BY id")
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        (1, "snippet", 1),
        (2, "number", None),
        (3, "link", None),
    ]


def guest_rows(html: str) -> list[str]:
    """The record's guests, as read, top to bottom."""
    found = re.search(r'(?s)<ul class="record-list" id="record-guests">(.*?)</ul>', html)
    assert found is not None
    return [page_text(item) for item in re.findall(r"(?s)<li[^>]*>(.*?)</li>", found.group(1))]


async def test_the_record_lists_each_guest_as_the_guest_list_does(app, host):
    """Who joined and went, with how: numbered as the guest list numbers
    them, with when they joined and left, and who removed whom; each
    arrival once in the timeline, as the meeting page said it."""
    from tests.test_guests import guest_list, link_meeting

    meeting_id, (first, second) = await link_meeting(app, host)
    await services(app).presence.join(meeting_id, presence.GUEST, second["guest_id"])
    removed = await host.delete(f"/api/v1/meetings/{meeting_id}/guests/{first['guest_id']}")
    assert removed.status_code == 200, removed.text
    await host.post(f"/api/v1/meetings/{meeting_id}/end")
    listed = (await guest_list(host, meeting_id))["guests"]

    page = await host.get(f"/meetings/{meeting_id}")
    rows = guest_rows(page.text)
    timeline = page_text(page.text.split('id="record-timeline"')[1].split("</ol>")[0])
    archive = zipfile.ZipFile(
        io.BytesIO((await host.get(f"/meetings/{meeting_id}/record.zip")).content)
    )
    exported = json.loads(archive.read("record.json"))["guests"]

    assert [row.split(" 参加")[0] for row in rows] == [
        "お客様 1 リンク（SMS・QR）",
        "お客様 2 リンク（SMS・QR）",
    ]
    assert "tanaka が退出させました" in rows[0]
    assert "接続終了" in rows[1]
    assert [(g["id"], g["n"], g["state"]) for g in exported] == [
        (g["id"], g["n"], g["state"]) for g in listed
    ]
    assert exported[0]["removed_by"] == "tanaka"
    assert exported[0]["gone_at"] is not None
    assert "お客様が参加" not in timeline
    assert timeline.count("がリンクから参加しました") + timeline.count("ミーティング開始") == 2


async def test_old_guest_events_name_the_guest_by_their_place(settings):
    """Events stored before several guests name the guest they were
    about: a second guest reads お客様 2, not お客様 1."""
    await empty_database(settings.database_url)
    engine = create_engine(settings.database_url)
    now = utcnow()
    later = now + timedelta(minutes=5)
    try:
        await migrate(engine, "0009")
        async with engine.begin() as connection:
            run = connection.execute
            await run(
                text(
                    "INSERT INTO users (id, username, display_name, password_hash, role, "
                    "is_active, created_at, password_changed_at) "
                    "VALUES (1, 'old', '', 'x', 'host', true, :now, :now)"
                ),
                {"now": now},
            )
            for meeting_id, source in ((1, "number"), (2, "link")):
                await run(
                    text(
                        "INSERT INTO meetings (id, host_id, state, source, created_at, "
                        "started_at, guest_connected) "
                        "VALUES (:id, 1, 'ended', :source, :now, :now, false)"
                    ),
                    {"id": meeting_id, "source": source, "now": now},
                )
            # Meeting 1: a phone guest by number, then a second by number.
            # Meeting 2: a guest by link starts it, a second joins by link.
            for guest_id, meeting_id in ((1, 1), (2, 1), (3, 2), (4, 2)):
                await run(
                    text(
                        "INSERT INTO guests (id, created_at, user_agent, address, meeting_id) "
                        "VALUES (:id, :now, '', '', :meeting)"
                    ),
                    {"id": guest_id, "meeting": meeting_id, "now": now},
                )
            for number, guest_id in (("1111", 1), ("2222", 2)):
                await run(
                    text(
                        "INSERT INTO connection_numbers (number, guest_id, issued_at, "
                        "expires_at, meeting_id) VALUES (:number, :id, :now, :now, 1)"
                    ),
                    {"number": number, "id": guest_id, "now": now},
                )
            for guest_id, used in ((3, now), (4, later)):
                await run(
                    text(
                        "INSERT INTO join_links (meeting_id, created_at, used_at, guest_id) "
                        "VALUES (2, :now, :used, :id)"
                    ),
                    {"now": now, "used": used, "id": guest_id},
                )
            events = [
                (1, "guest.connected", {}, now),
                (1, "guest.attached", {"number": "2222", "host": "old"}, later),
                (2, "guest.connected", {}, now),
                (2, "guest.joined", {"via": "link"}, later),
            ]
            for meeting_id, kind, payload, at in events:
                await run(
                    text(
                        "INSERT INTO meeting_events (meeting_id, type, created_at, payload) "
                        "VALUES (:meeting, :type, :at, :payload)"
                    ),
                    {"meeting": meeting_id, "type": kind, "at": at, "payload": json.dumps(payload)},
                )
        await migrate(engine)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text("SELECT meeting_id, type, payload FROM meeting_events ORDER BY id")
                )
            ).all()
    finally:
        await engine.dispose()
    named = []
    for meeting_id, kind, payload in rows:
        payload = json.loads(payload) if isinstance(payload, str) else payload
        named.append((meeting_id, kind, payload.get("n"), payload.get("guest_id")))
    assert named == [
        (1, "guest.connected", 1, None),
        (1, "guest.attached", 2, 2),
        (2, "guest.connected", 1, None),
        (2, "guest.joined", 2, 4),
    ]
