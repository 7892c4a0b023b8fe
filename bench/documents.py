"""Document share (issue #15): how fast uploaded PDFs become page images,
and how soon a document uploaded during a meeting can be shown.

Against a real server (``tsunagu run``, SQLite, local blob folder):

- **pages per second** for a 30-page and a 100-page PDF (numbered slides,
  1024 x 768 pictures, tests/document_samples.py): from the upload request
  to the last page stored (``state`` ready; polled every 20 ms), each page
  at both sizes (1600 px JPEG and a 320 px thumbnail);
- **upload to first page shown**: from the upload request of the 30-page
  PDF to page 1's large image fetched by the meeting's guest (the upload
  answers once page 1 is made; the host then opens it in the meeting).

Baselines, in the same run, in this process: PDFium alone opening the
file and rendering its pages at the same scale with nothing encoded or
stored (for the rate), and opening it and rendering page 1 (for the first
page). The ratios say what checking, encoding, storing and HTTP add.

Run: ``.venv/bin/python -m bench.documents``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
import pypdfium2 as pdfium

from bench.numbers import UNLIMITED
from capture.document_pages import LARGE_EDGE
from tests.document_samples import numbered_pdf
from tests.live_server import start_server


def pdfium_alone(path: Path, pages: int) -> float:
    """Open and render ``pages`` pages at the large size: nothing else."""
    started = time.perf_counter()
    document = pdfium.PdfDocument(path)
    for index in range(pages):
        page = document[index]
        width, height = page.get_size()
        page.render(scale=LARGE_EDGE / max(width, height)).to_pil()
        page.close()
    document.close()
    return time.perf_counter() - started


def logged_in(server) -> httpx.Client:
    host = httpx.Client(base_url=server.url, timeout=120)
    host.post("/login", data={"username": "admin", "password": server.first_run_password()})
    page = host.get("/account").text
    host.headers["x-csrf-token"] = page.split('csrf-token" content="', 1)[1].split('"', 1)[0]
    return host


def upload_until_ready(host: httpx.Client, data: bytes, name: str) -> tuple[float, int]:
    started = time.perf_counter()
    answer = host.post("/api/v1/documents", params={"name": name}, content=data)
    assert answer.status_code == 201, answer.text
    document_id = answer.json()["id"]
    while True:
        found = host.get(f"/api/v1/documents/{document_id}").json()
        if found["state"] != "processing":
            break
        time.sleep(0.02)
    assert found["state"] == "ready", found
    return time.perf_counter() - started, document_id


def first_page_shown(host: httpx.Client, server, data: bytes) -> float:
    """Upload in a running meeting, show it, the guest fetches page 1."""
    with httpx.Client(base_url=server.url) as guest:
        issued = guest.post("/api/v1/guest/numbers", json={}).json()
        meeting = host.post("/api/v1/meetings", json={"number": issued["number"]}).json()
        headers = {"authorization": f"Bearer {issued['guest_token']}"}
        started = time.perf_counter()
        answer = host.post("/api/v1/documents", params={"name": "during.pdf"}, content=data)
        document_id = answer.json()["id"]
        shown = host.put(
            f"/api/v1/meetings/{meeting['id']}/document", json={"document_id": document_id}
        )
        assert shown.status_code == 200, shown.text
        image = guest.get(f"/api/v1/guest/documents/{document_id}/pages/1/large", headers=headers)
        elapsed = time.perf_counter() - started
        assert image.status_code == 200, image.text
    return elapsed


def measure(rounds: int) -> dict:
    samples = {pages: numbered_pdf(pages) for pages in (30, 100)}
    result: dict = {"rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="tsunagu-bench-documents-") as folder:
        files = {}
        for pages, data in samples.items():
            files[pages] = Path(folder) / f"{pages}.pdf"
            files[pages].write_bytes(data)
        server = start_server(Path(folder) / "server", demo=False, **UNLIMITED)
        try:
            host = logged_in(server)
            for pages, data in samples.items():
                took = min(upload_until_ready(host, data, f"{pages}.pdf")[0] for _ in range(rounds))
                alone = min(pdfium_alone(files[pages], pages) for _ in range(rounds))
                result[pages] = {
                    "bytes": len(data),
                    "seconds": took,
                    "pages_per_second": pages / took,
                    "baseline_pages_per_second": pages / alone,
                }
            first = min(first_page_shown(host, server, samples[30]) for _ in range(rounds))
            alone = min(pdfium_alone(files[30], 1) for _ in range(rounds))
            result["first"] = {"seconds": first, "baseline": alone}
            host.close()
        finally:
            server.stop()
    return result


def table(result: dict) -> str:
    rows = []
    for pages in (30, 100):
        r = result[pages]
        rows.append(
            (
                f"{pages}-page PDF ({r['bytes'] / 2**20:.1f} MiB) to every page at both sizes",
                f"{r['seconds']:.2f} s = **{r['pages_per_second']:.1f} pages/s**; PDFium alone "
                f"{r['baseline_pages_per_second']:.1f} pages/s; ratio "
                f"**{r['baseline_pages_per_second'] / r['pages_per_second']:.2f}x** "
                "the baseline's time",
            )
        )
    first = result["first"]
    rows.append(
        (
            "Upload (30 pages) to page 1 fetched by the meeting's guest",
            f"{first['seconds'] * 1000:.0f} ms = **{first['seconds'] / first['baseline']:.1f}x** "
            f"the baseline (PDFium opening the file and rendering page 1: "
            f"{first['baseline'] * 1000:.0f} ms)",
        )
    )
    lines = ["| | |", "| --- | --- |", *(f"| {name} | {value} |" for name, value in rows)]
    return f"Best of {result['rounds']} rounds.\n\n" + "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(table(measure(args.rounds)))


if __name__ == "__main__":
    main()
