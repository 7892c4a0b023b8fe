"""Recording (issue #14): what a recording costs the server.

The host's browser encodes; the server stores chunks and, at the stop,
remuxes them into one file without decoding a frame. This measures, against
a real server (``tsunagu run``, SQLite, local blob folder):

- **server CPU**: the process CPU time (user + system, the server and its
  children, from /proc) spent while a ``--minutes``-long recording (default
  10) is uploaded in 3-second chunks, as a browser's timeslice sends them,
  and then remuxed; given per recorded hour as a share of one core-hour
  (target: at most 1 %);
- **bytes per recorded minute** of the final file;
- **stop to playable**: from the stop request to the file being ready
  (``recording.ready``; polled every 50 ms).

Baseline, in the same run: the time to copy the same bytes through the blob
store (a ``LocalBlobStore`` in this process: put the joined recording,
read it back), which the remux cannot beat since it reads the chunks and
writes the file once each.

The recording is made with PyAV: VP8 at 640x240, 10 fps, 600 kbit/s, and
Opus, as a live WebM with no duration or cues, as Chromium's MediaRecorder
writes it (tests/recording_media.py).

Run: ``.venv/bin/python -m bench.recording [--minutes N]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import av
import httpx

from bench.numbers import UNLIMITED
from server.storage.blobs import LocalBlobStore, new_key
from tests.live_server import start_server
from tests.recording_media import live_webm

TIMESLICE = 3.0  # seconds of recording a chunk holds, as recording.js asks
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system time of ``pid`` and of its children (waited-for and live)."""
    total = 0.0
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        pids.extend(int(child) for child in children)
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        # utime, stime, cutime, cstime (fields 14-17 of stat; 12-15 after the name)
        total += sum(int(value) for value in fields[11:15]) / TICK
    return total


def blob_copy_seconds(data: bytes, folder: Path) -> float:
    store = LocalBlobStore(folder)
    path = folder / "joined"
    path.write_bytes(data)
    key = new_key("webm")
    started = time.perf_counter()
    with path.open("rb") as handle:
        store.put_file(key, handle)
    copied = store.get(key)
    elapsed = time.perf_counter() - started
    assert copied is not None and len(copied) == len(data)
    return elapsed


def measure(minutes: float) -> dict:
    seconds = minutes * 60
    made = time.perf_counter()
    recording = live_webm(seconds, width=640, height=240, fps=10, bit_rate=600_000)
    made = time.perf_counter() - made
    pieces = max(1, round(seconds / TIMESLICE))
    size = -(-len(recording) // pieces)
    chunks = [recording[start : start + size] for start in range(0, len(recording), size)]
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-recording-") as folder:
        baseline = blob_copy_seconds(recording, Path(folder) / "store")
        server = start_server(Path(folder) / "server", demo=False, **UNLIMITED)
        try:
            with httpx.Client(base_url=server.url, timeout=120) as host:
                host.post(
                    "/login",
                    data={"username": "admin", "password": server.first_run_password()},
                )
                page = host.get("/account").text
                token = page.split('csrf-token" content="', 1)[1].split('"', 1)[0]
                host.headers["x-csrf-token"] = token
                with httpx.Client(base_url=server.url) as guest:
                    number = guest.post("/api/v1/guest/numbers", json={}).json()["number"]
                meeting = host.post("/api/v1/meetings", json={"number": number}).json()
                base = f"/api/v1/meetings/{meeting['id']}/recordings"
                started = host.post(base, json={"mime_type": "video/webm;codecs=vp8,opus"})
                assert started.status_code == 201, started.text
                recording_id = started.json()["id"]
                before = cpu_seconds(server.process.pid)
                upload = time.perf_counter()
                for seq, chunk in enumerate(chunks):
                    stored = host.put(f"{base}/{recording_id}/chunks/{seq}", content=chunk)
                    assert stored.status_code == 201, stored.text
                upload = time.perf_counter() - upload
                uploaded = cpu_seconds(server.process.pid)
                stop = time.perf_counter()
                host.post(f"{base}/{recording_id}/stop")
                while True:
                    found = host.get(base).json()["recordings"][0]
                    if found["state"] in ("ready", "failed"):
                        break
                    time.sleep(0.05)
                playable = time.perf_counter() - stop
                after = cpu_seconds(server.process.pid)
                assert found["state"] == "ready", found
                data = host.get(found["file_url"]).content
        finally:
            server.stop()
        path = Path(folder) / "final.webm"
        path.write_bytes(data)
        with av.open(str(path)) as file:
            duration = file.duration / 1e6
    cpu = after - before
    return {
        "minutes": minutes,
        "chunks": len(chunks),
        "generated": made,
        "recorded_bytes": len(recording),
        "file_bytes": len(data),
        "duration": duration,
        "upload_seconds": upload,
        "upload_cpu": uploaded - before,
        "remux_cpu": after - uploaded,
        "cpu": cpu,
        "cpu_share_per_hour": cpu * (60 / minutes) / 3600,
        "stop_to_playable": playable,
        "baseline": baseline,
    }


def table(result: dict) -> str:
    r = result
    rows = [
        (
            "Recorded",
            f"{r['minutes']:g} min in {r['chunks']} chunks; the file plays {r['duration']:.1f} s",
        ),
        ("Bytes per recorded minute", f"{r['file_bytes'] / r['minutes'] / 2**20:.2f} MiB"),
        ("Server CPU, upload", f"{r['upload_cpu']:.2f} s ({r['upload_seconds']:.1f} s wall)"),
        ("Server CPU, remux", f"{r['remux_cpu']:.2f} s"),
        (
            "Server CPU per recorded hour",
            f"{r['cpu'] * 60 / r['minutes']:.1f} s = **{r['cpu_share_per_hour']:.2%}** "
            "of one core-hour (target ≤ 1 %)",
        ),
        (
            "Stop to playable file",
            f"{r['stop_to_playable']:.2f} s = **{r['stop_to_playable'] / r['baseline']:.1f}x** "
            f"the baseline",
        ),
        ("Baseline: the same bytes through the blob store", f"{r['baseline']:.3f} s"),
    ]
    lines = ["| | |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    print(table(measure(args.minutes)))


if __name__ == "__main__":
    main()
