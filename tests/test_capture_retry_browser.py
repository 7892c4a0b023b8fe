"""The snippet sends each capture once, whatever happens on the way: a busy
server's Retry-After is waited out and a lost answer is tried again, under
the capture's own idempotency key, so the host gets it exactly once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.test_snippet_browser import connect, site_with_pages, widget

pytestmark = pytest.mark.browser
UPLOADS = re.compile(r".*/api/v1/guest/captures$")
# Milliseconds to wait for what follows a resend: the snippet first waits out
# Retry-After (plus up to a second of jitter), or two seconds after a lost answer.
RESENDING = 20_000


@pytest.fixture(scope="module")
def pages(live_server):
    served = site_with_pages(live_server, "Retry pages", [])
    yield served
    served.stop()


def test_a_busy_server_and_a_lost_answer_still_deliver_the_capture_once(
    new_page, live_server, pages
):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    meeting = re.search(r"/meetings/(\d+)$", host.url)[1]
    keys: list[str] = []
    busy = {"error": {"code": "ingest_busy", "message": "busy"}}
    cors = {
        "access-control-allow-origin": pages.origin,
        "access-control-expose-headers": "retry-after",
    }

    def upload(route) -> None:
        keys.append(route.request.headers.get("idempotency-key", ""))
        if len(keys) == 1:
            # Stored by the server, but the answer never reaches the phone.
            route.fetch()
            route.abort("connectionreset")
        elif len(keys) == 2:
            route.fulfill(status=503, headers={**cors, "retry-after": "2"}, json=busy)
        else:
            route.continue_()

    page.route(UPLOADS, upload)
    guest.send_button().click()

    # The guest is told the server is busy and that it sends again by itself.
    expect(
        widget(page).get_by_text(re.compile(r"サーバーが混み合っています。\d 秒後"))
    ).to_be_visible(timeout=RESENDING)
    expect(widget(page).get_by_text("送信しました")).to_be_visible(timeout=RESENDING)
    expect(host.locator("#capture-title")).to_have_text(page.title())
    assert len(keys) == 3 and len(set(keys)) == 1 and re.fullmatch(r"[0-9a-f]{32}", keys[0])
    listed = host.context.request.get(f"{live_server.url}/api/v1/meetings/{meeting}/captures")
    assert len(listed.json()["captures"]) == 1  # three tries, one capture

    # The next capture is another capture, with a key of its own.
    page.unroute(UPLOADS)
    seen: list[str] = []
    page.route(
        UPLOADS,
        lambda route: seen.append(route.request.headers["idempotency-key"]) or route.continue_(),
    )
    guest.send_button().click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    listed = host.context.request.get(f"{live_server.url}/api/v1/meetings/{meeting}/captures")
    assert len(listed.json()["captures"]) == 2
    assert seen and seen[0] != keys[0]
    assert guest.errors == []


def test_a_server_busy_for_too_long_is_told_and_the_guest_can_send_again(
    new_page, live_server, pages
):
    guest, host = connect(new_page, live_server, pages.url("shop.html"))
    page = guest.page
    tries: list[str] = []
    busy = {"error": {"code": "ingest_busy", "message": "busy"}}
    headers = {
        "access-control-allow-origin": pages.origin,
        "access-control-expose-headers": "retry-after",
        "retry-after": "1",
    }

    def refuse(route) -> None:
        tries.append(route.request.headers.get("idempotency-key", ""))
        route.fulfill(status=503, headers=headers, json=busy)

    page.route(UPLOADS, refuse)
    guest.send_button().click()

    expect(widget(page).get_by_text("サーバーが混み合っていて送れませんでした")).to_be_visible(
        timeout=RESENDING
    )
    assert len(tries) == 4 and len(set(tries)) == 1  # a bounded number of tries
    page.unroute(UPLOADS)
    page.get_by_role("button", name="もう一度送る").click()
    expect(widget(page).get_by_text("送信しました")).to_be_visible()
    expect(host.locator("#capture-title")).to_have_text(page.title())
