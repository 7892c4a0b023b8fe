"""The HTTP servers we could run on, with the limits issue #11 asks for:
throughput of a trivial GET, and what happens to slowloris clients.

Compared, each serving the same one-route Starlette app in one process:
uvicorn with httptools as shipped (no header limit or read timeout);
uvicorn with ``server.transport``'s protocol (what ``tsunagu run`` uses);
Hypercorn (h11, ``h11_max_incomplete_size``, ``read_timeout``); Granian
(Rust, ``--http1-header-read-timeout``). Hypercorn and Granian are not
project dependencies: install them into a scratch folder and point
``--extra-path`` at it (``pip install --target /tmp/servers hypercorn granian``).

Run: ``.venv/bin/python -m bench.transport --extra-path /tmp/servers``
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from tests.live_server import free_port

HEADER_TIMEOUT = 5


async def hello(request):
    return PlainTextResponse("ok")


app = Starlette(routes=[Route("/", hello)])

UVICORN = """
import uvicorn
from bench.transport import app
from server.web import transport
guarded = {guarded}
protocol = transport.GuardedHttpToolsProtocol
protocol.header_timeout = {timeout}
uvicorn.run(app, port={port}, log_level="warning", http=protocol if guarded else "httptools")
"""


def command(server: str, port: int) -> list[str]:
    python = sys.executable
    if server.startswith("uvicorn"):
        code = UVICORN.format(guarded=server == "uvicorn+guard", timeout=HEADER_TIMEOUT, port=port)
        return [python, "-c", code]
    if server == "hypercorn":
        return [
            python, "-m", "hypercorn", "bench.transport:app", "--bind", f"127.0.0.1:{port}",
            "--read-timeout", str(HEADER_TIMEOUT), "--log-level", "warning",
        ]  # fmt: skip
    return [
        python, "-m", "granian", "--interface", "asgi", "--host", "127.0.0.1",
        "--port", str(port), "--workers", "1", "--log-level", "warning",
        "--http1-header-read-timeout", str(HEADER_TIMEOUT * 1000), "bench.transport:app",
    ]  # fmt: skip


async def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("server did not start")


async def throughput(port: int, seconds: float, connections: int) -> float:
    """Requests per second of GET / over kept-alive connections."""
    done = 0
    stop = time.monotonic() + seconds
    request = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"

    async def client() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < stop:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(client() for _ in range(connections)))
    return done / seconds


async def slowloris(port: int, clients: int, after: float) -> int:
    """Open ``clients`` connections sending one header byte every 2 s;
    how many are still open ``after`` seconds later."""
    open_now = 0

    async def client() -> None:
        nonlocal open_now
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\n")
        open_now += 1
        try:
            while True:
                writer.write(b"X")
                await writer.drain()
                try:
                    if not await asyncio.wait_for(reader.read(1024), 2):
                        break
                except TimeoutError:
                    continue
                break  # any answer (408, 400) ends it
        except OSError:
            pass
        open_now -= 1
        writer.close()

    tasks = [asyncio.create_task(client()) for _ in range(clients)]
    await asyncio.sleep(after)
    still = open_now
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return still


async def huge_header(port: int, size: int) -> str:
    """What a ``size``-byte header gets: the status line, or how it ended."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(b"GET / HTTP/1.1\r\nHost: bench\r\nX-Big: ")
        chunk = b"a" * 65536
        for _ in range(size // len(chunk)):
            writer.write(chunk)
            await writer.drain()
        writer.write(b"\r\n\r\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), 30)
        outcome = line.decode().strip() or "closed"
    except (OSError, TimeoutError) as exc:
        outcome = f"closed ({type(exc).__name__})"
    writer.close()
    return f"{outcome} after {time.monotonic() - started:.1f} s"


async def measure(server: str, args: argparse.Namespace) -> list[str]:
    port = free_port()
    path = os.pathsep.join(filter(None, [os.getcwd(), args.extra_path]))
    process = await asyncio.create_subprocess_exec(
        *command(server, port), env={**os.environ, "PYTHONPATH": path}
    )
    try:
        await wait_until_up(port)
        await throughput(port, 1, args.connections)  # warm-up
        rps = await throughput(port, args.seconds, args.connections)
        loris = await slowloris(port, args.slowloris, HEADER_TIMEOUT * 3)
        big = await huge_header(port, 64 * 1024 * 1024)
    finally:
        process.terminate()
        await process.wait()
    return [server, f"{rps:.0f}", f"{loris} of {args.slowloris}", big]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extra-path", default="", help="where hypercorn and granian are")
    parser.add_argument("--servers", default="uvicorn,uvicorn+guard,hypercorn,granian")
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--slowloris", type=int, default=120)
    args = parser.parse_args()
    print(
        f"| server | GET / per s ({args.connections} connections) | slowloris clients open "
        f"after {HEADER_TIMEOUT * 3} s (header timeout {HEADER_TIMEOUT} s) | 64 MB header |"
    )
    print("| --- | --- | --- | --- |")
    for server in args.servers.split(","):
        print("| " + " | ".join(await measure(server, args)) + " |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
