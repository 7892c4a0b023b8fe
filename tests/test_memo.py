"""The shared memo's server side: the document, its storage (merged, never
overwritten), and the sync over the live sockets of the console and the
guest, with every refusal; on one instance and on two sharing Redis."""

from __future__ import annotations

import base64
import contextlib
import json
import re
from collections.abc import AsyncIterator

import anyio
import pytest
from pycrdt import Doc, Text
from websockets.asyncio.client import connect

from server.meetings import memo, retention
from server.storage.models import MeetingMemo, MemoTemplate
from server.web.services import services
from tests.conftest import csrf_token
from tests.served_app import Served, serving
from tests.sockets import next_message


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class Typist:
    """A client's replica of the memo, as embed/memo.js keeps it."""

    def __init__(self) -> None:
        self.doc = Doc()
        self.text = self.doc.get(memo.TEXT, type=Text)

    def type(self, index: int, chars: str) -> bytes:
        """Type ``chars`` at character ``index``; the update it makes."""
        before = self.doc.get_state()
        # pycrdt counts a Text's positions in UTF-8 bytes (Yjs in UTF-16
        # units; the updates themselves carry no positions, only ids).
        self.text.insert(len(str(self.text)[:index].encode()), chars)
        return self.doc.get_update(before)

    def receive(self, message: dict) -> None:
        self.doc.apply_update(base64.b64decode(message["update"]))

    def __str__(self) -> str:
        return str(self.text)


async def start_meeting(host) -> tuple[dict, str]:
    issued = (await host.post("/api/v1/guest/numbers", json={})).json()
    meeting = await host.post("/api/v1/meetings", json={"number": issued["number"]})
    assert meeting.status_code == 201, meeting.text
    return meeting.json(), issued["guest_token"]


async def stored(app, meeting_id: int) -> MeetingMemo | None:
    async with services(app).db() as db:
        return await db.get(MeetingMemo, meeting_id)


@contextlib.asynccontextmanager
async def console_socket(served: Served, host, meeting_id: int) -> AsyncIterator:
    cookie = f"tsunagu_session={host.cookies['tsunagu_session']}"
    async with connect(
        f"{served.ws_url}/api/v1/meetings/{meeting_id}/live?after={2**62}",
        origin=served.url,
        additional_headers={"cookie": cookie},
    ) as socket:
        yield socket


@contextlib.asynccontextmanager
async def guest_socket(served: Served, token: str) -> AsyncIterator:
    async with connect(served.ws_url + "/api/v1/guest/live") as socket:
        await socket.send(json.dumps({"type": "hello", "token": token, "after": 2**62}))
        yield socket


async def synced(socket, replica: Typist) -> dict:
    """The Yjs-style sync: our state vector out, the difference back."""
    await socket.send(json.dumps({"type": "memo.sync", "sv": b64(replica.doc.get_state())}))
    answer = await next_message(socket, "memo.state", "memo.access", "memo.refused")
    if answer["type"] == "memo.state":
        replica.receive(answer)
        # And what the server lacks back, as embed/memo.js does.
        missing = replica.doc.get_update(base64.b64decode(answer["sv"]))
        if missing != b"\x00\x00":
            await send(socket, missing)
    return answer


async def send(socket, update: bytes) -> None:
    await socket.send(json.dumps({"type": "memo.update", "update": b64(update)}))


async def refusal(socket) -> str:
    return (await next_message(socket, "memo.refused"))["code"]


async def until_text(socket, replica: Typist, text: str) -> None:
    while str(replica) != text:
        replica.receive(await next_message(socket, "memo.update"))


# -- the document and its storage -------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        (None, "memo_invalid_update"),
        (17, "memo_invalid_update"),
        ("", "memo_invalid_update"),
        ("not base64 at all!", "memo_invalid_update"),
        ("A" * (memo.MAX_UPDATE_BYTES // 3 * 4 + 8), "memo_update_too_large"),
    ],
)
def test_updates_that_are_not_base64_within_the_bound_are_refused_by_code(value, code):
    with pytest.raises(memo.Refused) as refused:
        memo.decode(value)
    assert refused.value.code == code


@pytest.mark.parametrize(
    "garbage", [b"\x00", b"garbage!", b"\xff" * 40, b"\x01\x01\xff\xff\xff\xff\x0f\x00"]
)
def test_garbage_is_refused_and_the_document_is_unchanged(garbage):
    doc, typist = Doc(), Typist()
    doc.apply_update(typist.type(0, "こんにちは"))
    before = doc.get_update()
    with pytest.raises(memo.Refused) as refused:
        memo.apply_update(doc, garbage)
    assert refused.value.code == "memo_invalid_update"
    assert memo.plain_text(doc) == "こんにちは"
    assert memo.text_of(doc.get_update()) == memo.text_of(before)


async def meeting_row(app, host) -> int:
    meeting, _ = await start_meeting(host)
    return meeting["id"]


async def test_two_instances_saving_at_once_keep_each_others_edits(app, host):
    """Each instance's save merges with what is stored under the row lock,
    so neither overwrites the other (they never heard each other here)."""
    meeting_id = await meeting_row(app, host)
    registry_a, registry_b = memo.Memos(app), memo.Memos(app)
    a, b = memo.LiveMemo(registry_a, meeting_id), memo.LiveMemo(registry_b, meeting_id)
    await a.load()
    await b.load()
    left, right = Typist(), Typist()
    a.apply(left.type(0, "左の担当者 "), "a")
    b.apply(right.type(0, "右のお客様"), "b")
    async with anyio.create_task_group() as group:
        group.start_soon(a.save)
        group.start_soon(b.save)
    row = await stored(app, meeting_id)
    assert row is not None
    # Both at index 0: either may come first, each whole.
    assert row.text in ("左の担当者 右のお客様", "右のお客様左の担当者 ")
    assert memo.text_of(row.state) == row.text


async def test_a_memo_too_large_is_refused_and_what_is_stored_stays(app, host, monkeypatch):
    monkeypatch.setattr(memo, "MAX_STATE_BYTES", 4000)
    meeting_id = await meeting_row(app, host)
    live = memo.LiveMemo(memo.Memos(app), meeting_id)
    await live.load()
    typist = Typist()
    live.apply(typist.type(0, "a" * 1000), "a")
    await live.save()
    with pytest.raises(memo.Refused) as refused:
        for _ in range(10):
            live.apply(typist.type(0, "b" * 1000), "a")
    assert refused.value.code == "memo_too_large"
    await live.save()
    row = await stored(app, meeting_id)
    assert row is not None and row.text.endswith("a" * 1000)
    assert len(row.state) <= 4000


# -- over the live sockets ----------------------------------------------------


async def test_host_and_guest_type_at_once_and_both_converge_and_it_is_saved(app, host):
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
        guest_socket(served, token) as guest,
    ):
        mine, theirs = Typist(), Typist()
        state = await synced(console, mine)
        assert state["writable"] is True and state["shared"] is True
        assert state["templates"] == [] and state["empty"] is True
        assert (await synced(guest, theirs))["type"] == "memo.state"
        # 40 keystrokes each, sent interleaved before either side has
        # heard the other: every one lands, on both sides.
        for _ in range(40):
            await send(console, mine.type(len(str(mine)), "h"))
            await send(guest, theirs.type(0, "g"))
        expected = sorted("h" * 40 + "g" * 40)
        while sorted(str(mine)) != expected:
            mine.receive(await next_message(console, "memo.update"))
        while sorted(str(theirs)) != expected:
            theirs.receive(await next_message(guest, "memo.update"))
        assert str(mine) == str(theirs)
        # Saved within the debounce, and told so.
        saved = await next_message(guest, "memo.saved")
        assert saved["meeting_id"] == meeting["id"]
    await served.idle()
    row = await stored(app, meeting["id"])
    assert row is not None and row.text == str(mine)


async def test_a_reload_gets_the_memo_back_and_sends_what_the_server_lacks(app, host):
    meeting, token = await start_meeting(host)
    async with serving(app) as served:
        page = Typist()
        async with console_socket(served, host, meeting["id"]) as console:
            await synced(console, page)
            await send(console, page.type(0, "議事録: "))
        await served.idle()  # saved on disconnect
        # Typed while the socket was down: the next sync sends it.
        page.type(len(str(page)), "見積もりを送る")
        async with console_socket(served, host, meeting["id"]) as console:
            await synced(console, page)
            fresh = Typist()
            async with guest_socket(served, token) as guest:
                # In the sync's answer, or relayed right after it.
                await synced(guest, fresh)
                await until_text(guest, fresh, "議事録: 見積もりを送る")
        await served.idle()
    row = await stored(app, meeting["id"])
    assert row is not None and row.text == "議事録: 見積もりを送る"


async def test_host_only_notes_are_hidden_from_the_guest_and_guest_updates_refused(app, host):
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
        guest_socket(served, token) as guest,
    ):
        mine, theirs = Typist(), Typist()
        await synced(console, mine)
        await synced(guest, theirs)
        await console.send(json.dumps({"type": "memo.share", "shared": False}))
        assert (await next_message(guest, "memo.access"))["shared"] is False
        await send(console, mine.type(0, "お客様には見せない"))
        await send(guest, theirs.type(0, "x"))
        assert await refusal(guest) == "memo_host_only"
        # Told anew when shared again; what was typed meanwhile never went out.
        await console.send(json.dumps({"type": "memo.share", "shared": True}))
        assert (await next_message(guest, "memo.access"))["shared"] is True
        assert "お客様" not in str(theirs)
        again = Typist()
        await synced(guest, again)
        assert str(again) == "お客様には見せない"
        # A guest cannot change who sees the memo.
        await guest.send(json.dumps({"type": "memo.share", "shared": False}))
        assert await refusal(guest) == "memo_not_allowed"
    await served.idle()
    row = await stored(app, meeting["id"])
    assert row is not None and row.text == "お客様には見せない" and row.shared_with_guest


async def test_a_guest_of_a_host_only_memo_gets_no_state(app, host):
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
    ):
        mine = Typist()
        await synced(console, mine)
        await send(console, mine.type(0, "社内メモ"))
        await console.send(json.dumps({"type": "memo.share", "shared": False}))
        async with guest_socket(served, token) as guest:
            await guest.send(json.dumps({"type": "memo.watch"}))
            assert (await next_message(guest, "memo.access"))["shared"] is False
            theirs = Typist()
            answer = await synced(guest, theirs)
            assert answer == {"type": "memo.access", "meeting_id": meeting["id"], "shared": False}
            assert str(theirs) == ""


async def test_the_memo_is_read_only_once_the_meeting_ends(app, host):
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
        guest_socket(served, token) as guest,
    ):
        mine, theirs = Typist(), Typist()
        await synced(console, mine)
        await synced(guest, theirs)
        await send(console, mine.type(0, "最後の一行"))
        await until_text(guest, theirs, "最後の一行")
        await host.post(f"/api/v1/meetings/{meeting['id']}/end")
        await next_message(guest, "meeting.ended")
        await next_message(console, "meeting.ended")
        await send(guest, theirs.type(0, "x"))
        assert await refusal(guest) == "memo_read_only"
        await send(console, mine.type(0, "y"))
        assert await refusal(console) == "memo_read_only"
        # Saved when the meeting ended, before anyone left.
        with anyio.fail_after(10):
            while (row := await stored(app, meeting["id"])) is None or not row.text:
                await next_message(console, "memo.saved")
        assert row.text == "最後の一行"
    # After the end, the memo still opens, read-only.
    async with serving(app) as served, console_socket(served, host, meeting["id"]) as console:
        late = Typist()
        state = await synced(console, late)
        assert state["writable"] is False and str(late) == "最後の一行"


async def test_bad_messages_are_refused_by_code_and_nothing_is_lost(app, host):
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
        guest_socket(served, token) as guest,
    ):
        theirs = Typist()
        await send(guest, theirs.type(0, "before"))
        assert await refusal(guest) == "memo_not_synced"
        await synced(guest, theirs)
        await send(guest, theirs.type(0, "kept "))
        await guest.send(json.dumps({"type": "memo.update", "update": "!!!"}))
        assert await refusal(guest) == "memo_invalid_update"
        await guest.send(json.dumps({"type": "memo.update", "update": b64(b"\xff" * 30)}))
        assert await refusal(guest) == "memo_invalid_update"
        huge = "A" * (memo.MAX_UPDATE_BYTES // 3 * 4 + 400)
        await guest.send(json.dumps({"type": "memo.update", "update": huge}))
        refused = await next_message(guest, "memo.refused")
        assert refused == {
            "type": "memo.refused",
            "code": "memo_update_too_large",
            "max_bytes": memo.MAX_UPDATE_BYTES,
        }
        await guest.send(json.dumps({"type": "memo.sync", "sv": "%%%"}))
        assert await refusal(guest) == "memo_invalid_update"
        await guest.send(json.dumps({"type": "memo.sync", "sv": b64(b"\xff\xff\xff")}))
        assert await refusal(guest) == "memo_invalid_state_vector"
        await guest.send(json.dumps({"type": "memo.nonsense"}))
        assert await refusal(guest) == "memo_unknown_message"
        await guest.send(json.dumps({"type": "memo.template", "template_id": 1}))
        assert await refusal(guest) == "memo_not_allowed"
        # The socket carries on, and what was typed before is all there.
        mine = Typist()
        await synced(console, mine)
        assert str(mine) == "kept before"
        await guest.send(json.dumps({"type": "ping"}))
        await next_message(guest, "pong")


async def test_the_host_starts_the_memo_from_a_template(app, host):
    async with services(app).db.begin() as db:
        chosen = MemoTemplate(name="初回ヒアリング", body="■ ご要望\n■ ご予算\n")
        db.add(chosen)
    meeting, token = await start_meeting(host)
    async with (
        serving(app) as served,
        console_socket(served, host, meeting["id"]) as console,
        guest_socket(served, token) as guest,
    ):
        mine, theirs = Typist(), Typist()
        state = await synced(console, mine)
        assert state["templates"] == [{"id": chosen.id, "name": "初回ヒアリング"}]
        await synced(guest, theirs)
        await console.send(json.dumps({"type": "memo.template", "template_id": chosen.id}))
        await until_text(console, mine, "■ ご要望\n■ ご予算\n")
        await until_text(guest, theirs, "■ ご要望\n■ ご予算\n")
        # Only into an empty memo: a second pick would double it.
        await console.send(json.dumps({"type": "memo.template", "template_id": chosen.id}))
        assert await refusal(console) == "memo_not_empty"
        await console.send(json.dumps({"type": "memo.template", "template_id": 99999}))
        assert await refusal(console) == "memo_template_not_found"
    await served.idle()
    row = await stored(app, meeting["id"])
    assert row is not None and row.template_id == chosen.id and row.text == "■ ご要望\n■ ご予算\n"


async def test_a_flood_of_memo_messages_is_refused_not_relayed(app, host):
    _, token = await start_meeting(host)
    async with serving(app) as served, guest_socket(served, token) as guest:
        theirs = Typist()
        await synced(guest, theirs)
        for _ in range(400):
            await send(guest, theirs.type(0, "z"))
        assert await refusal(guest) == "memo_too_many"


# -- the admin's templates ------------------------------------------------------


async def test_an_admin_adds_edits_and_deletes_memo_templates(app, admin_client):
    token = await csrf_token(admin_client, "/admin/memo-templates")
    added = await admin_client.post(
        "/admin/memo-templates",
        data={"csrf_token": token, "name": "  初回  ヒアリング ", "body": "■ ご要望\r\n■ ご予算"},
    )
    assert added.status_code == 303
    page = await admin_client.get("/admin/memo-templates")
    assert "テンプレート「初回 ヒアリング」を追加しました。" in page.text
    template_id = int(re.search(r'/admin/memo-templates/(\d+)"', page.text)[1])
    async with services(app).db() as db:
        stored_template = await db.get(MemoTemplate, template_id)
    # Line breaks as the memo has them; the name's spaces tidied.
    assert (stored_template.name, stored_template.body) == ("初回 ヒアリング", "■ ご要望\n■ ご予算")

    refused = await admin_client.post(
        f"/admin/memo-templates/{template_id}",
        data={"csrf_token": token, "action": "save", "name": " ", "body": "kept as typed"},
    )
    assert refused.status_code == 422
    assert "テンプレートの名前を入力してください。" in refused.text
    assert "kept as typed" in refused.text
    too_long = await admin_client.post(
        "/admin/memo-templates",
        data={"csrf_token": token, "name": "長文", "body": "あ" * (memo.MAX_TEMPLATE_CHARS + 1)},
    )
    assert too_long.status_code == 422 and "本文は 1,500 文字までです。" in too_long.text

    saved = await admin_client.post(
        f"/admin/memo-templates/{template_id}",
        data={"csrf_token": token, "action": "save", "name": "二回目", "body": "■ 前回の宿題"},
    )
    assert saved.status_code == 303
    assert "二回目" in (await admin_client.get("/admin/memo-templates")).text

    deleted = await admin_client.post(
        f"/admin/memo-templates/{template_id}", data={"csrf_token": token, "action": "delete"}
    )
    assert deleted.status_code == 303
    page = await admin_client.get("/admin/memo-templates")
    assert "まだテンプレートはありません。" in page.text
    gone = await admin_client.get(f"/admin/memo-templates/{template_id}")
    assert gone.status_code == 404


async def test_memo_templates_are_for_admins_only_and_need_the_csrf_token(admin_client, host):
    assert (await host.get("/admin/memo-templates")).status_code == 403
    forged = await admin_client.post("/admin/memo-templates", data={"name": "x", "body": ""})
    assert forged.status_code == 403
    page = await admin_client.get("/admin/memo-templates")
    assert "x" not in re.findall(r"<td>([^<]*)</td>", page.text)


async def test_deleting_a_meetings_data_deletes_its_memo(app, host, make_user):
    meeting_id = await meeting_row(app, host)
    live = memo.LiveMemo(memo.Memos(app), meeting_id)
    await live.load()
    live.apply(Typist().type(0, "お客様の電話番号 090-0000-0000"), "a")
    await live.save()
    assert await stored(app, meeting_id) is not None
    admin = await make_user("boss", role="admin")

    deleted = await retention.delete_by_admin(app, meeting_id, admin)

    assert deleted.counts["memos"] == 1
    assert await stored(app, meeting_id) is None
    async with services(app).db() as db:
        assert not await retention.has_data(db, meeting_id)
