"""A browser host and a guest that is not a browser (aiortc, through the
same API): video flows both ways, so the signaling does not depend on
Chromium talking to itself."""

from __future__ import annotations

import asyncio
import re
import threading

import httpx
import pytest
from playwright.sync_api import expect

from server.clients.headless_peer import HeadlessPeer
from tests.conftest import console_host, type_number
from tests.test_video_browser import frames

pytestmark = pytest.mark.browser


def test_a_browser_host_and_an_aiortc_guest_see_each_other(new_page, live_server):
    issued = httpx.post(live_server.url + "/api/v1/guest/numbers", json={}).json()
    host = console_host(new_page, live_server)
    type_number(host, issued["number"])
    expect(host).to_have_url(re.compile(r"/meetings/\d+$"))
    result: dict = {}
    host_done = threading.Event()

    def guest() -> None:
        async def main() -> None:
            async with HeadlessPeer(live_server.url, issued["guest_token"]) as peer:
                try:
                    async with asyncio.timeout(20):
                        result["frames"] = await peer.wait_for_frames(10)
                finally:
                    # Stay in the call until the host has counted its frames.
                    await asyncio.to_thread(host_done.wait, 30)

        try:
            asyncio.run(main())
        except Exception as error:  # reported by the assertion below
            result["error"] = repr(error)

    thread = threading.Thread(target=guest)
    thread.start()
    try:
        expect(host.locator("#video-stage")).to_have_attribute(
            "data-state", "connected", timeout=20_000
        )
        seen_by_host = frames(host)
    finally:
        host_done.set()
        thread.join(40)

    assert seen_by_host >= 10  # the aiortc test pattern, decoded by Chromium
    assert result.get("frames", 0) >= 10, result  # the fake camera, decoded by aiortc
