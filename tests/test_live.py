"""Live events over WebSocket, against the real server: what the host and the
guest see as it happens, after a reconnect, after a restart, and across two
server instances sharing Redis."""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import REDIS_URL
from tests.live_server import LiveServer, start_server
from tests.sockets import next_message


class Host:
    """A host at the console, through the same HTTP API the console uses."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.http = httpx.AsyncClient(base_url=server.url)

    async def log_in(self, password: str, username: str = "admin") -> None:
        await self.http.post("/login", data={"username": username, "password": password})
        page = (await self.http.get("/account")).text
        self.http.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]

    @classmethod
    @contextlib.asynccontextmanager
    async def logged_in(
        cls, server: LiveServer, username: str = "admin", password: str = ""
    ) -> AsyncIterator[Host]:
        """A host logged in (by default the first-run admin), for one test."""
        console = cls(server)
        try:
            await console.log_in(password or server.first_run_password(), username)
            yield console
        finally:
            await console.http.aclose()

    async def claim(self, number: str) -> dict:
        response = await self.http.post("/api/v1/meetings", json={"number": number})
        assert response.status_code == 201, response.text
        return response.json()

    def socket(self, path: str):
        cookie = f"tsunagu_session={self.http.cookies['tsunagu_session']}"
        url = self.server.url.replace("http", "ws", 1) + path
        return connect(url, origin=self.server.url, additional_headers={"cookie": cookie})


async def guest_socket(server: LiveServer, token: str, after: int = 0):
    socket = await connect(server.url.replace("http", "ws", 1) + "/api/v1/guest/live")
    await socket.send(json.dumps({"type": "hello", "token": token, "after": after}))
    return socket


async def new_number(server: LiveServer) -> dict:
    async with httpx.AsyncClient(base_url=server.url) as guest:
        response = await guest.post("/api/v1/guest/numbers", json={})
    assert response.status_code == 201
    return response.json()


async def stored(host: Host, meeting_id: int, event_type: str) -> None:
    """Wait until the server has recorded an event (10 s at most)."""
    with anyio.fail_after(10):
        while True:
            events = (await host.http.get(f"/api/v1/meetings/{meeting_id}/events")).json()
            if event_type in [e["type"] for e in events["events"]]:
                return
            await anyio.sleep(0.05)


# Seconds a closed guest socket still counts as connected; tests that wait
# for "disconnected" wait this long, so it is short here.
GRACE = "0.5"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = start_server(
        tmp_path_factory.mktemp("live-events"), TSUNAGU_GUEST_PRESENCE_GRACE=GRACE
    )
    yield running
    running.stop()


@pytest.fixture
async def host(server):
    async with Host.logged_in(server) as console:
        yield console


async def test_the_host_watches_the_guest_arrive_and_leave_as_it_happens(server, host):
    issued = await new_number(server)
    guest = await guest_socket(server, issued["guest_token"])
    async with host.socket("/api/v1/live") as dashboard:
        meeting = await host.claim(issued["number"])
        started = await next_message(dashboard, "meeting.started")
        assert started["meeting_id"] == meeting["id"]
        assert started["payload"]["number"] == issued["number"]
        assert set(started) == {"id", "type", "meeting_id", "time", "payload"}

        # The waiting guest hears of the meeting the moment it starts...
        assert (await next_message(guest, "meeting.started"))["meeting_id"] == meeting["id"]
        async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
            # ...and the host sees the guest connected.
            await next_message(view, "guest.connected")
            await guest.close()
            await next_message(view, "guest.disconnected")
            await next_message(dashboard, "guest.disconnected")


async def test_the_guest_hears_that_the_host_ended_the_meeting(server, host):
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")  # caught up from the database

    await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")

    ended = await next_message(guest, "meeting.ended")
    assert ended["payload"] == {"by": "host"}
    await guest.close()


async def test_a_reconnecting_console_gets_exactly_the_events_it_missed(server, host):
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    path = f"/api/v1/meetings/{meeting['id']}/live"
    async with host.socket(path) as view:
        started = await next_message(view, "meeting.started")
    # While the console is away, the guest comes and goes and the host ends.
    guest = await guest_socket(server, issued["guest_token"])
    await next_message(guest, "meeting.started")
    await guest.close()
    await stored(host, meeting["id"], "guest.disconnected")
    await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")

    async with host.socket(f"{path}?after={started['id']}") as view:
        missed = []
        while not missed or missed[-1]["type"] != "meeting.ended":
            with anyio.fail_after(10):
                missed.append(json.loads(await view.recv()))
    assert [m["type"] for m in missed] == ["guest.connected", "guest.disconnected", "meeting.ended"]
    assert [m["id"] for m in missed] == sorted(m["id"] for m in missed)


async def test_pings_are_answered(server):
    issued = await new_number(server)
    guest = await guest_socket(server, issued["guest_token"])
    await guest.send(json.dumps({"type": "ping"}))
    assert json.loads(await guest.recv()) == {"type": "pong"}
    await guest.close()


async def test_the_console_socket_refuses_other_sites_and_strangers(server, host):
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    url = server.url.replace("http", "ws", 1) + f"/api/v1/meetings/{meeting['id']}/live"
    cookie = {"cookie": f"tsunagu_session={host.http.cookies['tsunagu_session']}"}

    with pytest.raises(InvalidStatus) as hijack:
        await connect(url, origin="https://evil.example", additional_headers=cookie)
    assert hijack.value.response.status_code == 403

    # Not logged in.
    socket = await connect(url, origin=server.url)
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd.code == 4401

    # Logged in, but it is another host's meeting: as if it did not exist.
    created = await host.http.post(
        "/api/v1/users", json={"username": "suzuki", "password": "long enough secret"}
    )
    assert created.status_code in (201, 409)
    async with httpx.AsyncClient(base_url=server.url) as other:
        await other.post("/login", data={"username": "suzuki", "password": "long enough secret"})
        other_cookie = {"cookie": f"tsunagu_session={other.cookies['tsunagu_session']}"}
    socket = await connect(url, origin=server.url, additional_headers=other_cookie)
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd.code == 4404


@pytest.mark.parametrize(
    "first_frame",
    [
        b"\x00binary",
        "[" * 20000,
        json.dumps({"type": "hello", "token": "x", "after": 10**30}),
        json.dumps({"type": "hello", "token": ["not", "text"], "after": True}),
        "not json",
    ],
)
async def test_odd_frames_get_a_clean_refusal_and_the_server_carries_on(server, first_frame):
    url = server.url.replace("http", "ws", 1) + "/api/v1/guest/live"
    async with connect(url) as socket:
        await socket.send(first_frame)
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4401
    assert "Exception in ASGI application" not in server.output()


async def test_odd_frames_in_a_live_guest_socket_are_ignored(server, host):
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    guest = await guest_socket(server, issued["guest_token"], after=10**30)
    await next_message(guest, "meeting.started")  # a silly "after" means "everything"
    for frame in [b"\x01\x02", "[" * 20000, "{}", '{"type": "nonsense"}']:
        await guest.send(frame)
    await guest.send(json.dumps({"type": "ping"}))
    assert (await next_message(guest, "pong")) == {"type": "pong"}
    await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")
    await next_message(guest, "meeting.ended")
    await guest.close()
    assert "Exception in ASGI application" not in server.output()


async def test_a_guest_socket_with_a_forged_token_is_closed(server):
    socket = await guest_socket(server, "forged")
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd.code == 4401


async def test_a_restart_loses_no_meeting_and_clients_resume(tmp_path):
    first = start_server(tmp_path)
    try:
        password = first.first_run_password()
        host = Host(first)
        await host.log_in(password)
        issued = await new_number(first)
        meeting = await host.claim(issued["number"])
        await host.http.aclose()
    finally:
        first.stop()

    again = start_server(tmp_path, port=int(first.url.rsplit(":", 1)[1]))
    try:
        host = Host(again)
        await host.log_in(password)
        live = (await host.http.get("/api/v1/meetings?state=live")).json()["meetings"]
        assert [m["id"] for m in live] == [meeting["id"]]
        guest = await guest_socket(again, issued["guest_token"])
        await next_message(guest, "meeting.started")
        async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
            await next_message(view, "guest.connected")
        await guest.close()
        await host.http.aclose()
    finally:
        again.stop()


@pytest.mark.skipif(not REDIS_URL, reason="needs TSUNAGU_TEST_REDIS_URL")
async def test_a_host_on_one_instance_sees_a_guest_on_another(tmp_path):
    """Two server processes behind a load balancer: one database, one Redis."""
    shared = {
        "TSUNAGU_REDIS_URL": REDIS_URL,
        "TSUNAGU_SECRET_KEY": "shared-secret-for-both",
        "TSUNAGU_GUEST_PRESENCE_GRACE": GRACE,
    }
    a = start_server(tmp_path, **shared)
    b = start_server(tmp_path, **shared)
    try:
        host = Host(a)
        await host.log_in(a.first_run_password())
        issued = await new_number(b)
        guest = await guest_socket(b, issued["guest_token"])
        async with host.socket("/api/v1/live") as dashboard:
            meeting = await host.claim(issued["number"])  # claimed on A...
            await next_message(guest, "meeting.started")  # ...heard by the guest on B
            async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
                await next_message(view, "guest.connected")  # recorded on B, seen on A
                await guest.close()
                await next_message(view, "guest.disconnected")
            await next_message(dashboard, "guest.disconnected")
        await host.http.aclose()
    finally:
        a.stop()
        b.stop()


async def test_a_site_guests_socket_is_accepted_from_the_site_and_refused_elsewhere(server):
    site_key = re.search(r"site key (pk_[\w-]+)", server.output())[1]
    demo_origin = server.demo_url  # the demo site's second origin
    async with httpx.AsyncClient(base_url=server.url) as snippet:
        issued = await snippet.post(
            "/api/v1/guest/numbers", json={"site_key": site_key}, headers={"origin": demo_origin}
        )
    token = issued.json()["guest_token"]
    url = server.url.replace("http", "ws", 1) + "/api/v1/guest/live"
    async with connect(url, origin=demo_origin) as socket:
        await socket.send(json.dumps({"type": "hello", "token": token}))
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await socket.recv()) == {"type": "pong"}
    async with connect(url, origin="https://evil.example") as socket:
        await socket.send(json.dumps({"type": "hello", "token": token}))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd.code == 4403


async def test_a_guest_by_link_is_live_in_the_meeting_but_never_sees_the_sms_side(server, host):
    started = await host.http.post("/api/v1/meetings/by-link", json={"phone": "090-4000-0001"})
    assert started.status_code == 201, started.text
    meeting, sms = started.json()["meeting"], started.json()["sms"]
    token = sms["link"].rsplit("/", 1)[1]
    async with httpx.AsyncClient(base_url=server.url) as phone:
        joined = (await phone.post("/api/v1/guest/links", json={"token": token})).json()

    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
        # The host's view has the SMS's delivery; the guest's socket, which
        # replays the same meeting, has everything but that.
        await next_message(view, "sms.status")
        guest = await guest_socket(server, joined["guest_token"])
        await next_message(view, "guest.connected")
        await host.http.post(f"/api/v1/meetings/{meeting['id']}/end")
        seen = []
        with anyio.fail_after(10):
            while not seen or seen[-1] != "meeting.ended":
                seen.append(json.loads(await guest.recv()).get("type"))
        await guest.close()
    assert "meeting.started" in seen
    assert not [t for t in seen if t.startswith("sms.")]


async def presence_events(host: Host, meeting_id: int) -> list[str]:
    events = (await host.http.get(f"/api/v1/meetings/{meeting_id}/events")).json()["events"]
    return [e["type"] for e in events if e["type"] in ("guest.connected", "guest.disconnected")]


async def test_a_guest_moving_from_page_to_page_never_shows_as_disconnected(tmp_path):
    # Every page the snippet's guest opens closes its socket and opens a new
    # one; the grace here is long enough for any machine to reopen in.
    site = start_server(tmp_path, TSUNAGU_GUEST_PRESENCE_GRACE="3")
    try:
        async with Host.logged_in(site) as host:
            issued = await new_number(site)
            meeting = await host.claim(issued["number"])
            async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
                page = await guest_socket(site, issued["guest_token"])
                seen = await next_message(page, "meeting.started")
                await next_message(view, "guest.connected")
                for _ in range(3):  # three more pages of the site
                    await page.close()
                    page = await guest_socket(site, issued["guest_token"], after=seen["id"])
                    await page.send(json.dumps({"type": "ping"}))
                    await next_message(page, "pong")  # counted in by now
                await page.close()  # and then the guest closes the tab
                # The last close's grace ends after every earlier one.
                await next_message(view, "guest.disconnected")
            assert await presence_events(host, meeting["id"]) == [
                "guest.connected",
                "guest.disconnected",
            ]
    finally:
        site.stop()


async def test_a_guest_who_leaves_shows_as_disconnected_once_after_the_grace(server, host):
    issued = await new_number(server)
    meeting = await host.claim(issued["number"])
    async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
        guest = await guest_socket(server, issued["guest_token"])
        await next_message(view, "guest.connected")
        closed_at = time.monotonic()
        await guest.close()
        await next_message(view, "guest.disconnected")
        waited = time.monotonic() - closed_at
    assert waited >= float(GRACE) * 0.9
    assert await presence_events(host, meeting["id"]) == ["guest.connected", "guest.disconnected"]
    details = (await host.http.get(f"/api/v1/meetings/{meeting['id']}")).json()
    assert details["guest_connected"] is False


async def test_a_server_stopping_within_the_grace_still_counts_the_guest_gone(tmp_path):
    # A grace longer than stop() waits before it kills the server: shutdown
    # must not wait it out, nor forget the socket that closed.
    first = start_server(tmp_path, TSUNAGU_GUEST_PRESENCE_GRACE="30")
    try:
        password = first.first_run_password()
        async with Host.logged_in(first) as host:
            issued = await new_number(first)
            meeting = await host.claim(issued["number"])
            async with host.socket(f"/api/v1/meetings/{meeting['id']}/live") as view:
                guest = await guest_socket(first, issued["guest_token"])
                await next_message(view, "guest.connected")
                await guest.close()
    finally:
        stopping = time.monotonic()
        first.stop()
    assert time.monotonic() - stopping < 9  # stop() kills a server still busy after 10 s

    again = start_server(tmp_path, port=int(first.url.rsplit(":", 1)[1]))
    try:
        async with Host.logged_in(again, password=password) as host:
            assert await presence_events(host, meeting["id"]) == [
                "guest.connected",
                "guest.disconnected",
            ]
            details = (await host.http.get(f"/api/v1/meetings/{meeting['id']}")).json()
            assert details["guest_connected"] is False
    finally:
        again.stop()
