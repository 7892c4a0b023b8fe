"""A real coturn (Debian's ``coturn`` package, installed by ``make test``) on
loopback with ``use-auth-secret``, as production runs it, for the tests of
relay-only video."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tests.live_server import free_port

TURNSERVER = "/usr/bin/turnserver"


@dataclass
class Coturn:
    port: int
    secret: str
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"turn:127.0.0.1:{self.port}?transport=udp"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_coturn(directory: Path, secret: str) -> Coturn:
    """``turnserver`` on 127.0.0.1 (UDP and TCP on one free port), relaying on
    127.0.0.1 to loopback peers, with no TLS, no CLI and its own database,
    until it answers on its TCP port."""
    if not shutil.which(TURNSERVER):
        raise RuntimeError(
            "coturn is not installed: `make test` installs it (apt-get install coturn)"
        )
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = directory / f"turnserver-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                TURNSERVER,
                "-n",  # no configuration file: everything is on this line
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                f"--listening-port={port}",
                "--use-auth-secret",
                f"--static-auth-secret={secret}",
                "--realm=tsunagu.test",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                # Both browsers are on this machine: the relay must reach loopback.
                "--allow-loopback-peers",
                "--fingerprint",
                f"--db={directory / f'turndb-{port}.sqlite'}",
                f"--pidfile={directory / f'turnserver-{port}.pid'}",
                "--log-file=stdout",
                "--simple-log",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = Coturn(port, secret, process, log)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("turnserver exited:\n" + server.output())
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise RuntimeError("turnserver did not start:\n" + server.output())
