"""What authentication and page rendering cost per request.

Every API call and console page looks up the caller (an API token or a
login session) in the database before doing anything else. This measures
that overhead against ``/healthz`` (one trivial query) in the same run, plus
the time a login takes (argon2id at the production parameters).

Run: ``.venv/bin/python -m bench.api [--requests N] [--concurrency C]``
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import Result, run
from tests.live_server import start_server


async def measure(
    url: str, path: str, *, requests: int, concurrency: int, headers: dict, cookies: dict
) -> Result:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=url, headers=headers, cookies=cookies, limits=limits
    ) as client:

        async def get(_: int) -> None:
            response = await client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")

        await client.get(path)  # warm up
        return await run(get, operations=requests, concurrency=concurrency)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--logins", type=int, default=15)
    args = parser.parse_args()

    server = start_server(Path(tempfile.mkdtemp(prefix="tsunagu-bench-")))
    try:
        password = server.first_run_password()
        with httpx.Client(base_url=server.url) as browser:
            login_times = []
            for _ in range(args.logins):
                browser.cookies.clear()
                started = time.perf_counter()
                response = browser.post("/login", data={"username": "admin", "password": password})
                login_times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 303, response.text
            page = browser.get("/account").text
            csrf = re.search(r'name="csrf-token" content="(\w+)"', page).group(1)
            token = browser.post(
                "/api/v1/tokens", json={"name": "bench"}, headers={"x-csrf-token": csrf}
            ).json()["token"]
            session = {"tsunagu_session": browser.cookies["tsunagu_session"]}

        cases = [
            ("`GET /healthz` (baseline: one query)", "/healthz", {}, {}),
            ("`GET /api/v1/me`, API token", "/api/v1/me", {"authorization": f"Bearer {token}"}, {}),
            ("`GET /api/v1/me`, session cookie", "/api/v1/me", {}, session),
            ("`GET /` console page, session cookie", "/", {}, session),
        ]
        results = []
        for label, path, headers, cookies in cases:
            figures = asyncio.run(
                measure(
                    server.url,
                    path,
                    requests=args.requests,
                    concurrency=args.concurrency,
                    headers=headers,
                    cookies=cookies,
                )
            )
            results.append((label, figures))
    finally:
        server.stop()

    baseline = results[0][1].per_second
    print(f"{args.requests} requests per case, {args.concurrency} concurrent clients, SQLite.\n")
    print("| Request | req/s | ratio to baseline | p50 ms | p99 ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, result in results:
        print(
            f"| {label} | {result.per_second:.0f} | {result.per_second / baseline:.2f} "
            f"| {result.percentile(50):.1f} | {result.percentile(99):.1f} |"
        )
    print(
        f"\nLogin (argon2id t=3, m=64 MiB), sequential: median "
        f"{statistics.median(login_times):.0f} ms, max {max(login_times):.0f} ms "
        f"over {args.logins} logins."
    )


if __name__ == "__main__":
    main()
