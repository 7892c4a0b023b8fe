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

Run: ``.venv/bin/python -m bench.capture``
"""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import re
import statistics
import tempfile
import time
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
    image.save(out, format=fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


def median_ms(work, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def ingest_table() -> list[str]:
    rows = []
    for fmt in ("PNG", "JPEG"):
        data = encoded(screenshot(), fmt)
        decode = median_ms(lambda data=data: Image.open(io.BytesIO(data)).load())
        ingest = median_ms(lambda data=data: process(data))
        size = len(data) // 1024
        rows.append(f"| {fmt} {size} KB | {decode:.0f} | {ingest:.0f} | {ingest / decode:.1f} |")
    return rows


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
                page.add_script_tag(url=server.url + "/embed/vendor/modern-screenshot.js")
                times = page.evaluate(
                    """async () => {
                        const times = [];
                        for (let i = 0; i < 5; i++) {
                            const edge = Math.max(innerWidth, innerHeight);
                            const scale = Math.min(devicePixelRatio, 2048 / edge);
                            const t = performance.now();
                            await modernScreenshot.domToBlob(document.documentElement,
                                {width: innerWidth, height: innerHeight, scale, type: "image/png"});
                            times.push(performance.now() - t);
                        }
                        return times;
                    }"""
                )
                rows.append(f"| `{path}` | {statistics.median(times):.0f} | {max(times):.0f} |")
            browser.close()
    finally:
        server.stop()
    return rows


def main() -> None:
    print("Ingest of a 1170 x 2532 screenshot (median of 7):\n")
    print("| Upload | Pillow decode ms (baseline) | ingest ms | ratio |")
    print("| --- | ---: | ---: | ---: |")
    print("\n".join(ingest_table()))

    for guests, rounds in [(1, 10), (20, 5)]:
        p50, p99, size = asyncio.run(latency(guests, rounds))
        print(
            f"\nUpload to host event, {guests} guest(s) x {rounds} captures of {size} KB PNG "
            f"at once: p50 {p50:.0f} ms, p99 {p99:.0f} ms."
        )

    loader = gzip.compress((ROOT / "embed/snippet.js").read_bytes(), 9)
    raster = gzip.compress((ROOT / "embed/vendor/modern-screenshot.js").read_bytes(), 9)
    print(
        f"\nGzipped: loader {len(loader) / 1024:.1f} KB (budget 8 KB), "
        f"rasteriser {len(raster) / 1024:.1f} KB (loaded on first capture)."
    )

    print("\nIn-browser capture of the demo pages, 390 x 844 at DPR 3 (5 runs):\n")
    print("| Page | median ms | max ms |")
    print("| --- | ---: | ---: |")
    print("\n".join(browser_times()))


if __name__ == "__main__":
    main()
