"""Driving a server with concurrent clients and summarising latencies; run as
``python -m bench.load``, the office under load: meetings whose guest each
sends a phone screenshot every 2 to 5 s, and 20 guests sending at once,
against SQLite on one instance and PostgreSQL + Redis on two (issue #11).

``.venv/bin/python -m bench.load [--meetings 100] [--hosts 10] [--seconds 180]
[--only sqlite|postgres] [--postgres URL] [--redis URL]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from websockets.asyncio.client import connect

from tests.live_server import LiveServer


@dataclass(frozen=True)
class Result:
    operations: int
    seconds: float
    latencies: list[float]  # sorted, in seconds

    @property
    def per_second(self) -> float:
        return self.operations / self.seconds

    def percentile(self, p: float) -> float:
        """Latency at percentile ``p`` (0-100), in milliseconds."""
        index = min(len(self.latencies) - 1, max(0, round(p / 100 * len(self.latencies)) - 1))
        return self.latencies[index] * 1000


async def run(
    operation: Callable[[int], Awaitable[None]], *, operations: int, concurrency: int
) -> Result:
    """Run ``operation(n)`` ``operations`` times from ``concurrency`` workers."""
    latencies: list[float] = []
    counter = iter(range(operations))

    async def worker() -> None:
        for n in counter:
            started = time.perf_counter()
            await operation(n)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Result(operations, time.perf_counter() - started, sorted(latencies))


# -- the office under load (issue #11) ----------------------------------------
#
# ``python -m bench.load``: meetings whose guest each sends a 1170 x 2532 JPEG
# every 2 to 5 s, and 20 guests sending at once, against SQLite on one
# instance and PostgreSQL + Redis on two. See bench/README.md.

UPLOAD_TIMEOUT = 60.0
# Uploads and live sockets are spread over the instances; a host's meeting
# pages are on the instance the host logged in to, which is not always the
# one its guest sends to, so events cross between instances through Redis.
LOAD_LIMITS = {
    "TSUNAGU_NUMBER_ISSUES_PER_MINUTE": "1000000",
    "TSUNAGU_CLAIM_ATTEMPTS_PER_MINUTE": "1000000",
    "TSUNAGU_CLAIM_ATTEMPTS_PER_ADDRESS": "1000000",
}


def phone_jpeg() -> bytes:
    """A 1170 x 2532 phone screenshot (text rows and a photo) as a JPEG, made
    in a child process: importing the capture benchmark (and through it the
    server) would add some 60 MB to this load generator's measured memory."""
    source = (
        "import io, sys; from bench.capture import screenshot; out = io.BytesIO(); "
        "screenshot().save(out, format='JPEG', quality=90); sys.stdout.buffer.write(out.getvalue())"
    )
    root = Path(__file__).resolve().parents[1]
    return subprocess.run(
        [sys.executable, "-c", source], cwd=root, capture_output=True, check=True
    ).stdout


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (the ingest fork server and workers)."""
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    queue.extend(int(child) for child in children.read().split())
        except OSError:
            continue
    return found


def memory_kib(pid: int) -> tuple[int, int]:
    """Resident and proportional (shared pages divided among their sharers)
    set sizes of one process, in KiB; (0, 0) when it is gone."""
    sizes = {"Rss:": 0, "Pss:": 0}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                name, value, *_ = line.split()
                if name in sizes:
                    sizes[name] = int(value)
    except (OSError, ValueError):
        pass
    return sizes["Rss:"], sizes["Pss:"]


def cpu_seconds(server_pids: list[int]) -> dict[str, float]:
    """CPU time so far of the web processes, of their ingest processes (the
    fork server and its workers, including retired ones it has reaped), and
    of this load generator."""
    tick = os.sysconf("SC_CLK_TCK")

    def of(pid: int, children: bool) -> float:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            return 0.0
        # utime, stime, then (reaped children's) cutime, cstime: fields 14-17.
        times = [int(value) for value in fields[11:15]]
        return sum(times if children else times[:2]) / tick

    web = sum(of(pid, False) for pid in server_pids)
    ingest = sum(of(pid, True) for root in server_pids for pid in process_tree(root) if pid != root)
    own = os.times()
    return {"web": web, "ingest": ingest, "generator": own.user + own.system}


@dataclass
class Memory:
    """Peak memory of the server processes plus this load generator."""

    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    server_rss_mb: float = 0.0  # at the peak, the servers' share
    start_rss_mb: float = 0.0

    def sample(self, server_pids: list[int]) -> None:
        pids = [pid for root in server_pids for pid in process_tree(root)] + [os.getpid()]
        sizes = [memory_kib(pid) for pid in pids]
        rss = sum(r for r, _ in sizes) / 1024
        pss = sum(p for _, p in sizes) / 1024
        if not self.start_rss_mb:
            self.start_rss_mb = rss
        if rss > self.peak_rss_mb:
            self.peak_rss_mb = rss
            self.server_rss_mb = rss - memory_kib(os.getpid())[0] / 1024
        self.peak_pss_mb = max(self.peak_pss_mb, pss)


@dataclass
class Meeting:
    id: int
    guest_token: str
    guest_server: str
    host_cookie: str
    host_server: str


@dataclass
class Tracker:
    """Upload-to-host latency: from starting an upload to the host's live
    socket delivering its ``capture.created``."""

    started: dict[str, float]
    arrived: dict[str, float]
    statuses: dict[str, int]
    waiters: dict[str, asyncio.Event]

    @classmethod
    def new(cls) -> Tracker:
        return cls({}, {}, {}, {})

    def count(self, status: str) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def delivered(self, url: str) -> None:
        if url in self.started and url not in self.arrived:
            self.arrived[url] = time.perf_counter() - self.started[url]
            if url in self.waiters:
                self.waiters[url].set()

    def latencies(self, urls: list[str] | None = None) -> list[float]:
        chosen = (
            self.arrived
            if urls is None
            else {u: self.arrived[u] for u in urls if u in self.arrived}
        )
        return sorted(chosen.values())


async def login(base: str, username: str, password: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=base, timeout=UPLOAD_TIMEOUT)
    response = await client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 303, (response.status_code, response.text[:200])
    page = (await client.get("/account")).text
    client.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]
    return client


async def prepare(
    servers: list[str], admin_password: str, meetings: int, hosts: int
) -> list[Meeting]:
    """``hosts`` host users, each logged in on one instance, and ``meetings``
    meetings shared among them, each with a connected guest."""
    admin = await login(servers[0], "admin", admin_password)
    password = secrets.token_urlsafe(18)
    host_clients = []
    for h in range(hosts):
        created = await admin.post(
            "/api/v1/users", json={"username": f"bench-host-{h}", "password": password}
        )
        assert created.status_code == 201, created.text
        host_clients.append(await login(servers[h % len(servers)], f"bench-host-{h}", password))
    await admin.aclose()
    prepared = []
    async with contextlib.AsyncExitStack() as stack:
        guests = [
            await stack.enter_async_context(httpx.AsyncClient(base_url=s, timeout=30))
            for s in servers
        ]
        for m in range(meetings):
            guest_server = servers[(m // hosts + m) % len(servers)]
            issued = (
                await guests[servers.index(guest_server)].post("/api/v1/guest/numbers")
            ).json()
            host = host_clients[m % hosts]
            started = await host.post("/api/v1/meetings", json={"number": issued["number"]})
            assert started.status_code == 201, started.text
            prepared.append(
                Meeting(
                    started.json()["id"],
                    issued["guest_token"],
                    guest_server,
                    f"tsunagu_session={host.cookies['tsunagu_session']}",
                    str(host.base_url).rstrip("/"),
                )
            )
    for client in host_clients:
        await client.aclose()
    return prepared


async def host_socket(meeting: Meeting, tracker: Tracker, ready: asyncio.Event) -> None:
    """The host's meeting page: its live socket hears the captures."""
    url = meeting.host_server.replace("http", "ws", 1) + f"/api/v1/meetings/{meeting.id}/live"
    async with connect(
        url,
        origin=meeting.host_server,
        additional_headers={"cookie": meeting.host_cookie},
        max_size=2**20,
        ping_interval=None,
    ) as socket:
        ready.set()
        # Pings as the console's live.js does: a socket silent for 90 s is
        # closed by the server.
        pinger = asyncio.create_task(ping_every_15_s(socket))
        try:
            async for message in socket:
                event = json.loads(message)
                if event.get("type") == "capture.created":
                    tracker.delivered(event["payload"]["url"])
        finally:
            pinger.cancel()
        tracker.count("host socket closed")  # by the server: not counted in "errors"


async def ping_every_15_s(socket) -> None:
    while True:
        await asyncio.sleep(15)
        await socket.send('{"type":"ping"}')


async def guest_socket(meeting: Meeting, ready: asyncio.Event) -> None:
    """The guest's live channel (their presence), pinging as the snippet does."""
    url = meeting.guest_server.replace("http", "ws", 1) + "/api/v1/guest/live"
    async with connect(url, origin=meeting.guest_server, ping_interval=None) as socket:
        await socket.send(json.dumps({"type": "hello", "token": meeting.guest_token, "after": 0}))
        ready.set()
        await ping_every_15_s(socket)


async def upload(
    client: httpx.AsyncClient, meeting: Meeting, data: bytes, url: str, tracker: Tracker
) -> None:
    tracker.started[url] = time.perf_counter()
    try:
        response = await client.post(
            f"{meeting.guest_server}/api/v1/guest/captures",
            headers={
                "authorization": f"Bearer {meeting.guest_token}",
                "idempotency-key": secrets.token_hex(16),
            },
            data={"url": url, "title": "bench"},
            files={"image": ("capture.jpg", data, "image/jpeg")},
        )
        if response.status_code == 201:
            tracker.count("201")
        else:
            code = ""
            with contextlib.suppress(ValueError, KeyError, TypeError):
                code = response.json()["error"]["code"]
            tracker.count(f"{response.status_code} {code}".strip())
            tracker.started.pop(url)
    except httpx.HTTPError as error:
        tracker.count(type(error).__name__)
        tracker.started.pop(url)


async def until_delivered(tracker: Tracker, urls: list[str]) -> None:
    """Until each stored upload's event has come, or 30 s (then it counts as lost)."""
    waits = []
    for url in urls:
        if url in tracker.started and url not in tracker.arrived:
            tracker.waiters[url] = asyncio.Event()
            waits.append(tracker.waiters[url].wait())
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.gather(*waits), 30)


def percentile(values: list[float], p: float) -> float:
    """Milliseconds at percentile ``p`` of sorted seconds (nearest rank)."""
    if not values:
        return float("nan")
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))] * 1000


@dataclass
class LoadReport:
    name: str
    baseline_ms: float
    burst: list[float]
    sustained: list[float]
    uploads: int
    statuses: dict[str, int]
    lost: int
    seconds: float
    memory: Memory
    cpu: dict[str, float]  # CPU seconds per capture stored (201), by process group

    def rows(self) -> list[str]:
        errors = {k: v for k, v in self.statuses.items() if k != "201"}
        error_text = ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())) or "0"
        b99, s50, s99 = (
            percentile(self.burst, 99),
            percentile(self.sustained, 50),
            percentile(self.sustained, 99),
        )
        return [
            f"| {self.name} | {self.baseline_ms:.0f} | {percentile(self.burst, 50):.0f} | "
            f"{b99:.0f} ({b99 / self.baseline_ms:.1f}x) | {s50:.0f} | {s99:.0f} "
            f"({s99 / self.baseline_ms:.1f}x) | {len(self.sustained) / self.seconds:.1f} | "
            f"{self.uploads} | {error_text} | {self.lost} | {self.memory.start_rss_mb:.0f} | "
            f"{self.memory.peak_rss_mb:.0f} ({self.memory.server_rss_mb:.0f}) | "
            f"{self.memory.peak_pss_mb:.0f} | "
            + " / ".join(f"{self.cpu[k] * 1000:.0f}" for k in ("web", "ingest", "generator"))
            + " |"
        ]


async def drive(
    name: str, servers: list[LiveServer], meetings: int, hosts: int, seconds: float
) -> LoadReport:
    bases = [s.url for s in servers]
    prepared = await prepare(bases, servers[0].first_run_password(), meetings, hosts)
    data = phone_jpeg()
    tracker = Tracker.new()
    memory = Memory()
    pids = [s.process.pid for s in servers]
    # Idle connections are dropped before uvicorn's 5 s keep-alive ends, or
    # a guest's next upload 2-5 s later can meet a connection just closed.
    limits = httpx.Limits(
        max_connections=meetings + 20, max_keepalive_connections=meetings + 20, keepalive_expiry=2
    )
    async with contextlib.AsyncExitStack() as stack:
        client = await stack.enter_async_context(
            httpx.AsyncClient(timeout=UPLOAD_TIMEOUT, limits=limits)
        )
        background = set()
        readies = []
        for meeting in prepared:
            for socket in (host_socket, guest_socket):
                ready = asyncio.Event()
                args = (meeting, tracker, ready) if socket is host_socket else (meeting, ready)
                background.add(asyncio.create_task(socket(*args)))
                readies.append(ready.wait())
        await asyncio.wait_for(asyncio.gather(*readies), 60)

        async def sample_memory() -> None:
            while True:
                memory.sample(pids)
                await asyncio.sleep(1)

        background.add(asyncio.create_task(sample_memory()))

        # Warm-up, not counted: each guest sends one capture (ten at a time),
        # so every instance has its workers and connections as in steady use.
        for first in range(0, len(prepared), 10):
            batch = prepared[first : first + 10]
            urls = [f"https://shop.example/warm-up/{m.id}" for m in batch]
            await asyncio.gather(
                *(upload(client, m, data, u, tracker) for m, u in zip(batch, urls, strict=True))
            )
            await until_delivered(tracker, urls)

        # Baseline, in this run: one guest alone, one capture after another.
        alone = []
        for n in range(10):
            url = f"https://shop.example/baseline/{n}"
            await upload(client, prepared[0], data, url, tracker)
            await until_delivered(tracker, [url])
            alone.append(url)
        baseline = percentile(tracker.latencies(alone), 50)

        # Burst: 20 guests tap "send" in the same instant, 5 times.
        burst_urls = []
        for round_ in range(5):
            urls = [f"https://shop.example/burst/{round_}/{m.id}" for m in prepared[:20]]
            await asyncio.gather(
                *(
                    upload(client, m, data, u, tracker)
                    for m, u in zip(prepared[:20], urls, strict=True)
                )
            )
            await until_delivered(tracker, urls)
            burst_urls += urls
            await asyncio.sleep(1)

        # Sustained: every guest sends every 2 to 5 s for ``seconds``.
        sustained_urls: list[str] = []
        before = dict(tracker.statuses)
        deadline = time.perf_counter() + seconds

        async def guest(meeting: Meeting) -> None:
            n = 0
            while True:
                await asyncio.sleep(random.uniform(2, 5))
                if time.perf_counter() >= deadline:
                    return
                url = f"https://shop.example/{meeting.id}/{n}"
                n += 1
                sustained_urls.append(url)
                await upload(client, meeting, data, url, tracker)

        started = time.perf_counter()
        cpu_before = cpu_seconds(pids)
        await asyncio.gather(*(guest(m) for m in prepared))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(pids)
        await until_delivered(tracker, sustained_urls)
        memory.sample(pids)
        for task in background:
            task.cancel()
        await asyncio.gather(*background, return_exceptions=True)
    statuses = {k: v - before.get(k, 0) for k, v in tracker.statuses.items()}
    statuses = {k: v for k, v in statuses.items() if v}
    stored = [u for u in sustained_urls if u in tracker.started]
    sustained = tracker.latencies(stored)
    return LoadReport(
        name=name,
        baseline_ms=baseline,
        burst=tracker.latencies(burst_urls),
        sustained=sustained,
        uploads=len(sustained_urls),
        statuses=statuses,
        lost=len(stored) - len(sustained),
        seconds=elapsed,
        memory=memory,
        cpu={k: (cpu_after[k] - cpu_before[k]) / max(1, len(stored)) for k in cpu_after},
    )


@contextlib.contextmanager
def instances(count: int, **env: str) -> Iterator[list[LiveServer]]:
    from tests.live_server import start_server

    started: list[LiveServer] = []
    try:
        for _ in range(count):
            # One after the other: the first does the first run (the admin).
            data_dir = Path(tempfile.mkdtemp(prefix="tsunagu-load-"))
            started.append(start_server(data_dir, **LOAD_LIMITS, **env))
        yield started
    finally:
        for server in started:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=10, help="host users sharing the meetings")
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument(
        "--only", choices=["sqlite", "postgres"], help="one configuration (default: both)"
    )
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/12", help="a Redis database it may empty"
    )
    parser.add_argument(
        "--postgres-workers",
        default="",
        help="TSUNAGU_INGEST_WORKERS for each of the two instances (default: CPUs)",
    )
    args = parser.parse_args()
    reports = []
    if args.only in (None, "sqlite"):
        with instances(1) as servers:
            reports.append(
                asyncio.run(
                    drive("SQLite, 1 instance", servers, args.meetings, args.hosts, args.seconds)
                )
            )
    if args.only in (None, "postgres"):
        from bench.numbers import throwaway_postgres

        asyncio.run(empty_redis(args.redis))
        with (
            throwaway_postgres(args.postgres) as database,
            instances(
                2,
                TSUNAGU_DATABASE_URL=database,
                TSUNAGU_REDIS_URL=args.redis,
                TSUNAGU_SECRET_KEY=secrets.token_hex(32),
                TSUNAGU_INGEST_WORKERS=args.postgres_workers,
            ) as servers,
        ):
            reports.append(
                asyncio.run(
                    drive(
                        "PostgreSQL + Redis, 2 instances"
                        + (
                            f", {args.postgres_workers} worker(s) each"
                            if args.postgres_workers
                            else ""
                        ),
                        servers,
                        args.meetings,
                        args.hosts,
                        args.seconds,
                    )
                )
            )
    print(
        f"\n{args.meetings} meetings ({args.hosts} hosts), each guest sending a 1170 x 2532 JPEG "
        f"every 2-5 s for {args.seconds:.0f} s; burst: 20 guests at once, 5 times; baseline: "
        "one guest alone, 10 captures in a row. Latency: upload start to the host's "
        "capture.created, ms.\n"
    )
    print(
        "| Configuration | baseline p50 | 20 at once p50 | 20 at once p99 | load p50 | load p99 "
        "| captures/s | uploads | errors | lost | MB at start | peak MB RSS (servers) "
        "| peak MB PSS | CPU ms per capture: web / ingest / generator |"
    )
    print("| --- " + "| ---: " * 7 + "| --- " + "| ---: " * 5 + "|")
    for report in reports:
        print("\n".join(report.rows()))


async def empty_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url)
    try:
        await client.flushdb()
    finally:
        await client.aclose()


if __name__ == "__main__":
    main()
