"""The shared memo under load: keystroke-to-other-side latency.

``--meetings`` meetings (default 50) type at once against a real server
(``tsunagu run``, SQLite, one instance): in each, the host's console socket
(``/api/v1/meetings/{id}/live``) and the guest's socket (``/api/v1/guest/live``)
both sync the memo and type ``--rate`` keystrokes a second (default 5, a
brisk typist) for ``--seconds`` seconds. Each keystroke is a real Yjs update
made by pycrdt, as the browser's Yjs makes them; each side applies what it
hears, so its next keystrokes build on the other's. Measured: the time from
sending a keystroke's update to its arrival on the other side's socket (the
server applies it to its document and relays it).

Baseline, in the same run on the same sockets: a ping/pong round trip
(``{"type": "ping"}`` -> ``{"type": "pong"}``), which is also two trips
over loopback through the server, sent by each side once a second while
the typing goes on.

At the end both sides of every meeting must hold the same text, and the
stored ``MeetingMemo.text`` (read from the database after the server has
stopped) must be that text: nothing lost.

Run: ``.venv/bin/python -m bench.memo [--meetings N] [--rate K] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import random
import re
import sqlite3
import string
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from pycrdt import Doc, Text
from websockets.asyncio.client import ClientConnection, connect

from bench.load import percentile
from bench.numbers import UNLIMITED
from tests.live_server import LiveServer, start_server

SENT_AT: dict[str, float] = {}
# Set once the typing is over and every keystroke has arrived.
QUIET = asyncio.Event()
TYPING_DONE = False


@dataclass
class Side:
    """One socket of a meeting: its replica of the memo and what it measured."""

    socket: ClientConnection
    doc: Doc = field(default_factory=Doc)
    latencies: list[float] = field(default_factory=list)
    pings: list[float] = field(default_factory=list)
    ping_sent: float = 0.0
    synced: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def text(self) -> Text:
        return self.doc.get("memo", type=Text)

    def keystroke(self, char: str) -> str:
        before = self.doc.get_state()
        # pycrdt counts positions in UTF-8 bytes; ASCII here, so characters.
        self.text.insert(len(str(self.text)), char)
        return base64.b64encode(self.doc.get_update(before)).decode()

    async def send(self, message: dict) -> None:
        await self.socket.send(json.dumps(message))

    async def listen(self) -> None:
        async for raw in self.socket:
            message = json.loads(raw)
            kind = message.get("type")
            now = time.perf_counter()
            if kind == "memo.update":
                sent = SENT_AT.pop(message["update"], None)
                if sent is not None:
                    self.latencies.append(now - sent)
                if TYPING_DONE and not SENT_AT:
                    QUIET.set()
                self.doc.apply_update(base64.b64decode(message["update"]))
            elif kind == "pong" and self.ping_sent:
                self.pings.append(now - self.ping_sent)
                self.ping_sent = 0.0
            elif kind == "memo.state":
                self.doc.apply_update(base64.b64decode(message["update"]))
                self.synced.set()
            elif kind == "memo.refused":
                raise RuntimeError(f"refused: {message}")


async def open_meeting(server: LiveServer, host: httpx.AsyncClient) -> tuple[Side, Side]:
    async with httpx.AsyncClient(base_url=server.url) as guest_http:
        issued = (await guest_http.post("/api/v1/guest/numbers", json={})).json()
    meeting = (await host.post("/api/v1/meetings", json={"number": issued["number"]})).json()
    ws = server.url.replace("http", "ws", 1)
    cookie = f"tsunagu_session={host.cookies['tsunagu_session']}"
    console = await connect(
        f"{ws}/api/v1/meetings/{meeting['id']}/live?after={2**62}",
        origin=server.url,
        additional_headers={"cookie": cookie},
    )
    guest = await connect(f"{ws}/api/v1/guest/live")
    await guest.send(json.dumps({"type": "hello", "token": issued["guest_token"], "after": 2**62}))
    return Side(console), Side(guest)


async def type_for(side: Side, rate: float, seconds: float, alphabet: str) -> int:
    """Type ``rate`` keystrokes a second for ``seconds``; ping once a second."""
    typed = 0
    started = time.perf_counter()
    next_ping = started + random.random()
    await asyncio.sleep(random.random() / rate)  # the sides do not type in step
    while (now := time.perf_counter()) - started < seconds:
        update = side.keystroke(random.choice(alphabet))
        SENT_AT[update] = time.perf_counter()
        await side.send({"type": "memo.update", "update": update})
        typed += 1
        if now >= next_ping and not side.ping_sent:
            side.ping_sent = time.perf_counter()
            await side.send({"type": "ping"})
            next_ping = now + 1
        await asyncio.sleep(1 / rate)
    return typed


async def measure(server: LiveServer, meetings: int, rate: float, seconds: float) -> dict:
    limits = httpx.Limits(max_connections=20, keepalive_expiry=2)
    async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as host:
        await host.post(
            "/login", data={"username": "admin", "password": server.first_run_password()}
        )
        page = (await host.get("/account")).text
        host.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]
        pairs = [await open_meeting(server, host) for _ in range(meetings)]
    sides = [side for pair in pairs for side in pair]
    listeners = [asyncio.create_task(side.listen()) for side in sides]
    for side in sides:
        await side.send({"type": "memo.sync", "sv": ""})
    await asyncio.gather(*(side.synced.wait() for side in sides))

    typed = await asyncio.gather(
        *(
            type_for(side, rate, seconds, string.ascii_lowercase if i % 2 else string.digits)
            for i, side in enumerate(sides)
        )
    )
    # Quiet: every keystroke has arrived on the other side (or 30 s passed).
    global TYPING_DONE
    TYPING_DONE = True
    if not SENT_AT:
        QUIET.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(QUIET.wait(), 30)
    converged = all(str(a.text) == str(b.text) for a, b in pairs)
    texts = [str(a.text) for a, _ in pairs]
    for side in sides:
        await side.socket.close()
    for listener in listeners:
        listener.cancel()
    await asyncio.gather(*listeners, return_exceptions=True)
    return {
        "latencies": sorted(x for side in sides for x in side.latencies),
        "pings": sorted(x for side in sides for x in side.pings),
        "typed": sum(typed),
        "converged": converged,
        "texts": texts,
        "lost": SENT_AT.copy(),
    }


def stored_texts(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "tsunagu.db") as db:
        return [row[0] for row in db.execute("SELECT text FROM meeting_memos ORDER BY meeting_id")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--meetings", type=int, default=50)
    parser.add_argument("--rate", type=float, default=5.0, help="keystrokes a second per side")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        server = start_server(data_dir, demo=False, **UNLIMITED)
        try:
            result = asyncio.run(measure(server, args.meetings, args.rate, args.seconds))
        finally:
            server.stop()
        stored = stored_texts(data_dir)
    latencies, pings = result["latencies"], result["pings"]
    base = percentile(pings, 50)
    print(
        f"{args.meetings} meetings, 2 sockets each, {args.rate:g} keystrokes/s per side for "
        f"{args.seconds:g} s: {result['typed']} keystrokes, {len(latencies)} arrived; "
        f"converged: {result['converged']}; stored text = typed text in every meeting: "
        f"{stored == result['texts']}; never arrived: {len(result['lost'])}\n"
    )
    print("| Measure | p50 ms | p99 ms | max ms | ratio to ping (p50) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| Ping/pong round trip, same sockets (baseline) | {base:.1f} | "
        f"{percentile(pings, 99):.1f} | {pings[-1] * 1000:.1f} | 1.0 |"
    )
    print(
        f"| Keystroke -> other side | {percentile(latencies, 50):.1f} | "
        f"{percentile(latencies, 99):.1f} | {latencies[-1] * 1000:.1f} | "
        f"{percentile(latencies, 50) / base:.1f} |"
    )


if __name__ == "__main__":
    main()
