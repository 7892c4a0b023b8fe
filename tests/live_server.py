"""The real server, started with ``tsunagu run`` in a subprocess as a person
starts it. Used by the browser and CLI tests and by the benchmarks."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    demo_url: str
    data_dir: Path
    process: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text()

    def first_run_password(self) -> str:
        match = re.search(r"password: (\S+)", self.output())
        assert match, "first run printed no password:\n" + self.output()
        return match.group(1)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(
    data_dir: Path, port: int | None = None, *, demo: bool = True, **env: str
) -> LiveServer:
    """``tsunagu run`` as a person starts it, on a free port, until /healthz
    answers: with ``--demo`` as `make run` runs it, or without as in production."""
    port = port or free_port()
    env.setdefault("TSUNAGU_DEMO_PORT", str(free_port()))  # never the shared default
    # Link meetings join at once, as before the waiting room (issue #14),
    # unless a test or benchmark asks for it; its own tests do.
    env.setdefault("TSUNAGU_WAITING_ROOM_LINKS", "no")
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / f"server-{port}.log"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TSUNAGU_")}
    environ.update({"TSUNAGU_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1", **env})
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "run",
                *(["--demo"] if demo else []),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    demo = env["TSUNAGU_DEMO_PORT"]
    server = LiveServer(
        f"http://127.0.0.1:{port}", f"http://127.0.0.1:{demo}", data_dir, process, log
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("server exited:\n" + server.output())
        try:
            if httpx.get(server.url + "/healthz", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError("server did not become healthy:\n" + server.output())
