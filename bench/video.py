"""Video: how long from the host claiming the number to the first decoded
frame of the other side's camera, on each side, in headless Chromium with
fake cameras (median of 10 meetings); next to the signaling exchange alone
(hello, hello, offer, answer relayed through the server between two
WebSocket clients), measured in the same run against the same server.

Run: ``.venv/bin/python -m bench.video``
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from playwright.sync_api import expect, sync_playwright
from websockets.asyncio.client import connect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live_server import LiveServer, start_server

RUNS = 10
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
# Before any page script runs: note when #remote-video decodes its first frame.
FIRST_FRAME = """
new MutationObserver((_, observer) => {
  const video = document.getElementById("remote-video");
  if (!video) return;
  observer.disconnect();
  video.requestVideoFrameCallback(() => { window.firstFrameAt = Date.now(); });
}).observe(document, { childList: true, subtree: true });
"""


def browser_runs(server: LiveServer) -> tuple[list[float], list[float]]:
    host_ms, guest_ms = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        host = browser.new_context(locale="ja-JP").new_page()
        host.add_init_script(FIRST_FRAME)
        host.goto(server.url + "/login")
        host.get_by_label("ユーザー名").fill("admin")
        host.get_by_label("パスワード").fill(server.first_run_password())
        host.get_by_role("button", name="ログイン").click()
        host.on("dialog", lambda dialog: dialog.accept())
        for _ in range(RUNS):
            guest_context = browser.new_context(locale="ja-JP", **PHONE)
            guest = guest_context.new_page()
            guest.add_init_script(FIRST_FRAME)
            guest.goto(server.url + "/join")
            guest.get_by_role("checkbox").check()
            guest.get_by_role("button", name="接続番号を発行する").click()
            number = guest.locator("#number")
            expect(number).to_have_text(re.compile(r"^\d{4}$"))
            host.goto(server.url + "/")
            host.locator("input.digit").first.click()
            host.keyboard.type(number.inner_text()[:3])
            claimed_at = time.time() * 1000
            host.keyboard.type(number.inner_text()[3])  # the fourth digit claims
            for page in (host, guest):
                page.wait_for_selector("#video-stage[data-state=connected]", timeout=20_000)
            for page, times in ((host, host_ms), (guest, guest_ms)):
                first = None
                for _ in range(100):
                    first = page.evaluate("window.firstFrameAt || null")
                    if first:
                        break
                    page.wait_for_timeout(50)
                times.append(first - claimed_at)
            host.get_by_role("button", name="ミーティングを終了").click()
            expect(guest.get_by_role("heading", name="終了しました")).to_be_visible()
            guest_context.close()
        browser.close()
    return host_ms, guest_ms


async def signaling_runs(server: LiveServer) -> list[float]:
    """Claim, then hello/hello/offer/answer between two plain sockets."""
    results = []
    ws = server.url.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=server.url) as http:
        await http.post(
            "/login", data={"username": "admin", "password": server.first_run_password()}
        )
        page = (await http.get("/account")).text
        http.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]
        cookie = f"tsunagu_session={http.cookies['tsunagu_session']}"
        for _ in range(RUNS):
            issued = (await http.post("/api/v1/guest/numbers", json={})).json()
            started = time.perf_counter()
            meeting = (
                await http.post("/api/v1/meetings", json={"number": issued["number"]})
            ).json()
            async with (
                connect(f"{ws}/api/v1/guest/live") as guest,
                connect(
                    f"{ws}/api/v1/meetings/{meeting['id']}/live",
                    origin=server.url,
                    additional_headers={"cookie": cookie},
                ) as host,
            ):
                await guest.send(json.dumps({"type": "hello", "token": issued["guest_token"]}))
                await next_signal_ready(guest, "meeting.started")
                await send(host, "guests", "hello")
                me = (await next_signal_ready(guest, "signal"))["data"]
                assert me["kind"] == "hello"
                await send(guest, "host", "hello")
                await next_signal_ready(host, "signal")
                await send(host, "guests", "description", description={"type": "offer"})
                await next_signal_ready(guest, "signal")
                await send(guest, "host", "description", description={"type": "answer"})
                await next_signal_ready(host, "signal")
                results.append((time.perf_counter() - started) * 1000)
            await http.post(f"/api/v1/meetings/{meeting['id']}/end")
    return results


async def send(socket, to: str, kind: str, **data) -> None:
    await socket.send(json.dumps({"type": "signal", "to": to, "data": {"kind": kind, **data}}))


async def next_signal_ready(socket, message_type: str) -> dict:
    while True:
        message = json.loads(await socket.recv())
        if message.get("type") == message_type:
            return message


def main() -> None:
    # Every guest here comes from 127.0.0.1: lift the per-address number limit.
    server = start_server(
        Path(tempfile.mkdtemp(prefix="tsunagu-bench-video-")),
        TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
    )
    try:
        signaling = asyncio.run(signaling_runs(server))
        host_ms, guest_ms = browser_runs(server)
    finally:
        server.stop()
    base = statistics.median(signaling)
    print(f"signaling exchange alone (claim + 4 relayed messages): median {base:.0f} ms")
    for name, values in (("host", host_ms), ("guest", guest_ms)):
        median = statistics.median(values)
        print(
            f"claim -> first remote frame on the {name}'s side: median {median:.0f} ms "
            f"(min {min(values):.0f}, max {max(values):.0f}), {median / base:.1f}x signaling"
        )


if __name__ == "__main__":
    main()
