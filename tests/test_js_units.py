"""Unit tests of the browser code, in Chromium with fakes.

The shared modules of ``embed/`` (``api.js``: fetch for JSON, error codes,
Retry-After and the retry policy; ``channel.js``: the reconnecting live
channel), the console's ``live.js`` on top of them, and the guest's widget
through its loader. Each page gets ``tests/units/fakes.js`` before its own
scripts: a WebSocket and a fetch the test drives, and ``Math.random`` at 0,
so every jittered wait is exactly half its nominal length. Time is
Playwright's fake clock: a backoff is checked to the millisecond by moving
the clock, never by waiting. Files are served from the working tree by
Playwright's router at ``http://units.test``; no server runs.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
UNITS = ROOT / "tests" / "units"
ORIGIN = "http://units.test"
SERVED = {
    "/embed/": ROOT / "embed",
    "/static/": ROOT / "server" / "static",
    "/units/": UNITS,
}
# The loader every visitor of an owner's page downloads (embed/README.md).
SNIPPET_BUDGET = 8 * 1024


@pytest.fixture
def unit_page(new_page):
    """Open a page of tests/units/ with the fakes; ``page.requested`` lists the paths fetched."""

    def open_page(name: str):
        page = new_page(locale="en-GB")
        page.requested = []

        def serve(route) -> None:
            path = urlsplit(route.request.url).path
            page.requested.append(path)
            for prefix, folder in SERVED.items():
                file = folder / path.removeprefix(prefix)
                if path.startswith(prefix) and file.is_file():
                    route.fulfill(path=file)
                    return
            route.fulfill(status=404, body="not found")

        page.route(f"{ORIGIN}/**", serve)
        page.add_init_script(path=UNITS / "fakes.js")
        page.goto(f"{ORIGIN}/units/{name}")
        return page

    return open_page


@pytest.fixture
def harness(unit_page):
    """The modules under test, as ``window.units``, with a fake clock."""
    page = unit_page("harness.html")
    page.wait_for_function("() => window.units")
    stop_time(page)
    return page


def stop_time(page) -> None:
    """Fake the page's clock and hold it still: it moves only by ``run_for``."""
    page.clock.install()
    page.clock.pause_at(page.evaluate("Date.now()") + 1000)


def sockets(page) -> list[str]:
    return page.evaluate("fakes.FakeSocket.made.map((socket) => socket.url)")


def on_last_socket(page, script: str):
    """Run ``script`` with ``socket`` as the newest fake socket."""
    return page.evaluate(f"(() => {{ const socket = fakes.FakeSocket.last(); {script} }})()")


def until(page, check: str) -> None:
    page.evaluate(f"fakes.until(() => {check})")


# -- api.js ----------------------------------------------------------------------


def test_a_request_sends_json_with_the_guest_token_and_reads_the_answer(harness):
    result = harness.evaluate(
        """async () => {
            fakes.answers["POST /api/v1/guest/numbers"] = { status: 201, body: { number: "1234" } };
            const answer = await units.api.request("/api/v1/guest/numbers", {
                method: "POST", body: { site_key: "pk_1" }, token: "gt-1",
            });
            return { answer, call: fakes.calls.at(-1) };
        }"""
    )
    assert result["answer"] == {"ok": True, "status": 201, "data": {"number": "1234"}}
    call = result["call"]
    assert call["headers"] == {"content-type": "application/json", "authorization": "Bearer gt-1"}
    assert call["body"] == '{"site_key":"pk_1"}'
    # No cookie ever goes to another origin (the snippet calls the server cross-origin).
    assert call["credentials"] == "same-origin"


def test_a_request_without_a_body_sends_no_content_type(harness):
    call = harness.evaluate(
        """async () => {
            fakes.answers["GET /api/v1/guest/session"] = { status: 200, body: {} };
            await units.api.request("/api/v1/guest/session");
            return fakes.calls.at(-1);
        }"""
    )
    assert call["headers"] == {}
    assert call["body"] is None


def test_an_answer_that_is_not_json_is_a_failure_with_no_data(harness):
    answer = harness.evaluate(
        """async () => {
            const page = "<html>Bad gateway</html>";
            fakes.answers["GET /api/v1/meetings"] = { status: 502, body: page };
            return units.api.request("/api/v1/meetings");
        }"""
    )
    assert answer == {"ok": False, "status": 502, "data": None}


def test_no_answer_rejects_so_the_caller_can_say_the_network_failed(harness):
    failed = harness.evaluate(
        """() => units.api.request("/api/v1/nowhere").then(
            () => "answered",
            (error) => error.name,
        )"""
    )
    assert failed == "TypeError"


def test_the_console_sends_its_csrf_token_with_changes_only(harness):
    calls = harness.evaluate(
        """async () => {
            fakes.answers["POST /api/v1/meetings"] = { status: 201, body: { id: 1 } };
            fakes.answers["GET /api/v1/meetings"] = { status: 200, body: { meetings: [] } };
            await units.live.api("/api/v1/meetings", { method: "POST", body: { number: "1234" } });
            await units.live.api("/api/v1/meetings");
            return fakes.calls.slice(-2);
        }"""
    )
    post, get = calls
    assert post["headers"] == {"content-type": "application/json", "x-csrf-token": "csrf-123"}
    assert "x-csrf-token" not in get["headers"]
    assert post["credentials"] == get["credentials"] == "same-origin"


def test_the_servers_error_code_or_the_http_status(harness):
    codes = harness.evaluate(
        """() => [
            units.api.errorCode(409, { error: { code: "meeting_ended", message: "..." } }),
            units.api.errorCode(502, null),
            units.api.errorCode(500, { detail: "no code" }),
        ]"""
    )
    assert codes == ["meeting_ended", "http_502", "http_500"]


def test_retry_after_in_seconds_or_as_a_date_within_a_minute(harness):
    waits = harness.evaluate(
        """() => {
            const { retryAfter } = units.api;
            const soon = new Date(Date.now() + 5000).toUTCString();
            return {
                seconds: retryAfter("2", 503), date: retryAfter(soon, 429),
                atLeastOne: retryAfter("0", 503), atMostAMinute: retryAfter("600", 429),
                busyWithoutOne: retryAfter("", 503),
                pacedWithoutOne: retryAfter(null, 429) ?? "told",
            };
        }"""
    )
    assert 4 <= waits.pop("date") <= 5
    assert waits == {
        "seconds": 2,
        "atLeastOne": 1,
        "atMostAMinute": 60,
        "busyWithoutOne": 3,
        "pacedWithoutOne": "told",
    }


RETRIES = """async (steps) => {
    const keys = [];
    const waits = [];
    const send = async (key) => {
        keys.push(key);
        const step = steps[keys.length - 1];
        if (step === "stored") return "stored";
        throw Object.assign(new Error(step.code), step);
    };
    const wait = async (seconds, error) => { waits.push([seconds, error.code]); };
    try {
        return { result: await units.api.withRetries(send, { busyTries: 4, wait }), keys, waits };
    } catch (error) {
        return { error: error.code, keys, waits };
    }
}"""
BUSY = {"code": "ingest_busy", "retryAfter": 2}


def test_a_busy_server_is_tried_again_after_its_retry_after_under_one_key(harness):
    outcome = harness.evaluate(RETRIES, [BUSY, "stored"])
    assert outcome["result"] == "stored"
    assert outcome["waits"] == [[2, "ingest_busy"]]
    first, second = outcome["keys"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and second == first


def test_a_server_still_busy_after_four_tries_is_given_up(harness):
    outcome = harness.evaluate(RETRIES, [BUSY] * 10)
    assert outcome["error"] == "ingest_busy"
    assert len(outcome["keys"]) == 4 and len(set(outcome["keys"])) == 1
    assert len(outcome["waits"]) == 3


def test_a_lost_answer_is_tried_once_more_after_two_seconds(harness):
    lost = {"code": "network"}
    assert harness.evaluate(RETRIES, [lost, "stored"])["waits"] == [[2, "network"]]
    twice = harness.evaluate(RETRIES, [lost, lost, "stored"])
    assert twice["error"] == "network" and len(twice["keys"]) == 2


def test_a_refusal_or_a_dead_uplink_is_not_tried_again(harness):
    for step in ({"code": "capture_too_large"}, {"code": "network", "final": True}):
        outcome = harness.evaluate(RETRIES, [step, "stored"])
        assert outcome["error"] == step["code"]
        assert len(outcome["keys"]) == 1 and outcome["waits"] == []


# -- channel.js --------------------------------------------------------------------

CONSOLE_CHANNEL = """(options) => {
    window.seen = [];
    window.states = [];
    window.channel = new units.channel.Channel({
        path: "/api/v1/live",
        onEvent: (event) => seen.push(event.id ?? event.type),
        onState: (state, code) => states.push(code === undefined ? state : `${state} ${code}`),
        isFinal: (code) => code === 4401,
        ...(options.hello ? { hello: () => ({ type: "hello", token: "gt-1" }) } : {}),
    }).start(options.after ?? 0);
}"""


def console_channel(page, **options) -> None:
    page.evaluate(CONSOLE_CHANNEL, options)


def next_socket_after(page, wait_ms: int) -> None:
    """The channel makes its next socket exactly ``wait_ms`` after the last close."""
    count = len(sockets(page))
    page.clock.run_for(wait_ms - 1)
    assert len(sockets(page)) == count, f"reconnected before {wait_ms} ms"
    page.clock.run_for(1)
    assert len(sockets(page)) == count + 1, f"not reconnected after {wait_ms} ms"


def test_the_channel_reconnects_with_doubling_backoff_up_to_15_seconds(harness):
    console_channel(harness)
    # Nominal 0.5, 1, 2, 4, 8, 15, 15 s; with the jitter at its least, half.
    for wait in [250, 500, 1000, 2000, 4000, 7500, 7500]:
        on_last_socket(harness, "socket.open(); socket.drop(1006);")
        next_socket_after(harness, wait)
    assert harness.evaluate("states.slice(0, 2)") == ["open", "reconnecting"]


def test_five_healthy_seconds_start_the_backoff_over(harness):
    console_channel(harness)
    for wait in [250, 500, 1000]:
        on_last_socket(harness, "socket.open(); socket.drop(1006);")
        next_socket_after(harness, wait)
    on_last_socket(harness, "socket.open();")
    harness.clock.run_for(5000)
    on_last_socket(harness, "socket.drop(1006);")
    next_socket_after(harness, 250)


def test_try_again_later_1013_waits_at_least_4_seconds(harness):
    console_channel(harness)
    on_last_socket(harness, "socket.open(); socket.drop(1013);")
    next_socket_after(harness, 2000)


def test_a_reconnect_resumes_after_the_last_event_seen(harness):
    console_channel(harness, after=3)
    on_last_socket(
        harness,
        """socket.open();
        for (const id of [5, 9, 7]) socket.receive({ id, type: "meeting.note" });
        socket.receive({ type: "pong" });
        socket.drop(1006);""",
    )
    next_socket_after(harness, 250)
    assert sockets(harness) == [
        "ws://units.test/api/v1/live?after=3",
        "ws://units.test/api/v1/live?after=9",
    ]
    # Every event reaches the page; a pong is the channel's own business.
    assert harness.evaluate("seen") == [5, 9, 7]


def test_a_guest_channel_says_hello_with_its_cursor_and_keeps_its_token_out_of_the_url(harness):
    console_channel(harness, hello=True, after=12)
    assert sockets(harness) == ["ws://units.test/api/v1/live"]
    sent = on_last_socket(harness, "socket.open(); return socket.sent;")
    assert sent == [{"type": "hello", "token": "gt-1", "after": 12}]


def test_the_channel_pings_every_15_seconds(harness):
    console_channel(harness)
    on_last_socket(harness, "socket.open();")
    harness.clock.run_for(14_999)
    assert on_last_socket(harness, "return socket.sent;") == []
    harness.clock.run_for(1)
    assert on_last_socket(harness, "return socket.sent;") == [{"type": "ping"}]


def test_a_final_close_is_told_and_never_retried(harness):
    console_channel(harness)
    on_last_socket(harness, "socket.open(); socket.drop(4401);")
    harness.clock.run_for(60_000)
    assert len(sockets(harness)) == 1
    assert harness.evaluate("states") == ["open", "closed 4401"]


def test_a_stopped_channel_closes_cleanly_and_stays_closed(harness):
    console_channel(harness)
    on_last_socket(harness, "socket.open();")
    harness.evaluate("channel.stop()")
    harness.clock.run_for(60_000)
    assert len(sockets(harness)) == 1
    assert on_last_socket(harness, "return socket.closedWith;") == 1000
    assert harness.evaluate("channel.send({ type: 'signal' })") is False


# -- the guest's widget, through its loader --------------------------------------

NUMBER = {"guest_token": "gt-1", "number": "4321", "expires_in": 600, "unmask_selectors": []}


def guest_page(unit_page, **answers):
    page = unit_page("site.html")
    expect(page.get_by_role("button", name="Screen support")).to_be_visible()
    page.evaluate("(answers) => Object.assign(fakes.answers, answers)", answers)
    stop_time(page)
    return page


def widget(page):
    return page.locator("[data-tsunagu] .dock")


def connected_guest(unit_page):
    page = guest_page(
        unit_page,
        **{
            "POST /api/v1/guest/numbers": {"status": 201, "body": NUMBER},
            "POST /api/v1/guest/pages": {"status": 201, "body": {}},
            "GET /api/v1/guest/session": {"status": 200, "body": {"status": "connected"}},
        },
    )
    page.get_by_role("button", name="Screen support").click()
    page.get_by_role("button", name="Agree and get a number").click()
    expect(widget(page).get_by_text("4321")).to_be_visible()
    until(page, "fakes.FakeSocket.made.length === 1")
    on_last_socket(page, "socket.open(); socket.receive({ id: 4, type: 'meeting.started' });")
    expect(widget(page).get_by_role("group")).to_contain_text("Connected")
    return page


def test_the_loader_imports_the_widget_and_its_modules_only_on_a_tap(unit_page):
    page = guest_page(unit_page)
    assert [path for path in page.requested if path != "/favicon.ico"] == [
        "/units/site.html",
        "/embed/snippet.js",
    ]
    page.get_by_role("button", name="Screen support").click()
    expect(page.get_by_role("dialog", name="Screen support")).to_be_visible()
    assert {"/embed/widget.js", "/embed/api.js", "/embed/channel.js"} <= set(page.requested)
    assert "/embed/capture.js" not in page.requested


def test_the_loader_stays_within_its_size_budget():
    loader = (ROOT / "embed" / "snippet.js").read_bytes()
    assert len(gzip.compress(loader, 9)) <= SNIPPET_BUDGET


def test_the_widget_reconnects_and_resumes_after_the_last_event(unit_page):
    page = connected_guest(unit_page)
    sent = on_last_socket(page, "return socket.sent;")
    # The hello, then the question whether the memo is shown to the guest.
    assert sent == [{"type": "hello", "token": "gt-1", "after": 0}, {"type": "memo.watch"}]
    on_last_socket(page, "socket.receive({ id: 6, type: 'capture.requested' }); socket.drop(1006);")
    expect(widget(page)).to_contain_text("asks you to send your screen")
    # The guest's timing: 1 s nominal at first (half, with the jitter at its least).
    next_socket_after(page, 500)
    # "Reconnecting" only once a socket has been trying for 1.5 s: a page change
    # or a quick reconnect never shows it.
    page.clock.run_for(1499)
    expect(widget(page).get_by_role("group")).to_contain_text("Connected")
    page.clock.run_for(1)
    expect(widget(page).get_by_role("group")).to_contain_text("Reconnecting")
    sent = on_last_socket(page, "socket.open(); return socket.sent;")
    assert sent == [{"type": "hello", "token": "gt-1", "after": 6}, {"type": "memo.watch"}]
    expect(widget(page).get_by_role("group")).to_contain_text("Connected")


def test_a_refused_token_asks_the_session_before_connecting_again(unit_page):
    page = connected_guest(unit_page)
    on_last_socket(page, "socket.drop(4401);")
    sessions = "fakes.calls.filter((call) => call.path === '/api/v1/guest/session').length"
    page.clock.run_for(499)
    assert page.evaluate(sessions) == 0
    page.clock.run_for(1)
    until(page, "fakes.FakeSocket.made.length === 2")
    assert page.evaluate(sessions) == 1
    call = page.evaluate("fakes.calls.find((call) => call.path === '/api/v1/guest/session')")
    assert call["headers"]["authorization"] == "Bearer gt-1"


def test_a_refused_origin_is_said_and_never_retried(unit_page):
    page = connected_guest(unit_page)
    on_last_socket(page, "socket.drop(4403);")
    expect(widget(page)).to_contain_text("not available on this page")
    page.clock.run_for(120_000)
    assert len(sockets(page)) == 1


def test_the_widget_shows_the_servers_reason_for_no_number(unit_page):
    refusal = {"error": {"code": "number_rate_limited", "message": "Too many numbers from here."}}
    page = guest_page(unit_page, **{"POST /api/v1/guest/numbers": {"status": 429, "body": refusal}})
    page.get_by_role("button", name="Screen support").click()
    page.get_by_role("button", name="Agree and get a number").click()
    expect(widget(page)).to_contain_text("Too many numbers from here.")
    expect(widget(page).get_by_role("button", name="Send again")).to_be_visible()


def test_no_answer_from_an_unregistered_origin_is_explained(unit_page):
    check = {"allowed": False, "message": "http://units.test is not an allowed origin"}
    page = guest_page(
        unit_page,
        **{
            "POST /api/v1/guest/numbers": "network",
            "GET /api/v1/embed/origin": {"status": 200, "body": check},
        },
    )
    page.get_by_role("button", name="Screen support").click()
    page.get_by_role("button", name="Agree and get a number").click()
    expect(widget(page)).to_contain_text("not available on this page")
    origin_check = page.evaluate("fakes.calls.at(-1)")
    assert origin_check["url"] == f"{ORIGIN}/api/v1/embed/origin?site_key=pk_unit"


def test_no_answer_otherwise_is_a_network_failure_to_try_again(unit_page):
    page = guest_page(unit_page, **{"POST /api/v1/guest/numbers": "network"})
    page.get_by_role("button", name="Screen support").click()
    page.get_by_role("button", name="Agree and get a number").click()
    expect(widget(page)).to_contain_text("Could not connect")
    expect(widget(page).get_by_role("button", name="Send again")).to_be_visible()
