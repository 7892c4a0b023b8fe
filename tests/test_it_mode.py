"""IT重説 mode through the API (issue #14 part 5): the host's licence photo,
admins' checklists, the checklist ticked in a meeting, and who may see the
licence photo."""

from __future__ import annotations

import contextlib
import io
import json
import zipfile

import pytest
from PIL import Image

from server.meetings import retention
from tests.conftest import csrf_token, http_client, log_in


def picture(fmt: str, size: tuple[int, int] = (120, 80), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(out, format=fmt, **save)
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), "white")
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {2: (35.0, 40.0, 0.0)}  # GPSInfo: latitude
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def as_guest(token: str) -> dict:
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def guest(app):
    async with http_client(app, address="192.0.2.44") as client:
        yield client


@contextlib.asynccontextmanager
async def logged_in(app, make_user, username: str, role: str = "host"):
    await make_user(username, role=role)
    async with http_client(app) as client:
        await log_in(client, username)
        client.headers["x-csrf-token"] = await csrf_token(client)
        yield client


async def meeting_with_guest(host, guest, *, it_mode: bool = True) -> tuple[dict, str]:
    issued = (await guest.post("/api/v1/guest/numbers", json={})).json()
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    if it_mode:
        changed = await host.patch(
            f"/api/v1/meetings/{meeting['id']}/options", json={"it_mode": True}
        )
        assert changed.status_code == 200, changed.text
    return meeting, issued["guest_token"]


async def add_checklist(admin, title="重説前の確認", items=("本人確認", "書面の受領")) -> dict:
    response = await admin.post("/api/v1/checklists", json={"title": title, "items": list(items)})
    assert response.status_code == 201, response.text
    return response.json()


# -- the licence photo --------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
async def test_a_host_uploads_a_licence_photo_and_sees_it_again_re_encoded(host, fmt):
    uploaded = await host.put(
        "/api/v1/me/licence",
        content=picture(fmt),
        headers={"content-type": f"image/{fmt.lower()}"},
    )

    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["width"] == 120
    assert uploaded.json()["height"] == 80
    image = await host.get("/api/v1/me/licence/image")
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    assert image.headers["cache-control"] == "private, no-store"
    assert Image.open(io.BytesIO(image.content)).size == (120, 80)


async def test_the_licence_photo_keeps_no_metadata(host):
    await host.put("/api/v1/me/licence", content=jpeg_with_gps())

    stored = (await host.get("/api/v1/me/licence/image")).content
    assert not Image.open(io.BytesIO(stored)).getexif()
    assert b"secret comment" not in stored
    assert b"CameraMaker" not in stored


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (picture("GIF"), 415, "licence_photo_format"),
        (picture("WEBP"), 415, "licence_photo_format"),
        (b"this is not a picture at all", 415, "licence_photo_format"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", 422, "image_corrupt"),
        (b"", 422, "image_corrupt"),
        (picture("PNG", size=(5000, 4000)), 422, "image_too_large"),
        (b"\xff\xd8\xff" + b"\0" * (16 * 1024 * 1024), 413, "licence_photo_too_large"),
    ],
    ids=["gif", "webp", "garbage", "truncated", "empty", "too-many-pixels", "too-many-bytes"],
)
async def test_a_licence_photo_that_is_not_a_sound_jpeg_or_png_is_refused(host, body, status, code):
    await host.put("/api/v1/me/licence", content=picture("JPEG", size=(10, 10)))

    refused = await host.put("/api/v1/me/licence", content=body)

    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["code"] == code
    assert refused.json()["error"]["message"]
    kept = await host.get("/api/v1/me/licence")
    assert kept.json()["width"] == 10  # the photo already there is untouched


async def test_replacing_and_deleting_the_photo_leaves_no_blob_behind(app, host):
    from server.web.services import services

    store = services(app).blobs
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    await host.put("/api/v1/me/licence", content=picture("PNG", size=(40, 30)))
    assert len(list(store.list())) == 1
    assert (await host.get("/api/v1/me/licence")).json()["width"] == 40
    swept = await retention.sweep(app, older_than=0)
    assert swept.orphans == 0  # the sweeper knows the photo's blob

    deleted = await host.delete("/api/v1/me/licence")

    assert deleted.status_code == 204
    assert list(store.list()) == []
    missing = await host.get("/api/v1/me/licence/image")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "licence_photo_missing"


async def test_the_licence_photo_needs_a_login_and_the_csrf_header(app, host):
    async with http_client(app) as anonymous:
        assert (await anonymous.get("/api/v1/me/licence/image")).status_code == 401
    del host.headers["x-csrf-token"]
    refused = await host.put("/api/v1/me/licence", content=picture("JPEG"))
    assert refused.status_code == 403


# -- who sees the licence photo -----------------------------------------------


async def test_the_guest_of_a_meeting_in_it_mode_sees_the_hosts_name_and_licence(host, guest):
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    _, token = await meeting_with_guest(host, guest)

    view = (await guest.get("/api/v1/guest/it", headers=as_guest(token))).json()

    assert view == {
        "it_mode": True,
        "host_name": "tanaka",
        "licence_url": "/api/v1/guest/it/licence",
        "checklist": None,
    }
    image = await guest.get(view["licence_url"], headers=as_guest(token))
    assert image.status_code == 200
    assert Image.open(io.BytesIO(image.content)).size == (120, 80)


async def test_no_licence_for_a_guest_of_a_meeting_without_the_mode_or_after_it_is_off(host, guest):
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    _, plain_token = await meeting_with_guest(host, guest, it_mode=False)
    refused = await guest.get("/api/v1/guest/it/licence", headers=as_guest(plain_token))
    assert refused.status_code == 404
    assert refused.json()["error"]["code"] == "it_mode_off"
    view = (await guest.get("/api/v1/guest/it", headers=as_guest(plain_token))).json()
    assert view["it_mode"] is False
    assert view["host_name"] is None
    assert view["licence_url"] is None

    meeting, token = await meeting_with_guest(host, guest)
    assert (await guest.get("/api/v1/guest/it/licence", headers=as_guest(token))).status_code == 200
    await host.patch(f"/api/v1/meetings/{meeting['id']}/options", json={"it_mode": False})
    off = await guest.get("/api/v1/guest/it/licence", headers=as_guest(token))
    assert off.status_code == 404
    assert (await guest.get("/api/v1/guest/it", headers=as_guest(token))).json()["it_mode"] is False


async def test_a_guest_of_another_hosts_meeting_never_gets_this_hosts_licence(
    app, host, guest, make_user
):
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    async with logged_in(app, make_user, "suzuki") as other:
        _, token = await meeting_with_guest(other, guest)  # in IT重説 mode, no photo

        refused = await guest.get("/api/v1/guest/it/licence", headers=as_guest(token))

        assert refused.status_code == 404
        assert refused.json()["error"]["code"] == "licence_photo_missing"
        view = (await guest.get("/api/v1/guest/it", headers=as_guest(token))).json()
        assert view["host_name"] == "suzuki"
        assert view["licence_url"] is None


async def test_the_licence_is_not_served_without_a_guest_token_nor_after_the_end(app, host, guest):
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    meeting, token = await meeting_with_guest(host, guest)
    no_token = await guest.get("/api/v1/guest/it/licence")
    assert no_token.status_code == 401
    forged = await guest.get("/api/v1/guest/it/licence", headers=as_guest(token + "x"))
    assert forged.status_code == 401
    waiting = (await guest.post("/api/v1/guest/numbers", json={})).json()["guest_token"]
    assert (
        await guest.get("/api/v1/guest/it/licence", headers=as_guest(waiting))
    ).status_code == 404

    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    assert (await guest.get("/api/v1/guest/it/licence", headers=as_guest(token))).status_code == 404


async def test_only_admins_see_another_users_licence(app, host, make_user, admin_client):
    await host.put("/api/v1/me/licence", content=picture("JPEG"))
    me = (await host.get("/api/v1/me")).json()
    async with logged_in(app, make_user, "suzuki") as other:
        refused = await other.get(f"/api/v1/users/{me['id']}/licence")
        assert refused.status_code == 403
        assert (await other.get("/api/v1/me/licence/image")).status_code == 404

    seen = await admin_client.get(f"/api/v1/users/{me['id']}/licence")
    assert seen.status_code == 200
    assert seen.headers["content-type"] == "image/jpeg"


# -- admins' checklists -------------------------------------------------------


async def test_admins_define_change_and_delete_checklists(admin_client):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    created = await add_checklist(admin_client, items=(" 本人確認 ", "", "書面の受領"))
    assert created["items"] == ["本人確認", "書面の受領"]

    changed = await admin_client.put(
        f"/api/v1/checklists/{created['id']}",
        json={"title": "新しい確認", "items": ["一", "二", "三"]},
    )
    assert changed.status_code == 200
    listed = (await admin_client.get("/api/v1/checklists")).json()["checklists"]
    assert [(c["title"], c["items"]) for c in listed] == [("新しい確認", ["一", "二", "三"])]

    deleted = await admin_client.delete(f"/api/v1/checklists/{created['id']}")
    assert deleted.status_code == 204
    assert (await admin_client.get("/api/v1/checklists")).json()["checklists"] == []
    gone = await admin_client.delete(f"/api/v1/checklists/{created['id']}")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "checklist_not_found"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"title": " ", "items": ["a"]}, "checklist_title_required"),
        ({"title": "x" * 101, "items": ["a"]}, "checklist_title_too_long"),
        ({"title": "t", "items": ["", "  "]}, "checklist_items_required"),
        ({"title": "t", "items": ["a"] * 51}, "checklist_too_many_items"),
        ({"title": "t", "items": ["a" * 201]}, "checklist_item_too_long"),
        ({"title": "t", "items": "a"}, "invalid_request"),
        ({"title": "t"}, "invalid_request"),
    ],
)
async def test_a_checklist_that_cannot_be_kept_is_refused(admin_client, body, code):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    refused = await admin_client.post("/api/v1/checklists", json=body)
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == code


async def test_hosts_list_checklists_but_only_admins_change_them(host, admin_client):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    created = await add_checklist(admin_client)

    assert len((await host.get("/api/v1/checklists")).json()["checklists"]) == 1
    for refused in (
        await host.post("/api/v1/checklists", json={"title": "t", "items": ["a"]}),
        await host.put(f"/api/v1/checklists/{created['id']}", json={"title": "t", "items": ["a"]}),
        await host.delete(f"/api/v1/checklists/{created['id']}"),
    ):
        assert refused.status_code == 403
        assert refused.json()["error"]["code"] == "admin_required"


# -- the checklist in a meeting -----------------------------------------------


async def test_the_host_ticks_items_and_the_guest_sees_the_ticks_and_the_timeline_says_so(
    host, guest, admin_client
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    source = await add_checklist(admin_client, items=("本人確認", "書面の受領", "録画の同意"))
    meeting, token = await meeting_with_guest(host, guest)
    base = f"/api/v1/meetings/{meeting['id']}/checklists"

    opened = await host.post(base, json={"checklist_id": source["id"]})
    assert opened.status_code == 201, opened.text
    shown = opened.json()
    assert [item["text"] for item in shown["items"]] == ["本人確認", "書面の受領", "録画の同意"]
    first, second, _ = (item["id"] for item in shown["items"])
    ticked = await host.put(f"{base}/{shown['id']}/items/{first}", json={"ticked": True})
    assert ticked.status_code == 200
    await host.put(f"{base}/{shown['id']}/items/{second}", json={"ticked": True})
    await host.put(f"{base}/{shown['id']}/items/{second}", json={"ticked": False})
    await host.put(f"{base}/{shown['id']}/items/{second}", json={"ticked": True})
    collapsed = await host.patch(f"{base}/{shown['id']}", json={"collapsed": True})
    assert collapsed.json()["collapsed"] is True

    view = (await guest.get("/api/v1/guest/it", headers=as_guest(token))).json()
    items = view["checklist"]["items"]
    assert [item["ticked"] for item in items] == [True, True, False]
    assert items[0]["ticked_by"] == "tanaka"
    assert items[0]["ticked_at"] is not None
    assert items[2]["ticked_at"] is None
    assert view["checklist"]["collapsed"] is True
    events = (await host.get(f"/api/v1/meetings/{meeting['id']}/events")).json()["events"]
    kinds = [e["type"] for e in events if e["type"].startswith("checklist.")]
    assert kinds == [
        "checklist.opened",
        "checklist.ticked",
        "checklist.ticked",
        "checklist.unticked",
        "checklist.ticked",
        "checklist.collapsed",
    ]


async def test_the_meeting_keeps_its_copy_when_the_admin_changes_or_deletes_the_checklist(
    host, guest, admin_client
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    source = await add_checklist(admin_client, items=("本人確認",))
    meeting, _ = await meeting_with_guest(host, guest)
    await host.post(
        f"/api/v1/meetings/{meeting['id']}/checklists", json={"checklist_id": source["id"]}
    )

    await admin_client.put(
        f"/api/v1/checklists/{source['id']}", json={"title": "別物", "items": ["x"]}
    )
    await admin_client.delete(f"/api/v1/checklists/{source['id']}")

    current = (await host.get(f"/api/v1/meetings/{meeting['id']}/checklists")).json()["current"]
    assert current["title"] == "重説前の確認"
    assert [item["text"] for item in current["items"]] == ["本人確認"]
    assert current["checklist_id"] is None


async def test_the_checklist_is_the_hosts_only_while_the_meeting_runs_in_it_mode(
    app, host, guest, admin_client, make_user
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    source = await add_checklist(admin_client)
    meeting, _ = await meeting_with_guest(host, guest, it_mode=False)
    base = f"/api/v1/meetings/{meeting['id']}/checklists"
    off = await host.post(base, json={"checklist_id": source["id"]})
    assert (off.status_code, off.json()["error"]["code"]) == (409, "it_mode_off")

    await host.patch(f"/api/v1/meetings/{meeting['id']}/options", json={"it_mode": True})
    unknown = await host.post(base, json={"checklist_id": 999})
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "checklist_not_found")
    async with logged_in(app, make_user, "suzuki") as other:
        hidden = await other.post(base, json={"checklist_id": source["id"]})
        assert (hidden.status_code, hidden.json()["error"]["code"]) == (404, "meeting_not_found")
    admins = await admin_client.post(base, json={"checklist_id": source["id"]})
    assert (admins.status_code, admins.json()["error"]["code"]) == (403, "not_meeting_host")
    shown = (await host.post(base, json={"checklist_id": source["id"]})).json()
    wrong_item = await host.put(f"{base}/{shown['id']}/items/99999", json={"ticked": True})
    assert wrong_item.json()["error"]["code"] == "checklist_item_not_found"
    bad = await host.put(f"{base}/{shown['id']}/items/{shown['items'][0]['id']}", json={})
    assert bad.status_code == 422

    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    ended = await host.put(
        f"{base}/{shown['id']}/items/{shown['items'][0]['id']}", json={"ticked": True}
    )
    assert (ended.status_code, ended.json()["error"]["code"]) == (409, "meeting_ended")


async def test_the_record_and_its_zip_hold_the_final_checklist_with_tick_times(
    host, guest, admin_client
):
    admin_client.headers["x-csrf-token"] = await csrf_token(admin_client)
    source = await add_checklist(admin_client, items=("本人確認", "書面の受領"))
    meeting, _ = await meeting_with_guest(host, guest)
    base = f"/api/v1/meetings/{meeting['id']}/checklists"
    shown = (await host.post(base, json={"checklist_id": source["id"]})).json()
    await host.put(f"{base}/{shown['id']}/items/{shown['items'][0]['id']}", json={"ticked": True})
    await host.post(f"/api/v1/meetings/{meeting['id']}/end")

    page = await host.get(f"/meetings/{meeting['id']}")
    assert 'id="record-checklists"' in page.text
    assert "重説前の確認" in page.text
    assert "1/2" in page.text
    archive = zipfile.ZipFile(
        io.BytesIO((await host.get(f"/meetings/{meeting['id']}/record.zip")).content)
    )
    exported = json.loads(archive.read("checklists.json"))
    assert exported[0]["title"] == "重説前の確認"
    assert exported[0]["items"][0]["ticked_by"] == "tanaka"
    assert exported[0]["items"][0]["ticked_at"]
    assert exported[0]["items"][1]["ticked_at"] is None


async def test_an_admin_adds_edits_and_deletes_a_checklist_on_the_console_page(admin_client, host):
    token = await csrf_token(admin_client, "/admin/checklists")
    added = await admin_client.post(
        "/admin/checklists",
        data={"csrf_token": token, "title": "重説前", "items": "本人確認\n\n書面の受領\n"},
    )
    assert added.status_code == 303
    page = await admin_client.get("/admin/checklists")
    assert "重説前" in page.text
    assert "本人確認 / 書面の受領" in page.text
    assert "></textarea>" in page.text  # the add form starts empty
    listed = (await host.get("/api/v1/checklists")).json()["checklists"]
    assert listed[0]["items"] == ["本人確認", "書面の受領"]
    path = f"/admin/checklists/{listed[0]['id']}"

    refused = await admin_client.post(path, data={"csrf_token": token, "title": "", "items": "x"})
    assert refused.status_code == 422
    assert "タイトルを入力してください" in refused.text
    await admin_client.post(path, data={"csrf_token": token, "title": "重説前", "items": "一\n二"})
    assert (await host.get("/api/v1/checklists")).json()["checklists"][0]["items"] == ["一", "二"]
    await admin_client.post(path, data={"csrf_token": token, "action": "delete"})
    assert (await host.get("/api/v1/checklists")).json()["checklists"] == []
    assert (await host.get("/admin/checklists")).status_code == 403


async def test_a_second_tabs_first_photo_landing_in_between_replaces_it_not_a_500(
    app, host, monkeypatch
):
    from server.accounts import licences
    from server.web.services import services

    # This upload reads "no photo yet" just before the other tab's first
    # photo is committed, then inserts its own.
    found = licences.find
    other_tab = {"done": False}

    async def stale_find(db, user_id):
        if not other_tab["done"]:
            other_tab["done"] = True
            monkeypatch.setattr(licences, "find", found)
            await host_put_elsewhere(app, user_id)
            return None
        return await found(db, user_id)

    async def host_put_elsewhere(app, user_id):
        from server.storage.blobs import new_key
        from server.storage.models import LicencePhoto, utcnow

        key = new_key("jpg")
        services(app).blobs.put(key, picture("JPEG"), "image/jpeg")
        async with services(app).db.begin() as db:
            db.add(
                LicencePhoto(
                    user_id=user_id,
                    blob_key=key,
                    content_type="image/jpeg",
                    width=120,
                    height=80,
                    updated_at=utcnow(),
                )
            )

    monkeypatch.setattr(licences, "find", stale_find)

    answer = await host.put("/api/v1/me/licence", content=picture("PNG", size=(40, 30)))

    assert answer.status_code == 200, answer.text
    assert (await host.get("/api/v1/me/licence")).json()["width"] == 40
    assert len(list(services(app).blobs.list())) == 1  # the other tab's photo went
