"""The host's business card (名刺, issue #15 part 3) through the API and the
console's form: filled in and checked, its picture re-encoded, shown to a
meeting's guests, saved by a guest as a vCard that parses back, and kept
from anyone else."""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import unquote

import pytest
import vobject
from PIL import Image

from server.meetings import retention
from server.web.services import services
from tests.conftest import csrf_token, http_client
from tests.test_it_mode import as_guest, jpeg_with_gps, logged_in, picture

CARD = {
    "name": "山田 太郎",
    "kana": "やまだ たろう",
    "company": "つなぐ不動産株式会社",
    "department": "営業部",
    "title": "課長",
    "phone": "03-1234-5678",
    "email": "taro.yamada@example.jp",
    "url": "https://example.jp/",
    "address": "東京都千代田区丸の内1-1-1",
}


@pytest.fixture
async def guest(app):
    async with http_client(app, address="192.0.2.44") as client:
        yield client


async def meeting_with_guest(host, guest) -> tuple[dict, str]:
    issued = (await guest.post("/api/v1/guest/numbers", json={})).json()
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    return meeting, issued["guest_token"]


async def test_a_host_fills_in_the_card_and_reads_it_back(host):
    assert (await host.get("/api/v1/me/card")).json()["error"]["code"] == "card_missing"

    saved = await host.put("/api/v1/me/card", json=CARD)

    assert saved.status_code == 200, saved.text
    assert {k: saved.json()[k] for k in CARD} == CARD
    assert saved.json()["image_url"] is None
    assert (await host.get("/api/v1/me/card")).json() == saved.json()


async def test_full_width_digits_and_spaces_are_kept_as_the_same_number_and_name(host):
    typed = {**CARD, "name": "山田　太郎", "phone": "０３-１２３４-５６７８"}
    typed["email"] = "ｔａｒｏ＠example.jp"

    saved = (await host.put("/api/v1/me/card", json=typed)).json()

    assert saved["name"] == "山田 太郎"
    assert saved["phone"] == "03-1234-5678"
    assert saved["email"] == "taro@example.jp"


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"name": "  "}, "card_name_required", "name"),
        ({"email": "taro@example"}, "card_email_invalid", "email"),
        ({"email": "taro example.jp"}, "card_email_invalid", "email"),
        ({"phone": "電話してください"}, "card_phone_invalid", "phone"),
        ({"phone": "12"}, "card_phone_invalid", "phone"),
        ({"url": "javascript:alert(1)"}, "card_url_invalid", "url"),
        ({"company": "株" * 101}, "card_field_too_long", "company"),
        ({"title": "長" * 61}, "card_field_too_long", "title"),
    ],
)
async def test_a_card_that_cannot_be_kept_is_refused_and_the_one_before_stays(
    host, change, code, field
):
    await host.put("/api/v1/me/card", json=CARD)

    refused = await host.put("/api/v1/me/card", json={**CARD, **change})

    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == code
    assert error["details"] == [{"field": field}]
    assert error["message"]
    assert (await host.get("/api/v1/me/card")).json()["name"] == CARD["name"]


async def test_the_field_too_long_names_the_field_in_the_callers_language(host):
    refused = await host.put("/api/v1/me/card", json={**CARD, "company": "株" * 101})
    assert refused.json()["error"]["message"] == "「会社名」は 100 文字以内で入力してください。"


async def test_a_control_character_or_an_unknown_field_is_refused(host):
    bad = await host.put("/api/v1/me/card", json={**CARD, "title": "課長\n部長"})
    assert bad.status_code == 422
    unknown = await host.put("/api/v1/me/card", json={**CARD, "fax": "03-0000-0000"})
    assert unknown.status_code == 422


async def test_the_console_form_saves_the_card_and_shows_a_refusal_beside_it(host):
    page = await host.get("/account/card")
    assert page.status_code == 200
    assert 'value="tanaka"' in page.text  # the name starts as the user's own
    token = await csrf_token(host, "/account/card")
    form = {"csrf_token": token, **CARD, "email": "not-an-address"}

    refused = await host.post("/account/card", data=form)

    assert refused.status_code == 422
    assert "メールアドレスの形が正しくありません" in refused.text
    assert 'value="not-an-address"' in refused.text  # what was typed stays
    assert re.search(r'name="email"[^>]*aria-invalid="true"', refused.text)
    assert (await host.get("/api/v1/me/card")).status_code == 404

    saved = await host.post("/account/card", data={**form, "email": CARD["email"]})

    assert saved.status_code == 303
    assert (await host.get("/api/v1/me/card")).json()["email"] == CARD["email"]
    assert "山田 太郎" in (await host.get("/account")).text


async def test_the_cards_picture_is_re_encoded_without_metadata_and_shrunk(host):
    await host.put("/api/v1/me/card", json=CARD)

    saved = await host.put("/api/v1/me/card/image", content=jpeg_with_gps())

    assert saved.status_code == 200, saved.text
    stored = (await host.get(saved.json()["image_url"])).content
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert b"secret comment" not in stored
    big = await host.put("/api/v1/me/card/image", content=picture("PNG", size=(4000, 2400)))
    assert (big.json()["image_width"], big.json()["image_height"]) == (1600, 960)
    stored = (await host.get(big.json()["image_url"])).content
    assert Image.open(io.BytesIO(stored)).format == "JPEG"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (picture("GIF"), 415, "card_image_format"),
        (picture("WEBP"), 415, "card_image_format"),
        (b"<html>not a picture</html>", 415, "card_image_format"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", 422, "image_corrupt"),
        (b"", 422, "image_corrupt"),
        (picture("PNG", size=(5000, 4000)), 422, "image_too_large"),
        (b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024), 413, "card_image_too_large"),
    ],
    ids=["gif", "webp", "html", "truncated", "empty", "too-many-pixels", "too-many-bytes"],
)
async def test_a_picture_that_is_not_a_sound_jpeg_or_png_is_refused(host, body, status, code):
    await host.put("/api/v1/me/card", json=CARD)
    await host.put("/api/v1/me/card/image", content=picture("JPEG", size=(100, 60)))

    refused = await host.put("/api/v1/me/card/image", content=body)

    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert (await host.get("/api/v1/me/card")).json()["image_width"] == 100  # kept


async def test_a_picture_needs_a_card_and_leaves_no_blob_behind(app, host):
    store = services(app).blobs
    refused = await host.put("/api/v1/me/card/image", content=picture("JPEG"))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "card_missing"
    assert list(store.list()) == []

    await host.put("/api/v1/me/card", json=CARD)
    await host.put("/api/v1/me/card/image", content=picture("JPEG"))
    await host.put("/api/v1/me/card/image", content=picture("PNG", size=(40, 30)))
    assert len(list(store.list())) == 1
    assert (await retention.sweep(app, older_than=0)).orphans == 0  # the sweeper knows it

    assert (await host.delete("/api/v1/me/card/image")).status_code == 204
    assert list(store.list()) == []
    assert (await host.get("/api/v1/me/card")).json()["image_url"] is None
    await host.put("/api/v1/me/card/image", content=picture("JPEG"))
    assert (await host.delete("/api/v1/me/card")).status_code == 204
    assert list(store.list()) == []
    assert (await host.get("/api/v1/me/card")).status_code == 404


async def test_the_card_needs_a_login_and_the_csrf_header(app, host, guest):
    assert (await guest.get("/api/v1/me/card")).status_code == 401
    no_csrf = await host.put("/api/v1/me/card", json=CARD, headers={"x-csrf-token": ""})
    assert no_csrf.status_code == 403


async def test_the_host_shows_the_card_and_the_guest_saves_it_as_a_vcard(host, guest):
    await host.put("/api/v1/me/card", json=CARD)
    await host.put("/api/v1/me/card/image", content=picture("JPEG", size=(910, 550)))
    meeting, token = await meeting_with_guest(host, guest)

    shown = await host.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})

    assert shown.status_code == 204
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()
    assert any(e["type"] == "card.shown" for e in events["events"])
    seen = await guest.get("/api/v1/guest/card", headers=as_guest(token))
    assert seen.status_code == 200
    card = seen.json()
    assert {k: card[k] for k in CARD} == CARD
    assert card["vcard_name"] == "山田 太郎.vcf"
    assert card["image_name"] == "山田 太郎.jpg"
    image = await guest.get(card["image_url"], headers=as_guest(token))
    assert Image.open(io.BytesIO(image.content)).size == (910, 550)

    file = await guest.get(card["vcard_url"], headers=as_guest(token))

    assert file.status_code == 200
    assert file.headers["content-type"] == "text/vcard; charset=utf-8"
    disposition = file.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="card.vcf"; ')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "山田 太郎.vcf"
    assert file.headers["x-content-type-options"] == "nosniff"
    contact = vobject.readOne(file.content.decode("utf-8"))
    assert contact.version.value == "3.0"
    assert contact.fn.value == "山田 太郎"
    assert (contact.n.value.family, contact.n.value.given) == ("山田", "太郎")
    assert contact.org.value == ["つなぐ不動産株式会社", "営業部"]
    assert contact.title.value == "課長"
    assert contact.tel.value == "03-1234-5678"
    assert contact.email.value == "taro.yamada@example.jp"
    assert contact.url.value == "https://example.jp/"
    assert contact.contents["x-phonetic-last-name"][0].value == "やまだ"
    assert not hasattr(contact, "photo")


async def test_a_name_without_a_space_is_all_family_name(host, guest):
    await host.put("/api/v1/me/card", json={"name": "佐藤花子", "company": "A; B, C"})
    _, token = await meeting_with_guest(host, guest)

    file = await guest.get("/api/v1/guest/card.vcf", headers=as_guest(token))

    contact = vobject.readOne(file.content.decode("utf-8"))
    assert contact.fn.value == "佐藤花子"
    assert (contact.n.value.family, contact.n.value.given) == ("佐藤花子", "")
    assert contact.org.value == ["A; B, C"]  # escaped, not split


async def test_nobody_but_the_meetings_own_guests_gets_the_card(app, host, guest, make_user):
    await host.put("/api/v1/me/card", json=CARD)
    meeting, token = await meeting_with_guest(host, guest)
    for path in ("/api/v1/guest/card", "/api/v1/guest/card.vcf"):
        assert (await guest.get(path)).status_code == 401
        forged = await guest.get(path, headers=as_guest(token + "x"))
        assert forged.status_code == 401
        assert forged.json()["error"]["code"] == "invalid_guest_token"
    # A guest still waiting with a number is in no meeting yet.
    waiting = (await guest.post("/api/v1/guest/numbers", json={})).json()["guest_token"]
    not_in = await guest.get("/api/v1/guest/card", headers=as_guest(waiting))
    assert not_in.status_code == 409
    assert not_in.json()["error"]["code"] == "not_connected"
    # A guest of another host's meeting gets that host's card (none), never this one.
    async with logged_in(app, make_user, "suzuki") as other:
        _, others_guest = await meeting_with_guest(other, guest)
        theirs = await guest.get("/api/v1/guest/card.vcf", headers=as_guest(others_guest))
        assert theirs.status_code == 404
        assert theirs.json()["error"]["code"] == "card_missing"
        # Nor may that host show a card in this meeting.
        pushed = await other.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})
        assert pushed.status_code == 404

    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    after = await guest.get("/api/v1/guest/card.vcf", headers=as_guest(token))
    assert after.status_code == 409
    assert after.json()["error"]["code"] == "meeting_ended"
    shown = await host.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})
    assert shown.status_code == 409
    assert shown.json()["error"]["code"] == "meeting_ended"


async def test_a_host_without_a_card_is_told_how_to_set_one(host, guest):
    meeting, _ = await meeting_with_guest(host, guest)

    refused = await host.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})

    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "card_missing"
    assert "アカウントの「名刺」" in refused.json()["error"]["message"]
    room = (await host.get(f"/meetings/{meeting['id']}")).text
    assert 'id="tool-card"' in room
    assert "お客様に名刺を表示" in room


async def test_the_meetings_record_says_when_the_card_was_shown(host, guest):
    await host.put("/api/v1/me/card", json=CARD)
    meeting, _ = await meeting_with_guest(host, guest)
    record = (await host.get(f"/meetings/{meeting['id']}")).text
    assert "名刺の表示" not in record  # a running meeting's page is the room

    await host.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})
    await host.post(f"/api/v1/meetings/{meeting['id']}/card/show", json={})
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    record = (await host.get(f"/meetings/{meeting['id']}")).text
    shown = record.split('id="record-card-shown">')[1].split("</dd>")[0]
    assert shown.count("<time datetime=") == 2  # both times, in the facts
    assert record.count('data-type="card.shown"') == 2
    assert "名刺を表示しました" in record
    archive = (await host.get(f"/meetings/{meeting['id']}/record.zip")).content
    exported = json.loads(zipfile.ZipFile(io.BytesIO(archive)).read("record.json"))
    assert [e["text"] for e in exported["timeline"] if e["type"] == "card.shown"] == [
        "名刺を表示しました",
        "名刺を表示しました",
    ]


async def test_a_meeting_without_the_card_shown_says_so(host, guest):
    meeting, _ = await meeting_with_guest(host, guest)
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    record = (await host.get(f"/meetings/{meeting['id']}")).text

    assert re.search(r'id="record-card-shown">表示していません</dd>', record)
