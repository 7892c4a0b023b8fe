"""Captures: what ingest costs, how fast a capture reaches the host, how big
the snippet is, and how long the browser takes to rasterise a page.

1. Server ingest (`capture.ingest.process`) of a 1170 x 2532 phone
   screenshot as PNG and as JPEG, as a ratio to plain Pillow decoding of the
   same file, both measured here (median of several runs).
2. Upload-to-host-event latency over loopback: 20 guests, each in their own
   meeting, send captures at once; the time from starting an upload to the
   host's live channel delivering its ``capture.created`` event.
3. The loader and the rasteriser, gzipped.
4. In-browser capture time of the demo shop's pages in headless Chromium at
   390 x 844, device pixel ratio 3 (capped to 2048 px as the snippet does).
5. The pages benchmark (``--pages``): every test page of ``tests/pages/``,
   in each of its scenarios, rasterised by each engine and compared with
   Chromium's own screenshot of the same viewport: SSIM, time, upload size.
   See ``bench/README.md`` (and below, ``ENGINES``) for how to add an engine.

Run: ``.venv/bin/python -m bench.capture`` (everything, several minutes), or
``.venv/bin/python -m bench.capture --pages [--engines a,b] [--only p1,p2]
[--runs 5] [--out DIR]`` for the pages benchmark alone.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import gzip
import hashlib
import io
import json
import re
import statistics
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from PIL import Image, ImageDraw
from websockets.asyncio.client import connect

from capture.ingest import process
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.live_server import start_server

ROOT = Path(__file__).resolve().parents[1]


def screenshot() -> Image.Image:
    image = Image.new("RGB", (1170, 2532), (250, 250, 248))
    draw = ImageDraw.Draw(image)
    for row in range(0, 2532, 90):  # text-like detail, as pages have
        draw.rectangle((60, row + 20, 60 + (row * 7) % 1000, row + 50), fill=(40, 40, 40))
    draw.rectangle((0, 0, 1170, 200), fill=(122, 62, 29))
    # A photo-like region (product pictures): real screenshots do not
    # compress to a few kilobytes.
    image.paste(Image.effect_noise((1170, 900), 60).convert("RGB"), (0, 300))
    return image


def encoded(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **({"quality": 90} if fmt in ("JPEG", "WEBP") else {}))
    return out.getvalue()


def median_ms(work, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def ingest_table(runs: int = 9) -> list[str]:
    """Pillow's decode and ingest of the same file, alternately (so both see
    the same machine load), at a phone's size and at the snippet's 2048 px."""
    phone = screenshot()
    snippet = phone.resize((round(2048 * phone.width / phone.height), 2048))
    rows = []
    for label, picture in (("1170 x 2532", phone), ("946 x 2048", snippet)):
        for fmt in ("PNG", "JPEG", "WEBP"):
            data = encoded(picture, fmt)
            decode, ingest = [], []
            for _ in range(runs):
                decode.append(seconds(lambda data=data: Image.open(io.BytesIO(data)).load()))
                ingest.append(seconds(lambda data=data: process(data)))
            d, i = statistics.median(decode) * 1000, statistics.median(ingest) * 1000
            size = len(data) // 1024
            rows.append(f"| {fmt} {label}, {size} KB | {d:.0f} | {i:.0f} | {i / d:.1f} |")
    return rows


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


async def latency(guests: int = 20, rounds: int = 5) -> tuple[float, float, int]:
    server = start_server(
        Path(tempfile.mkdtemp(prefix="tsunagu-bench-")),
        **{
            "TSUNAGU_NUMBER_ISSUES_PER_MINUTE": "100000",
        },
    )
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as host:
            await host.post(
                "/login", data={"username": "admin", "password": server.first_run_password()}
            )
            page = (await host.get("/account")).text
            host.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]
            tokens = []
            for _ in range(guests):
                issued = (
                    await httpx.AsyncClient(base_url=server.url).post("/api/v1/guest/numbers")
                ).json()
                await host.post("/api/v1/meetings", json={"number": issued["number"]})
                tokens.append(issued["guest_token"])
            data = encoded(screenshot().resize((390 * 2, 844 * 2)), "PNG")
            started: dict[str, float] = {}
            latencies: list[float] = []
            cookie = f"tsunagu_session={host.cookies['tsunagu_session']}"
            ws_url = server.url.replace("http", "ws", 1) + "/api/v1/live"
            async with connect(
                ws_url, origin=server.url, additional_headers={"cookie": cookie}
            ) as live:

                async def listen() -> None:
                    while len(latencies) < guests * rounds:
                        event = json.loads(await live.recv())
                        if event.get("type") == "capture.created":
                            latencies.append(time.perf_counter() - started[event["payload"]["url"]])

                async def guest(n: int, token: str) -> None:
                    async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
                        for r in range(rounds):
                            url = f"https://shop.example/{n}/{r}"
                            started[url] = time.perf_counter()
                            response = await client.post(
                                "/api/v1/guest/captures",
                                headers={"authorization": f"Bearer {token}"},
                                data={"url": url, "title": "bench"},
                                files={"image": ("s.png", data, "image/png")},
                            )
                            response.raise_for_status()

                listener = asyncio.create_task(listen())
                await asyncio.gather(*(guest(n, t) for n, t in enumerate(tokens)))
                await asyncio.wait_for(listener, 60)
        latencies.sort()
        p99 = latencies[max(0, round(0.99 * len(latencies)) - 1)]
        return statistics.median(latencies) * 1000, p99 * 1000, len(data) // 1024
    finally:
        server.stop()


def browser_times() -> list[str]:
    from playwright.sync_api import sync_playwright

    server = start_server(Path(tempfile.mkdtemp(prefix="tsunagu-bench-")))
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(
                viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True
            ).new_page()
            for path in ["/", "/products/tea", "/cart", "/checkout"]:
                page.goto(server.demo_url + path)
                times = page.evaluate(
                    """async (server) => {
                        const { capture } = await import(server + "/embed/capture.js");
                        const times = [];
                        for (let i = 0; i < 5; i++) {
                            const t = performance.now();
                            await capture({ lang: "ja" });
                            times.push(performance.now() - t);
                        }
                        return times;
                    }""",
                    server.url,
                )
                rows.append(f"| `{path}` | {statistics.median(times):.0f} | {max(times):.0f} |")
            browser.close()
    finally:
        server.stop()
    return rows


# -- 5. the pages benchmark ----------------------------------------------------
#
# Each test page (tests/pages/) in each of its scenarios: "top" (as loaded) and
# those its <meta name="bench-scenarios"> declares. For every (page, scenario):
# a reference, Chromium's own screenshot of the viewport (no snippet on the
# page); then for every engine, RUNS captures, each on a fresh load of the page
# (a guest taps once per page; a fresh load also defeats any memoisation in the
# engine), timed in the page with performance.now() from the call to the
# encoded blob. The first run's image is compared with the reference.

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
    "locale": "ja-JP",
}
CAPTURE_TIMEOUT_MS = 60_000
SNAPDOM_VERSION = "3.1.1"
# sha256 of the npm registry's tarball of @zumer/snapdom@3.1.1 (MIT).
SNAPDOM_SHA256 = "e5f7a1d46f9785bae54342f160320998829df6f06a485c1582583015e1796feb"
# Transparent pixels are composited onto black before comparing: the console
# showed them dark (issue #10); an engine must paint the page's background.
TRANSPARENT_AS = (0, 0, 0)
# The snippet's scale: device pixels, the long edge capped at 2048 px.
CAPPED = min(3, 2048 / 844)
CSS_SIZE = (390, 844)


@dataclass
class BenchSetup:
    """What an engine's loader may use."""

    tsunagu_url: str  # the real server: /embed/... is there
    pages_origin: str  # the page server: extra files are under /__bench/
    work: Path  # a temp dir for downloads


@dataclass(frozen=True)
class Engine:
    """One rasteriser: how it is put on the page (not timed) and how it is
    asked for the viewport (timed).

    ``capture`` is the source of a JavaScript async function called in the
    page as ``capture({server})`` (``server``: the Tsunagu server's URL). It
    must rasterise what the guest sees in the viewport and resolve to
    ``{blob}`` (the encoded image that would be uploaded) or ``{dataUrl}``,
    optionally with ``type``, ``width``, ``height``. It is pasted into the
    harness's own function (no eval, so it also runs under the strict CSP).
    """

    load: Callable[[object, BenchSetup], None]  # (playwright Page, setup)
    capture: str


def load_modern_screenshot(page, setup: BenchSetup) -> None:
    # The same vendored library the capture module uses (its ES module build:
    # the UMD build the snippet once loaded with a script tag is gone, and
    # with it the RequireJS failure, which tests/test_snippet_browser.py covers).
    page.evaluate(
        "(url) => import(url).then((module) => { window.modernScreenshot = module; })",
        setup.tsunagu_url + "/embed/vendor/modern-screenshot.mjs",
    )


# Exactly what embed/snippet.js's sendCapture did when issue #10 was filed.
MODERN_SCREENSHOT_DEFAULTS = """async () => {
  const { domToBlob } = window.modernScreenshot;
  const MASK = 'input[type="password"],[autocomplete^="cc-"],[data-tsunagu-mask]';
  const width = innerWidth;
  const height = innerHeight;
  const scale = Math.min(devicePixelRatio || 1, 2048 / Math.max(width, height));
  const options = {
    width,
    height,
    scale,
    type: "image/png",
    filter: (node) => !(node.nodeType === 1 && node.hasAttribute("data-tsunagu")),
    style: { transform: `translate(${-scrollX}px, ${-scrollY}px)` },
    fetch: { placeholderImage: "data:image/gif;base64,R0lGODlhAQABAAAAACw=" },
    onCloneEachNode: (clone) => {
      if (clone.nodeType === 1 && clone.matches(MASK)) {
        if ("value" in clone) clone.value = "";
        clone.setAttribute("value", "");
        clone.textContent = "";
        clone.style.background = "#39424e";
        clone.style.color = "transparent";
      }
    },
  };
  const blob = await domToBlob(document.documentElement, options).catch(() =>
    domToBlob(document.documentElement, { ...options, font: false }),
  );
  return { blob };
}"""


def snapdom_file(work: Path) -> Path:
    """@zumer/snapdom's browser build, fetched with ``npm pack`` and checked."""
    target = work / f"snapdom-{SNAPDOM_VERSION}.js"
    if target.exists():
        return target
    subprocess.run(
        ["npm", "pack", "--silent", f"@zumer/snapdom@{SNAPDOM_VERSION}"],
        cwd=work,
        check=True,
        capture_output=True,
    )
    tarball = work / f"zumer-snapdom-{SNAPDOM_VERSION}.tgz"
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SNAPDOM_SHA256:
        raise RuntimeError(f"{tarball.name}: sha256 {digest}, expected {SNAPDOM_SHA256}")
    with tarfile.open(tarball) as archive:
        member = archive.extractfile("package/dist/snapdom.js")
        assert member is not None
        target.write_bytes(member.read())
    return target


def load_snapdom(page, setup: BenchSetup) -> None:
    # From the page's own origin, so the strict CSP page allows it ('self'),
    # as it allows a rasteriser served by the Tsunagu server it lists.
    page.add_script_tag(url=setup.pages_origin + "/__bench/snapdom.js")


# snapdom's documented viewport capture (clip: "viewport") at the snippet's
# scale (device pixels, long edge capped at 2048), encoded as PNG.
SNAPDOM_DEFAULTS = """async () => {
  const scale = Math.min(devicePixelRatio || 1, 2048 / Math.max(innerWidth, innerHeight));
  const result = await window.snapdom(document.documentElement, {
    clip: "viewport",
    scale: 1,
    dpr: scale,
  });
  const blob = await result.toBlob({ format: "png" });
  return { blob };
}"""


ENGINES: dict[str, Engine] = {
    "modern-screenshot-defaults": Engine(load_modern_screenshot, MODERN_SCREENSHOT_DEFAULTS),
    "snapdom-defaults": Engine(load_snapdom, SNAPDOM_DEFAULTS),
    # The snippet's own capture module (embed/capture.js), with its defaults;
    # importing the module is timed with the capture (a fresh page per run, as
    # on the guest's first tap).
    "tsunagu": Engine(
        load=lambda page, setup: None,
        capture="""async ({ server }) => {
          const { capture } = await import(server + "/embed/capture.js");
          return await capture({ lang: "ja" });
        }""",
    ),
}

# The harness around an engine's capture: time limit, timing, blob -> data URL.
HARNESS = """async ({ server, timeoutMs }) => {
  const capture = %CAPTURE%;
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), timeoutMs);
  });
  const started = performance.now();
  let result;
  try {
    result = await Promise.race([capture({ server }), limit]);
  } catch (error) {
    return { error: String((error && error.message) || error), ms: performance.now() - started };
  } finally {
    clearTimeout(timer);
  }
  const ms = performance.now() - started;
  if (result.timedOut) return { timeout: true, ms };
  let { blob, dataUrl } = result;
  if (!dataUrl) {
    dataUrl = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(blob);
    });
  }
  return { ms, dataUrl, type: result.type || (blob && blob.type) || "" };
}"""


def prepare(page, url: str, ready: str, scenario: dict, exclude: str = "") -> dict:
    """Load a page until it is settled, then put it in the scenario's state.
    Returns the scroll positions reached and, in ``excluded``, the viewport
    boxes (CSS px) of the elements ``exclude`` selects."""
    page.goto(url, wait_until="domcontentloaded")
    # A request that never answers (images.html) holds "load" back for ever.
    with contextlib.suppress(Exception):
        page.wait_for_load_state("load", timeout=5000)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    if ready:
        page.wait_for_function(ready, timeout=15000)
    state = page.evaluate(
        """(s) => {
            if (s.scrollX || s.scrollY) window.scrollTo(s.scrollX || 0, s.scrollY || 0);
            if (s.element) {
                const element = document.querySelector(s.element);
                if (s.scrollLeft) element.scrollLeft = s.scrollLeft;
                if (s.scrollTop) element.scrollTop = s.scrollTop;
            }
            const element = s.element && document.querySelector(s.element);
            return { scrollX, scrollY, scrollLeft: element ? element.scrollLeft : 0,
                     scrollTop: element ? element.scrollTop : 0 };
        }""",
        scenario,
    )
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    page.wait_for_timeout(200)
    state["excluded"] = page.evaluate(
        """(selector) => selector ? [...document.querySelectorAll(selector)].map((element) => {
            const box = element.getBoundingClientRect();
            return [box.left, box.top, box.right, box.bottom];
        }).filter(([l, t, r, b]) => r > 0 && b > 0 && l < innerWidth && t < innerHeight) : []""",
        exclude,
    )
    return state


def clamped(scenario: dict, state: dict) -> str:
    """A note when the page could not be scrolled as far as the scenario asks."""
    notes = []
    for key in ("scrollX", "scrollY", "scrollLeft", "scrollTop"):
        if scenario.get(key) and abs(state[key] - scenario[key]) > 1:
            notes.append(f"{key} {scenario[key]} clamped to {state[key]:.0f}")
    return "; ".join(notes)


def decode_image(data_url: str) -> tuple[bytes, Image.Image]:
    data = base64.b64decode(data_url.split(",", 1)[1])
    image = Image.open(io.BytesIO(data))
    image.load()
    return data, image


def opaque(image: Image.Image, under=TRANSPARENT_AS) -> tuple[Image.Image, float]:
    """The image on ``under``, and the share of pixels that were transparent."""
    rgba = image.convert("RGBA")
    alpha = rgba.getchannel("A")
    transparent = alpha.histogram()[0] / (rgba.width * rgba.height)
    flat = Image.new("RGB", rgba.size, under)
    flat.paste(rgba, mask=alpha)
    return flat, transparent


def blanked(image: Image.Image, boxes: list) -> Image.Image:
    """``image`` with the viewport boxes (CSS px) painted mid-grey."""
    if not boxes:
        return image
    image = image.copy()
    draw = ImageDraw.Draw(image)
    k = image.width / PHONE["viewport"]["width"]
    for left, top, right, bottom in boxes:
        draw.rectangle((left * k, top * k, right * k - 1, bottom * k - 1), fill=(128, 128, 128))
    return image


def ssim(reference: Image.Image, image: Image.Image, boxes: list = ()) -> float:
    """SSIM of greyscale images (Wang et al. 2004: Gaussian window, sigma 1.5),
    the reference scaled to the engine's image size first; ``boxes`` (viewport
    CSS px) are blanked in both."""
    import numpy as np
    from skimage.metrics import structural_similarity

    scaled = reference.convert("RGB").resize(image.size, Image.Resampling.LANCZOS)
    a = np.asarray(blanked(scaled, list(boxes)).convert("L"))
    b = np.asarray(blanked(image.convert("RGB"), list(boxes)).convert("L"))
    return float(
        structural_similarity(
            a, b, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
    )


def ssim_css(reference: Image.Image, image: Image.Image, size: tuple[int, int]) -> float:
    """SSIM with both images at the viewport's CSS size (one pixel per CSS
    pixel), as a host sees a capture fitted into the meeting view: a shift of
    a device pixel (a third of a CSS pixel) weighs what it weighs on screen."""
    import numpy as np
    from skimage.metrics import structural_similarity

    a = np.asarray(reference.convert("L").resize(size, Image.Resampling.BOX))
    b = np.asarray(image.convert("L").resize(size, Image.Resampling.BOX))
    return float(
        structural_similarity(
            a, b, data_range=255, gaussian_weights=True, sigma=1.5, use_sample_covariance=False
        )
    )


def pixel_diff(reference: Image.Image, image: Image.Image) -> float:
    """Share of pixels whose colour is off by more than 32 (of 255) in some channel,
    the reference scaled to the engine's image size first. SSIM under-weights
    large flat areas of the wrong colour (a missing header band); this does not."""
    import numpy as np

    scaled = reference.convert("RGB").resize(image.size, Image.Resampling.LANCZOS)
    a = np.asarray(scaled, dtype=np.int16)
    b = np.asarray(image.convert("RGB"), dtype=np.int16)
    return float((np.abs(a - b).max(axis=2) > 32).mean())


def vertical_shift(reference: Image.Image, image: Image.Image, reach: int = 80) -> int:
    """How many CSS px the engine's content sits lower (+) or higher (-) than the
    reference's, when a uniform shift explains the difference clearly better than
    none (margin collapsing, a scroll offset); else 0. Pixels the engine left
    transparent are not compared."""
    import numpy as np

    size = (PHONE["viewport"]["width"], PHONE["viewport"]["height"])
    rgba = image.convert("RGBA").resize(size, Image.Resampling.BOX)
    a = np.asarray(reference.convert("L").resize(size, Image.Resampling.BOX), dtype=np.float32)
    b = np.asarray(rgba.convert("L"), dtype=np.float32)
    seen = np.asarray(rgba.getchannel("A")) > 0

    def cost(dy: int) -> float:
        if dy >= 0:
            part, mask = np.abs(a[: size[1] - dy] - b[dy:]), seen[dy:]
        else:
            part, mask = np.abs(a[-dy:] - b[: size[1] + dy]), seen[: size[1] + dy]
        return float(part[mask].mean()) if mask.any() else 0.0

    best = min(range(-reach, reach + 1), key=cost)
    return best if best and cost(best) < 0.8 * cost(0) else 0


def side_by_side(reference: Image.Image, image: Image.Image) -> Image.Image:
    scaled = reference.convert("RGB").resize(image.size, Image.Resampling.LANCZOS)
    both = Image.new("RGB", (image.width * 2 + 8, image.height), (255, 0, 255))
    both.paste(scaled, (0, 0))
    both.paste(image, (image.width + 8, 0))
    return both


def measure_pages(engine_names: list[str], only: list[str], runs: int, out: Path):
    """``(results, ceilings)``: ``results[engine][page][scenario]`` = {ssim, diff,
    times, bytes, ...}; ``ceilings[page][scenario]`` = {ssim, diff} of Chromium's
    own screenshot at the capped scale."""
    from playwright.sync_api import sync_playwright

    from tests.page_server import (
        PAGES,
        bench_exclude,
        bench_ready,
        bench_scenarios,
        serve_pages,
    )

    work = Path(tempfile.mkdtemp(prefix="tsunagu-bench-engines-"))
    extra = (
        {"/__bench/snapdom.js": snapdom_file(work)} if "snapdom-defaults" in engine_names else {}
    )
    server = start_server(Path(tempfile.mkdtemp(prefix="tsunagu-bench-")))
    pages = serve_pages(tsunagu_url=server.url, extra_files=extra)
    setup = BenchSetup(server.url, pages.origin, work)
    results: dict[str, dict[str, dict[str, dict]]] = {name: {} for name in engine_names}
    ceilings: dict[str, dict[str, dict]] = {}
    names = [name for name in PAGES if not only or name.removesuffix(".html") in only]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for name in names:
                scenarios = [{"name": "top"}, *bench_scenarios(name)]
                ready = bench_ready(name)
                exclude = bench_exclude(name)
                for scenario in scenarios:
                    folder = out / name.removesuffix(".html") / scenario["name"]
                    folder.mkdir(parents=True, exist_ok=True)
                    context = browser.new_context(**PHONE)
                    page = context.new_page()
                    state = prepare(page, pages.url(name), ready, scenario, exclude)
                    reference = Image.open(io.BytesIO(page.screenshot()))
                    reference.save(folder / "reference.png")
                    context.close()
                    # What a perfect engine would score: Chromium itself at the
                    # snippet's capped scale, against the scaled reference.
                    context = browser.new_context(**{**PHONE, "device_scale_factor": CAPPED})
                    page = context.new_page()
                    prepare(page, pages.url(name), ready, scenario)
                    own = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
                    context.close()
                    ceilings.setdefault(name, {})[scenario["name"]] = {
                        "ssim": ssim(reference, own),
                        "ssim_css": ssim_css(reference, own, CSS_SIZE),
                        "diff": pixel_diff(reference, own),
                    }
                    for engine_name in engine_names:
                        engine = ENGINES[engine_name]
                        row = {"times": [], "note": clamped(scenario, state)}
                        results[engine_name].setdefault(name, {})[scenario["name"]] = row
                        context = browser.new_context(**PHONE)
                        page = context.new_page()
                        for run in range(runs):
                            prepare(page, pages.url(name), ready, scenario)
                            try:
                                engine.load(page, setup)
                                outcome = page.evaluate(
                                    HARNESS.replace("%CAPTURE%", engine.capture),
                                    {"server": server.url, "timeoutMs": CAPTURE_TIMEOUT_MS},
                                )
                            except Exception as error:  # recorded, not fatal
                                outcome = {"error": str(error).splitlines()[0]}
                            if "error" in outcome or outcome.get("timeout"):
                                # Later runs would fail the same way (and a timeout
                                # costs a minute each): the case is recorded as is.
                                row["error"] = outcome.get("error")
                                row["timeout"] = bool(outcome.get("timeout"))
                                break
                            row["times"].append(outcome["ms"])
                            if run == 0:
                                data, image = decode_image(outcome["dataUrl"])
                                suffix = (outcome["type"].split("/")[-1] or "png").split("+")[0]
                                (folder / f"{engine_name}.{suffix}").write_bytes(data)
                                flat, transparent = opaque(image)
                                row.update(
                                    ssim=ssim(reference, flat),
                                    ssim_css=ssim_css(reference, flat, CSS_SIZE),
                                    diff=pixel_diff(reference, flat),
                                    bytes=len(data),
                                    type=outcome["type"],
                                    size=image.size,
                                    transparent=transparent,
                                    # Apart from its transparency (when it has any):
                                    ssim_on_white=ssim(reference, opaque(image, "white")[0])
                                    if transparent
                                    else None,
                                    shift=vertical_shift(reference, image),
                                    # With what no engine can copy blanked in both:
                                    ssim_outside=ssim(reference, flat, state["excluded"])
                                    if state["excluded"]
                                    else None,
                                )
                                side_by_side(reference, flat).save(
                                    folder / f"{engine_name}-vs-reference.png"
                                )
                        context.close()
                        print(f"  {engine_name} {name} {scenario['name']}: {summary_of(row)}")
            browser.close()
    finally:
        pages.stop()
        server.stop()
    (out / "results.json").write_text(
        json.dumps({"engines": results, "ceiling": ceilings}, indent=1, default=list)
    )
    return results, ceilings


def summary_of(row: dict) -> str:
    if row.get("timeout"):
        return "timeout"
    if row.get("error"):
        return "error: " + row["error"][:80]
    return f"SSIM {row['ssim']:.3f}, median {statistics.median(row['times']):.0f} ms"


def cell(row: dict | None, key: str, fmt: str) -> str:
    if row is None:
        return "–"
    if row.get("timeout"):
        return "timeout"
    if row.get("error"):
        return "error"
    return format(row[key], fmt)


def pages_tables(results: dict, ceilings: dict) -> str:
    lines = [
        "\nCeiling: Chromium's own screenshot at the capped scale "
        f"(DPR {CAPPED:.3f}) against the reference, i.e. what a perfect engine scores.\n",
        "| Page | SSIM top | SSIM scrolled | CSS-px SSIM top | CSS-px SSIM scrolled "
        "| diff % top | diff % scrolled |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, by_scenario in ceilings.items():
        top, scrolled = by_scenario["top"], by_scenario.get("scrolled")
        lines.append(
            f"| `{name.removesuffix('.html')}` | {top['ssim']:.3f} | "
            f"{cell(scrolled, 'ssim', '.3f')} | {top['ssim_css']:.3f} | "
            f"{cell(scrolled, 'ssim_css', '.3f')} | {top['diff']:.1%} | "
            f"{cell(scrolled, 'diff', '.1%')} |"
        )
    for engine_name, by_page in results.items():
        lines += [
            f"\n### `{engine_name}`\n",
            "| Page | SSIM top | SSIM scrolled | CSS-px SSIM top | CSS-px SSIM scrolled "
            "| diff % top | diff % scrolled | median ms | max ms | upload KB | notes |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        ]
        medians: list[tuple[float, str]] = []
        ssims: list[tuple[float, str]] = []
        failures = []
        for name, scenarios in by_page.items():
            top, scrolled = scenarios["top"], scenarios.get("scrolled")
            for key, row in scenarios.items():
                if "ssim" in row:
                    ssims.append((row["ssim"], f"{name.removesuffix('.html')} {key}"))
            times = [t for row in scenarios.values() for t in row["times"]]
            if top["times"]:
                medians.append((statistics.median(top["times"]), name.removesuffix(".html")))
            notes = []
            for key, row in scenarios.items():
                if row.get("timeout"):
                    notes.append(f"{key}: timeout ({CAPTURE_TIMEOUT_MS // 1000} s)")
                    failures.append(f"{name.removesuffix('.html')} {key}")
                elif row.get("error"):
                    notes.append(f"{key}: {row['error'][:90]}")
                    failures.append(f"{name.removesuffix('.html')} {key}")
                elif row.get("transparent", 0) > 0.01:
                    notes.append(
                        f"{key}: {row['transparent']:.0%} transparent "
                        f"(SSIM {row['ssim_on_white']:.3f} on white)"
                    )
                if row.get("shift"):
                    notes.append(
                        f"{key}: content {abs(row['shift'])} px "
                        + ("lower" if row["shift"] > 0 else "higher")
                    )
                if row.get("ssim_outside") is not None:
                    notes.append(
                        f"{key}: SSIM {row['ssim_outside']:.3f} with bench-exclude blanked"
                    )
                if row.get("note"):
                    notes.append(f"{key}: {row['note']}")
            timing = (
                f"{statistics.median(top['times']):.0f} | {max(times):.0f} | "
                f"{top['bytes'] / 1024:.0f}"
                if top["times"]
                else "– | – | –"
            )
            lines.append(
                f"| `{name.removesuffix('.html')}` | {cell(top, 'ssim', '.3f')} | "
                f"{cell(scrolled, 'ssim', '.3f')} | {cell(top, 'ssim_css', '.3f')} | "
                f"{cell(scrolled, 'ssim_css', '.3f')} | {cell(top, 'diff', '.1%')} | "
                f"{cell(scrolled, 'diff', '.1%')} | {timing} | "
                + "; ".join(notes).replace("|", "/")
                + " |"
            )
        if medians:
            slowest = max(medians)
            worst = min(ssims) if ssims else (float("nan"), "–")
            below = sum(1 for value, _ in ssims if value < 0.95)
            lines.append(
                f"\nSummary: median of the pages' median times "
                f"{statistics.median(m for m, _ in medians):.0f} ms; slowest `{slowest[1]}` "
                f"{slowest[0]:.0f} ms; lowest SSIM {worst[0]:.3f} (`{worst[1]}`); "
                f"{below} of {len(ssims)} captures below 0.95; "
                f"failed (timeout or error): {', '.join(failures) or 'none'}."
            )
    return "\n".join(lines)


def engine_sizes(work_names: list[str]) -> str:
    raster = gzip.compress((ROOT / "embed/vendor/modern-screenshot.mjs").read_bytes(), 9)
    ours = gzip.compress((ROOT / "embed/capture.js").read_bytes(), 9)
    parts = [
        f"modern-screenshot {len(raster) / 1024:.1f} KB"
        f" (+ embed/capture.js {len(ours) / 1024:.1f} KB)"
    ]
    if "snapdom-defaults" in work_names:
        snap = snapdom_file(Path(tempfile.mkdtemp(prefix="tsunagu-bench-engines-")))
        parts.append(
            f"snapdom {SNAPDOM_VERSION} {len(gzip.compress(snap.read_bytes(), 9)) / 1024:.1f} KB"
        )
    return "Rasterisers gzipped: " + ", ".join(parts) + "."


def pages_benchmark(engine_names: list[str], only: list[str], runs: int, out: Path) -> None:
    unknown = [name for name in engine_names if name not in ENGINES]
    if unknown:
        raise SystemExit(f"unknown engine(s) {unknown}; known: {', '.join(ENGINES)}")
    out.mkdir(parents=True, exist_ok=True)
    print(
        f"\nTest pages, 390 x 844 at DPR 3, each engine's capture against Chromium's "
        f"screenshot (SSIM, greyscale); time: median and max of {runs} captures, each on a "
        f"fresh load; images in {out}\n"
    )
    results, ceilings = measure_pages(engine_names, only, runs, out)
    print(pages_tables(results, ceilings))
    print("\n" + engine_sizes(engine_names))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.capture", description=__doc__)
    parser.add_argument("--pages", action="store_true", help="only the pages benchmark")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated")
    parser.add_argument("--only", default="", help="page names without .html, comma-separated")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="where images go (a temp dir)")
    args = parser.parse_args()
    engine_names = [name for name in args.engines.split(",") if name]
    only = [name.removesuffix(".html") for name in args.only.split(",") if name]
    out = args.out or Path(tempfile.mkdtemp(prefix="tsunagu-bench-pages-"))
    if not args.pages:
        other_parts()
    pages_benchmark(engine_names, only, args.runs, out)


def other_parts() -> None:
    print("Ingest of a screenshot against Pillow's decode of the same file (median of 9):\n")
    print("| Upload | Pillow decode ms (baseline) | ingest ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print("\n".join(ingest_table()))

    for guests, rounds in [(1, 10), (20, 5)]:
        p50, p99, size = asyncio.run(latency(guests, rounds))
        print(
            f"\nUpload to host event, {guests} guest(s) x {rounds} captures of {size} KB PNG "
            f"at once: p50 {p50:.0f} ms, p99 {p99:.0f} ms."
        )

    size = {
        name: len(gzip.compress((ROOT / "embed" / name).read_bytes(), 9)) / 1024
        for name in ["snippet.js", "widget.js", "capture.js", "vendor/modern-screenshot.mjs"]
    }
    print(
        f"\nGzipped: loader snippet.js {size['snippet.js']:.1f} KB (budget 8 KB, every visitor); "
        f"widget.js {size['widget.js']:.1f} KB (on the first tap); capture.js "
        f"{size['capture.js']:.1f} KB + modern-screenshot.mjs "
        f"{size['vendor/modern-screenshot.mjs']:.1f} KB (on the first capture)."
    )

    print("\nIn-browser capture (embed/capture.js) of the demo pages, 390 x 844 at DPR 3:\n")
    print("| Page | median ms | max ms |")
    print("| --- | ---: | ---: |")
    print("\n".join(browser_times()))


if __name__ == "__main__":
    main()
