"""The live view (issue #16): what it costs the guest's phone and how late the
host sees a change.

A phone guest (headless Chromium, 390 x 844, DPR 3, mobile with touch, CPU
throttled 4x with CDP ``Emulation.setCPUThrottlingRate``) opens test pages of
``tests/pages/`` (served as a registered site with the snippet tag, as
``tests/test_snippet_browser.site_with_pages`` does), is connected to a host's
meeting, and the host is the real console room at 1280 x 800 showing the live
view on its stage. One guest tab goes through every page twice:

1. **Without live view** (the baseline, the snippet connected and not
   sharing): one capture as the snippet uploads it (``Tsunagu.send()``; the
   upload's request body is the bytes baseline), then an idle window and a
   scrolling window: guest main-thread time (CDP ``Performance.getMetrics``
   ``TaskDuration`` delta over the ``Timestamp`` delta).
2. The host asks for the live view through the API, the guest taps 共有する.
3. **With live view**, the same pages with the same windows and the same
   scrolling (the recorder starts again at once on each page of the site):
   main-thread time, and the bytes of the ``view.frame`` messages the guest's
   socket sends (Playwright's ``framesent``), per minute; the same windows
   again with the guest's "reduce motion" setting, which stops the sharing
   indicator's pulse (the recorder alone). Then, traced (CDP
   tracing, ``devtools.timeline``): a ``view.want`` (a full snapshot), a
   shorter scroll, and ``--ticks`` text changes of an element the guest's page
   script appends, 200-300 ms apart, each stamped with ``Date.now()``.

Per-batch cost: the recorder's main-thread time per ``view.frame``, from the
trace: the durations of the guest renderer's ``FunctionCall`` events whose
function is in ``embed/vendor/rrweb-record.mjs`` or ``embed/live_view.js``
(rrweb's MutationObserver callback and listeners, where it serialises; our
flush timer, which stringifies and sends), outermost only; a batch is every
such call since the previous one that sent on the socket (a
``WebSocketSend`` inside it) up to and including that one. The full snapshot
is timed apart: the ``FunctionCall`` (the socket's message handler) that sent
the trace's largest message.

Latency, on the host's page: a MutationObserver on the replayed document
(rrweb's frame inside ``iframe.live-outer``) notes when each tick's text
arrives there, against the tick's stamp (same machine, same clock); a second
meeting socket of the host's page notes when the ``view.frame`` holding it
arrives, and sends ``view.ping`` every 500 ms: the ping/pong round trip
through the same server and the same guest socket is the baseline.

Run: ``.venv/bin/python -m bench.live_view [--pages a,b] [--seconds S] [--ticks N]
[--traces DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import re
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from bench.numbers import UNLIMITED
from tests.conftest import CHROMIUM, CHROMIUM_ARGS, console_host, type_number
from tests.live_server import start_server
from tests.test_snippet_browser import PHONE, UNMASKED_BY_SITE, Guest, site_with_pages

# Pages a live mirror is for: whole pages of real sites. Left out: privacy.html
# (every kind of secret field, a test case), login.html (register.html's
# template, one screen), the single-screen rasteriser cases (backgrounds*,
# default-white, margins), iframe/canvas/media (what the host sees as
# placeholders, nothing to record), requirejs/csp/spa/cookie/svg/wide-table
# (loading and rendering cases; pass them with --pages).
PAGES = [
    "landing.html",
    "dashboard.html",
    "app-shell.html",
    "shop.html",
    "images.html",
    "fixed.html",
    "fonts.html",
    "shadow.html",
    "placeholders.html",
    "register.html",
]
THROTTLE = 4
RECORDER = ("/embed/vendor/rrweb-record.mjs", "/embed/live_view.js")
SCROLL_STEP = 600  # CSS px a gesture
SCROLL_SPEED = 1200  # px/s, a brisk flick's pace, steady

HOST_PROBE = """([meeting, guest]) => {
  // What the host sees: when each tick's text is in the replayed document,
  // when the frame holding it reached a meeting socket of this page, and the
  // ping/pong round trips on that socket.
  const bench = (window.__bench = { replay: {}, socket: {}, rtts: [], pings: new Set() });
  const seen = (text, into) => {
    for (const match of text.matchAll(/bench-tick (\\d+) (\\d+)/g)) {
      const n = Number(match[1]);
      if (n >= 0 && !(n in into)) into[n] = Date.now() - Number(match[2]);
    }
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) seen(record.target.textContent || "", bench.replay);
  });
  let observed = null;
  setInterval(() => {
    const outer = document.querySelector("#live-main iframe.live-outer");
    const doc = outer?.contentDocument?.querySelector("iframe")?.contentDocument;
    if (doc && doc !== observed) {
      observed = doc;
      observer.disconnect();
      observer.observe(doc, { subtree: true, childList: true, characterData: true });
    }
  }, 20);
  const url = location.origin.replace(/^http/, "ws")
    + `/api/v1/meetings/${meeting}/live?after=4611686018427387904`; // no old events
  const socket = (bench.ws = new WebSocket(url));
  socket.addEventListener("message", ({ data }) => {
    if (data.includes("bench-tick")) seen(data, bench.socket);
    if (!data.includes('"view.pong"')) return;
    const message = JSON.parse(data);
    if (message.type === "view.pong" && bench.pings.delete(message.t)) {
      bench.rtts.push(performance.now() - message.t);
    }
  });
  bench.ping = (on) => {
    clearInterval(bench.pinger);
    if (!on) return;
    bench.pinger = setInterval(() => {
      // performance.now(), as the console's own pings: it hears our pongs too.
      const t = performance.now();
      bench.pings.add(t);
      socket.send(JSON.stringify({ type: "view.ping", guest_id: guest, t }));
    }, 500);
  };
  bench.want = () => socket.send(JSON.stringify({ type: "view.want", guest_id: guest }));
  return new Promise((resolve) => socket.addEventListener("open", resolve, { once: true }));
}"""

TICKS = """(count) => {
  // Text changes at known times, 200-300 ms apart, stamped with Date.now().
  const p = document.createElement("p");
  p.id = "bench-tick";
  p.textContent = "bench-tick -1 0";
  document.body.append(p);
  window.__ticked = 0;
  const tick = () => {
    p.textContent = `bench-tick ${window.__ticked} ${Date.now()}`;
    if (++window.__ticked < count) setTimeout(tick, 200 + Math.random() * 100);
  };
  setTimeout(tick, 250);
}"""

API = """async ([method, path, body]) => {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const response = await fetch(path, {
    method,
    headers: { "content-type": "application/json", "x-csrf-token": csrf },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: await response.json() };
}"""

SCROLL_RANGE = """() => {
  const app = document.querySelector("#app");
  const box = app && app.scrollHeight > app.clientHeight + 50 ? app : document.scrollingElement;
  return box.scrollHeight - box.clientHeight;
}"""


@dataclass
class PageResult:
    name: str
    capture_bytes: int = 0
    scroll_range: int = 0
    busy: dict = field(default_factory=dict)  # (mode, window) -> main-thread share
    bytes_per_min: dict = field(default_factory=dict)  # window -> bytes a minute
    frames: dict = field(default_factory=dict)  # window -> view.frame messages
    batches: list[tuple[float, float]] = field(default_factory=list)  # (wall, CPU) ms
    snapshot_ms: float = math.nan
    snapshot_cpu: float = math.nan
    snapshot_bytes: int = 0
    replay: list[float] = field(default_factory=list)  # ms, mutation -> replayed document
    socket: list[float] = field(default_factory=list)  # ms, mutation -> host's socket
    rtts: list[float] = field(default_factory=list)
    lost: int = 0


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile ``p`` of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


class Bench:
    def __init__(self, browser, server, pages, seconds: float, ticks: int) -> None:
        self.browser, self.server, self.pages = browser, server, pages
        self.seconds, self.ticks = seconds, ticks
        self.sent: list[str] = []  # every text frame the guest's sockets sent
        self.page = self.new_page(**PHONE)
        self.guest = Guest(self.page, server)
        self.page.on("websocket", self.watch)
        self.cdp = self.page.context.new_cdp_session(self.page)
        self.reloads = 0
        self.keep: Path | None = None  # where to keep the traces

    def watch(self, socket) -> None:
        socket.on("framesent", lambda text: self.sent.append(text))

    def new_page(self, **options):
        options.setdefault("locale", "ja-JP")
        return self.browser.new_context(**options).new_page()

    # -- the guest -------------------------------------------------------------

    def throttle(self, rate: float) -> None:
        self.cdp.send("Emulation.setCPUThrottlingRate", {"rate": rate})

    def metrics(self) -> tuple[float, float]:
        values = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        return values["Timestamp"], values["TaskDuration"]

    def frames_since(self, start: int) -> list[str]:
        return [text for text in self.sent[start:] if text.startswith('{"type":"view.frame"')]

    def open(self, name: str) -> None:
        self.throttle(1)
        # images.html has an image that never answers: no "load" to wait for.
        self.page.goto(self.pages.url(name), wait_until="domcontentloaded")
        self.guest.bar().get_by_text(re.compile("接続中|画面を共有中")).first.wait_for()
        self.cdp.send("Performance.enable")

    def scroll(self, seconds: float, scroll_range: int) -> None:
        """Wheel gestures up and down the page (touch gestures do not scroll
        headless Chromium) for ``seconds``: the same each time for a page."""
        position, down = 0, True
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            step = min(SCROLL_STEP, scroll_range - position) if down else min(SCROLL_STEP, position)
            if step <= 0:
                if scroll_range <= 0:
                    self.page.wait_for_timeout(200)  # a page that does not scroll
                    continue
                down = not down
                continue
            self.cdp.send(
                "Input.synthesizeScrollGesture",
                {
                    "x": 195,
                    "y": 420,
                    "yDistance": -step if down else step,
                    "speed": SCROLL_SPEED,
                    "gestureSourceType": "mouse",
                },
            )
            position += step if down else -step

    def window(self, result: PageResult, mode: str, kind: str) -> None:
        """An idle or scrolling window: main-thread share, and bytes sent."""
        start = len(self.sent)
        stamp0, busy0 = self.metrics()
        if kind == "idle":
            self.page.wait_for_timeout(self.seconds * 1000)
        else:
            self.scroll(self.seconds, result.scroll_range)
        stamp1, busy1 = self.metrics()
        result.busy[mode, kind] = (busy1 - busy0) / (stamp1 - stamp0)
        if mode == "live":
            frames = self.frames_since(start)
            result.frames[kind] = len(frames)
            sent = sum(len(text.encode()) for text in frames)
            result.bytes_per_min[kind] = sent / (stamp1 - stamp0) * 60

    def capture_size(self) -> int:
        """One capture as the snippet uploads it: the multipart body's bytes
        (Playwright does not see an XHR's FormData body, so the page's XHR
        serialises it once more, as the browser does, to count it)."""
        return self.page.evaluate(
            """async () => {
              const send = XMLHttpRequest.prototype.send;
              let size = null;
              XMLHttpRequest.prototype.send = function (body) {
                if (body instanceof FormData) size = new Response(body).arrayBuffer();
                return send.call(this, body);
              };
              try {
                await Tsunagu.send();
              } finally {
                XMLHttpRequest.prototype.send = send;
              }
              return (await size).byteLength;
            }"""
        )

    def without(self, name: str) -> PageResult:
        result = PageResult(name)
        self.open(name)
        result.scroll_range = self.page.evaluate(SCROLL_RANGE)
        result.capture_bytes = self.capture_size()
        self.page.evaluate("scrollTo(0, 0); document.querySelector('#app')?.scrollTo(0, 0)")
        self.throttle(THROTTLE)
        self.page.wait_for_timeout(1000)
        self.window(result, "off", "idle")
        self.window(result, "off", "scroll")
        return result

    # -- the host ----------------------------------------------------------------

    def connect(self, first: str) -> None:
        self.page.goto(self.pages.url(first))
        number = self.guest.number()
        self.host = console_host(self.new_page, self.server)
        type_number(self.host, number)
        self.host.wait_for_url(re.compile(r"/meetings/\d+$"))
        self.guest.bar().get_by_text("接続中").wait_for()
        self.meeting = int(self.host.url.rsplit("/", 1)[1])
        answer = self.host.evaluate(API, ["GET", f"/api/v1/meetings/{self.meeting}/guests", None])
        self.guest_id = answer["body"]["guests"][0]["id"]

    def share(self) -> None:
        """The host asks (API), the guest taps 共有する; the stage replays."""
        answer = self.host.evaluate(
            API, ["POST", f"/api/v1/meetings/{self.meeting}/live-view", {"guest_id": self.guest_id}]
        )
        assert answer["status"] == 200, answer
        agree = self.page.get_by_role("button", name="共有する", exact=True)
        try:
            agree.wait_for(timeout=8000)
        except PlaywrightTimeout:
            # The prompt did not show (seen on a loaded machine: a note of the
            # widget was drawn instead); the question is still asked, and a
            # fresh page load shows it.
            self.reloads += 1
            self.page.reload()
            agree.wait_for()
        agree.click()
        self.guest.bar().get_by_text("画面を共有中").wait_for()
        self.host.locator("#live-main[data-replay='ready']").wait_for()
        self.host.evaluate(HOST_PROBE, [self.meeting, self.guest_id])

    def replayed(self, title: str) -> None:
        """Wait until the host's replay shows the page titled ``title``."""
        self.host.wait_for_function(
            """(title) => {
              const outer = document.querySelector("#live-main iframe.live-outer");
              const doc = outer?.contentDocument?.querySelector("iframe")?.contentDocument;
              return doc?.title === title && doc.body?.childElementCount > 0;
            }""",
            arg=title,
            polling=100,
        )

    def with_live_view(self, result: PageResult) -> None:
        start = len(self.sent)
        self.open(result.name)
        # The recorder starts again on this page: its full snapshot first.
        while not any('"type":2,' in text for text in self.frames_since(start)):
            self.page.wait_for_timeout(100)
        self.replayed(self.page.title())
        self.throttle(THROTTLE)
        self.page.wait_for_timeout(1000)
        self.window(result, "live", "idle")
        self.window(result, "live", "scroll")
        # The same idle with the indicator's pulse off (the guest's "reduce
        # motion" setting, which the snippet honours): the recorder alone.
        self.page.emulate_media(reduced_motion="reduce")
        self.page.wait_for_timeout(300)
        self.window(result, "still", "idle")
        self.window(result, "still", "scroll")
        self.page.emulate_media(reduced_motion="no-preference")
        self.traced(result)

    def traced(self, result: PageResult) -> None:
        self.page.evaluate("scrollTo(0, 0); document.querySelector('#app')?.scrollTo(0, 0)")
        self.host.evaluate(
            "() => { const b = window.__bench; b.replay = {}; b.socket = {}; b.rtts = []; }"
        )
        self.browser.start_tracing(page=self.page, categories=["devtools.timeline"])
        try:
            self.host.evaluate("window.__bench.want()")
            self.page.wait_for_timeout(1000)
            self.scroll(min(3, self.seconds), result.scroll_range)
            self.host.evaluate("window.__bench.ping(true)")
            self.page.evaluate(TICKS, self.ticks)
            self.page.wait_for_function(
                "(n) => window.__ticked >= n", arg=self.ticks, polling=500, timeout=120_000
            )
            self.page.wait_for_timeout(1000)  # the last batch goes
        finally:
            raw = self.browser.stop_tracing()
        if self.keep:
            self.keep.mkdir(parents=True, exist_ok=True)
            (self.keep / f"{result.name}.json").write_bytes(raw)
        trace = json.loads(raw)
        with contextlib.suppress(PlaywrightTimeout):  # a tick never replayed counts as lost
            self.host.wait_for_function(
                "(n) => Object.keys(window.__bench.replay).length >= n",
                arg=self.ticks,
                polling=100,
                timeout=5000,
            )
        probe = self.host.evaluate(
            "() => { const b = window.__bench; b.ping(false); "
            "return { replay: b.replay, socket: b.socket, rtts: b.rtts }; }"
        )
        result.replay = list(probe["replay"].values())
        result.socket = list(probe["socket"].values())
        result.rtts = probe["rtts"]
        result.lost = self.ticks - len(result.replay)
        result.batches, snapshot = recorder_costs(trace)
        result.snapshot_ms, result.snapshot_cpu, result.snapshot_bytes = snapshot


def recorder_costs(trace) -> tuple[list[tuple[float, float]], tuple[float, float, int]]:
    """Per-batch recorder time, (wall ms, thread CPU ms), and the full
    snapshot's (wall ms, thread CPU ms, bytes), from a trace of the guest."""
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    calls = [e for e in events if e.get("name") == "FunctionCall" and e.get("ph") == "X"]
    ours = [e for e in calls if e["args"]["data"].get("url", "").endswith(RECORDER)]
    if not ours:
        return [], (math.nan, math.nan, 0)
    pid, thread = ours[0]["pid"], ours[0]["tid"]
    sends = sorted(
        (e["ts"], e["args"]["data"].get("dataLength", 0))
        for e in events
        if e.get("name") == "WebSocketSend" and e["pid"] == pid
    )
    calls = sorted(
        (e for e in calls if e["pid"] == pid and e["tid"] == thread), key=lambda e: e["ts"]
    )

    def sent_in(call) -> bool:
        return any(call["ts"] <= ts <= call["ts"] + call.get("dur", 0) for ts, _ in sends)

    batches, wall, cpu, end = [], 0.0, 0.0, -1
    for call in calls:
        if call["ts"] < end:
            continue  # inside a call already counted
        end = call["ts"] + call.get("dur", 0)
        if not call["args"]["data"].get("url", "").endswith(RECORDER):
            continue
        wall += call.get("dur", 0) / 1000
        cpu += call.get("tdur", 0) / 1000
        if sent_in(call):
            batches.append((wall, cpu))
            wall, cpu = 0.0, 0.0
    # The full snapshot answers the host's view.want: the largest message sent
    # from outside the recorder's own calls (the socket's message handler).
    snapshot = (math.nan, math.nan, 0)
    outside = [
        (ts, size)
        for ts, size in sends
        if not any(
            c["ts"] <= ts <= c["ts"] + c.get("dur", 0)
            and c["args"]["data"].get("url", "").endswith(RECORDER)
            for c in calls
        )
    ]
    if outside:
        at, size = max(outside, key=lambda s: s[1])
        around = [c for c in calls if c["ts"] <= at <= c["ts"] + c.get("dur", 0)]
        if around:
            outermost = min(around, key=lambda c: c["ts"])
            snapshot = (outermost.get("dur", 0) / 1000, outermost.get("tdur", 0) / 1000, size)
    return batches, snapshot


def fmt(value: float, digits: int = 1) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else f"{value:.{digits}f}"
    )


def report(results: list[PageResult], bench: Bench, seconds_run: float) -> None:
    print(
        f"Guest: headless Chromium {bench.browser.version}, 390x844 DPR 3, CPU throttled "
        f"{THROTTLE}x; windows of {bench.seconds:g} s; {bench.ticks} ticks a page; "
        f"whole run {seconds_run:.0f} s; prompt reloads: {bench.reloads}\n"
    )
    print("### Bytes on the guest's socket (`view.frame`), per minute\n")
    print(
        "| Page | one capture KB (baseline) | full snapshot KB | idle KB/min | "
        "scrolling KB/min | scrolling: captures a minute | frames idle / scrolling |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in results:
        scroll = r.bytes_per_min.get("scroll", 0)
        print(
            f"| {r.name}{'' if r.scroll_range > 0 else ' (does not scroll)'} | "
            f"{r.capture_bytes / 1024:.0f} | {r.snapshot_bytes / 1024:.0f} | "
            f"{r.bytes_per_min.get('idle', 0) / 1024:.1f} | {scroll / 1024:.1f} | "
            f"{scroll / r.capture_bytes:.2f} | {r.frames.get('idle', 0)} / "
            f"{r.frames.get('scroll', 0)} |"
        )
    print("\n### Guest main thread (share of wall time), and the recorder per batch\n")
    print(
        "| Page | idle without | idle with | idle with, no pulse | scrolling without | "
        "scrolling with | scrolling with, no pulse | ratio, no pulse | batches | batch p50 ms | "
        "batch p95 ms | batch max ms | full snapshot ms |"
    )
    print("| --- |" + " ---: |" * 12)
    every = []

    def share(r: PageResult, key: tuple[str, str]) -> str:
        return f"{r.busy.get(key, math.nan) * 100:.1f} %"

    for r in results:
        every += r.batches
        wall = [b[0] for b in r.batches]
        off, on = r.busy.get(("off", "scroll"), math.nan), r.busy.get(("still", "scroll"), math.nan)
        print(
            f"| {r.name} | {share(r, ('off', 'idle'))} | {share(r, ('live', 'idle'))} | "
            f"{share(r, ('still', 'idle'))} | {share(r, ('off', 'scroll'))} | "
            f"{share(r, ('live', 'scroll'))} | {share(r, ('still', 'scroll'))} | "
            f"{fmt(on / off if off else math.nan, 2)} | "
            f"{len(wall)} | {fmt(pct(wall, 50))} | {fmt(pct(wall, 95))} | "
            f"{fmt(max(wall) if wall else math.nan)} | {fmt(r.snapshot_ms, 0)} |"
        )
    wall = [b[0] for b in every]
    print(
        f"| all pages | | | | | | | | {len(wall)} | {fmt(pct(wall, 50))} | "
        f"{fmt(pct(wall, 95))} | {fmt(max(wall) if wall else math.nan)} | |"
    )
    replay = [x for r in results for x in r.replay]
    socket = [x for r in results for x in r.socket]
    rtts = [x for r in results for x in r.rtts]
    base = pct(rtts, 50)
    lost = sum(r.lost for r in results)
    print(
        f"\n### Host: guest mutation to replay ({len(replay)} ticks arrived, {lost} not "
        f"seen in the replay; {len(rtts)} pings)\n"
    )
    print("| Measure | n | p50 ms | p99 ms | max ms | ratio to ping (p50) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for label, values in [
        ("`view.ping` -> `view.pong` round trip via the guest (baseline)", rtts),
        ("Mutation -> its `view.frame` on a host socket", socket),
        ("Mutation -> the replayed document (MutationObserver)", replay),
    ]:
        print(
            f"| {label} | {len(values)} | {fmt(pct(values, 50))} | {fmt(pct(values, 99))} | "
            f"{fmt(max(values) if values else math.nan)} | {fmt(pct(values, 50) / base, 1)} |"
        )
    print(
        "\nMedian per page of mutation -> replay p50: "
        + ", ".join(
            f"{r.name} {fmt(statistics.median(r.replay) if r.replay else math.nan, 0)}"
            for r in results
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", default=",".join(PAGES), help="test pages, comma-separated")
    parser.add_argument("--seconds", type=float, default=3.0, help="each idle/scrolling window")
    parser.add_argument("--ticks", type=int, default=20, help="text changes a page (latency)")
    parser.add_argument("--traces", type=Path, help="keep the guest's traces here (Perfetto)")
    args = parser.parse_args()
    names = [name if name.endswith(".html") else f"{name}.html" for name in args.pages.split(",")]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), demo=False, **UNLIMITED)
        pages = site_with_pages(server, "Live view bench", [UNMASKED_BY_SITE])
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                bench = Bench(browser, server, pages, args.seconds, args.ticks)
                bench.keep = args.traces
                bench.connect(names[0])
                results = [bench.without(name) for name in names]
                bench.open(names[0])
                bench.share()
                for result in results:
                    bench.with_live_view(result)
                assert bench.guest.errors == [], bench.guest.errors
                report(results, bench, time.monotonic() - started)
                browser.close()
        finally:
            pages.stop()
            server.stop()


if __name__ == "__main__":
    main()
