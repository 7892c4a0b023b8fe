"""Files in a meeting (issue #15): upload throughput and the server's memory.

Against a real server (``tsunagu run``, SQLite, local blob folder) on
loopback, a host sends a ``--mb``-MB file (default 50) of random bytes as
the console does: one upload, then pieces of 4 MB, each at the offset the
server has reached and each kept as a blob of its own, the last one making
the file (the pieces read back in order, hashed, sniffed, stored as one
blob, recorded; the pieces deleted).

- **throughput**: the upload's wall time, as a ratio to the baseline;
- **baseline**, in the same run: a plain ``cp`` of the same file on the
  same disk (the least a copy can cost; it does not fsync, the blob store
  does);
- **server memory**: the server's resident set (the process and its
  children, from /proc, sampled every 10 ms) during the upload, peak minus
  before: it must stay flat (a few MB), not grow with the file, as the
  bytes are streamed a piece at a time and never held whole.

The downloaded file's SHA-256 is checked against the sent one.

Run: ``.venv/bin/python -m bench.files [--mb N]``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.numbers import UNLIMITED
from tests.live_server import start_server

PIECE = 4 * 1024 * 1024


def rss_bytes(pid: int) -> int:
    """Resident memory of ``pid`` and its children."""
    total = 0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        pids.extend(int(child) for child in (task / "children").read_text().split())
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except FileNotFoundError:
            continue
    return total


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.running = True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, rss_bytes(self.pid))
            time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=50)
    size = parser.parse_args().mb * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-files-") as folder:
        source = Path(folder) / "sent.bin"
        with source.open("wb") as handle:
            for _ in range(size // (1024 * 1024)):
                handle.write(os.urandom(1024 * 1024))
        digest = hashlib.sha256(source.read_bytes()).hexdigest()
        os.sync()
        copied = time.perf_counter()
        subprocess.run(["cp", str(source), str(Path(folder) / "copy.bin")], check=True)
        copied = time.perf_counter() - copied
        server = start_server(
            Path(folder) / "server", demo=False, TSUNAGU_FILE_MAX_MB=str(size // 2**20), **UNLIMITED
        )
        try:
            with httpx.Client(base_url=server.url, timeout=120) as host:
                host.post(
                    "/login", data={"username": "admin", "password": server.first_run_password()}
                )
                page = host.get("/account").text
                host.headers["x-csrf-token"] = page.split('csrf-token" content="', 1)[1].split(
                    '"', 1
                )[0]
                with httpx.Client(base_url=server.url) as guest:
                    number = guest.post("/api/v1/guest/numbers", json={}).json()["number"]
                meeting = host.post("/api/v1/meetings", json={"number": number}).json()
                base = f"/api/v1/meetings/{meeting['id']}/files"
                before = rss_bytes(server.process.pid)
                sampler = Sampler(server.process.pid)
                sampler.start()
                took = time.perf_counter()
                upload = host.post(f"{base}/uploads", json={"name": "sent.bin", "size": size})
                assert upload.status_code == 201, upload.text
                upload_id = upload.json()["id"]
                with source.open("rb") as handle:
                    offset = 0
                    while piece := handle.read(PIECE):
                        answer = host.post(
                            f"{base}/uploads/{upload_id}?offset={offset}", content=piece
                        )
                        assert answer.status_code in (200, 201), answer.text
                        offset += len(piece)
                took = time.perf_counter() - took
                sampler.running = False
                sampler.join()
                sent = answer.json()["file"]
                assert sent["sha256"] == digest
                downloaded = hashlib.sha256(host.get(sent["download_url"]).content).hexdigest()
                assert downloaded == digest
        finally:
            server.stop()
    mb = size / 2**20
    print(f"File: {mb:.0f} MB of random bytes, pieces of {PIECE // 2**20} MB")
    print(f"Upload through the server: {took:.2f} s ({mb / took:.0f} MB/s)")
    print(f"Baseline, cp of the same file: {copied:.3f} s ({mb / copied:.0f} MB/s)")
    print(f"Ratio: {took / copied:.1f}x the cp")
    print(
        f"Server RSS: {before / 2**20:.1f} MB before, peak {sampler.peak / 2**20:.1f} MB during: "
        f"+{(sampler.peak - before) / 2**20:.1f} MB"
    )
    print("SHA-256 of the download matches the file sent")


if __name__ == "__main__":
    main()
