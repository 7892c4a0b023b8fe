"""Video: how long from the host claiming the number to the first decoded
frame of the other side's camera, on each side, in headless Chromium with
fake cameras (median of 10 meetings); next to the signaling exchange alone
(hello, hello, offer, answer relayed through the server between two
WebSocket clients), measured in the same run against the same server.

With ``--turn`` (issue #14), also through a real coturn on loopback with
relay-only ICE, and how long until both pages say the video cannot connect
when the TURN secret is wrong.

Run: ``.venv/bin/python -m bench.video [--turn]``
"""

from __future__ import annotations

import asyncio
import json
import re
import statistics
import sys
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


def browser_runs(
    server: LiveServer, until: str = "connected", runs: int = RUNS
) -> tuple[list[float], list[float]]:
    """Per side, ms from the claim to the first remote frame, or, with
    ``until="failed"``, to the page saying the video cannot connect."""
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
        for _ in range(runs):
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
            if until == "failed":
                for page, times in ((host, host_ms), (guest, guest_ms)):
                    page.wait_for_selector("#video-stage[data-state=failed]", timeout=30_000)
                    times.append(time.time() * 1000 - claimed_at)
            else:
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


def turn_runs(directory: Path) -> dict[str, tuple[list[float], list[float]]]:
    """Relay-only video through a real coturn, and a wrong TURN secret."""
    from tests.coturn import start_coturn

    coturn = start_coturn(directory / "coturn", "bench-secret")
    results = {}
    try:
        for name, secret, until in (
            ("relay", "bench-secret", "connected"),
            ("wrong secret", "not-the-secret", "failed"),
        ):
            server = start_server(
                Path(tempfile.mkdtemp(prefix="tsunagu-bench-video-turn-")),
                TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000",
                TSUNAGU_TURN_URLS=coturn.url,
                TSUNAGU_TURN_SECRET=secret,
                TSUNAGU_ICE_RELAY_ONLY="true",
            )
            try:
                results[name] = browser_runs(server, until, RUNS if until == "connected" else 5)
            finally:
                server.stop()
    finally:
        coturn.stop()
    return results


def report(name: str, values: list[float], base: float) -> None:
    median = statistics.median(values)
    print(
        f"{name}: median {median:.0f} ms "
        f"(min {min(values):.0f}, max {max(values):.0f}), {median / base:.1f}x signaling"
    )


def main() -> None:
    turn = "--turn" in sys.argv[1:]
    # Every guest here comes from 127.0.0.1: lift the per-address number limit.
    directory = Path(tempfile.mkdtemp(prefix="tsunagu-bench-video-"))
    server = start_server(directory, TSUNAGU_NUMBER_ISSUES_PER_MINUTE="1000")
    try:
        signaling = asyncio.run(signaling_runs(server))
        host_ms, guest_ms = browser_runs(server)
    finally:
        server.stop()
    relayed = turn_runs(directory) if turn else {}
    base = statistics.median(signaling)
    print(f"signaling exchange alone (claim + 4 relayed messages): median {base:.0f} ms")
    for side, values in (("host", host_ms), ("guest", guest_ms)):
        report(f"claim -> first remote frame on the {side}'s side, direct", values, base)
    if relayed:
        for side, values in zip(("host", "guest"), relayed["relay"], strict=True):
            report(f"claim -> first remote frame on the {side}'s side, TURN relay", values, base)
        for side, values in zip(("host", "guest"), relayed["wrong secret"], strict=True):
            report(
                f"claim -> 'cannot connect' on the {side}'s side, wrong TURN secret", values, base
            )


if __name__ == "__main__":
    main()
