"""Connection numbers under load: issue + claim pairs against a real server.

Each pair is what one phone meeting starts with: a guest's
``POST /api/v1/guest/numbers`` followed by the host's
``POST /api/v1/meetings`` with that number (allocation by compare-and-set,
the claim, the meeting, its first event). Measured beside ``GET /healthz``
(one ``SELECT 1``), the trivial JSON endpoint, in the same run.

Run: ``.venv/bin/python -m bench.numbers [--pairs N] [--concurrency C]
[--postgres postgresql://postgres@127.0.0.1:5432/postgres]``. With
``--postgres`` a throwaway database is created on that server and dropped
afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx

from bench.load import Result, run
from tests.live_server import LiveServer, start_server

# The limits guard against guessing by people; here one "host" claims 50 at once.
UNLIMITED = {
    "TSUNAGU_NUMBER_ISSUES_PER_MINUTE": "1000000",
    "TSUNAGU_CLAIM_ATTEMPTS_PER_MINUTE": "1000000",
    "TSUNAGU_CLAIM_ATTEMPTS_PER_ADDRESS": "1000000",
}


@contextlib.contextmanager
def throwaway_postgres(server_url: str) -> Iterator[str]:
    name = f"tsunagu_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        connection = await asyncpg.connect(server_url)
        try:
            await connection.execute(sql)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def measure(server: LiveServer, pairs: int, concurrency: int) -> tuple[Result, Result]:
    # Expire idle connections before uvicorn does (5 s), or a reused one can
    # be closed under a request.
    limits = httpx.Limits(max_connections=concurrency * 2, keepalive_expiry=2)
    timeout = httpx.Timeout(60)
    async with (
        httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as host,
        httpx.AsyncClient(base_url=server.url, limits=limits, timeout=timeout) as guests,
    ):
        await host.post(
            "/login", data={"username": "admin", "password": server.first_run_password()}
        )
        page = (await host.get("/account")).text
        host.headers["x-csrf-token"] = re.search(r'csrf-token" content="(\w+)"', page)[1]

        async def pair(_: int) -> None:
            issued = await guests.post("/api/v1/guest/numbers", json={})
            issued.raise_for_status()
            claimed = await host.post("/api/v1/meetings", json={"number": issued.json()["number"]})
            claimed.raise_for_status()

        async def trivial(_: int) -> None:
            (await guests.get("/healthz")).raise_for_status()

        await run(trivial, operations=concurrency, concurrency=concurrency)  # warm up
        baseline = await run(trivial, operations=pairs * 2, concurrency=concurrency)
        numbers = await run(pair, operations=pairs, concurrency=concurrency)
    return baseline, numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--postgres", help="a PostgreSQL server URL to create a database on")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        env = dict(UNLIMITED)
        backend = "SQLite"
        if args.postgres:
            env["TSUNAGU_DATABASE_URL"] = stack.enter_context(throwaway_postgres(args.postgres))
            backend = "PostgreSQL"
        server = start_server(Path(tempfile.mkdtemp(prefix="tsunagu-bench-")), **env)
        stack.callback(server.stop)
        baseline, numbers = asyncio.run(measure(server, args.pairs, args.concurrency))

    print(f"{backend}, {args.concurrency} concurrent clients, {args.pairs} pairs.\n")
    print("| Operation | per second | ratio to baseline | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, result in [
        ("`GET /healthz` (baseline: trivial JSON)", baseline),
        ("issue + claim pair (2 requests)", numbers),
    ]:
        print(
            f"| {label} | {result.per_second:.0f} | {result.per_second / baseline.per_second:.2f} "
            f"| {result.percentile(50):.1f} | {result.percentile(99):.1f} |"
        )


if __name__ == "__main__":
    main()
