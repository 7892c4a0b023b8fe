"""Vendored files are exactly what `make vendor` recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "embed" / "vendor"


def test_vendored_files_match_their_recorded_hashes():
    records = [line.split() for line in (VENDOR / "VERSIONS").read_text().splitlines() if line]
    assert records, "embed/vendor/VERSIONS lists nothing"
    for name, version, digest in records:
        data = (VENDOR / f"{name}.js").read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} {version} was changed"
        assert (VENDOR / f"{name}.LICENSE").read_text().strip()


def test_the_rasteriser_is_the_browser_build():
    source = (VENDOR / "modern-screenshot.js").read_text()
    # The UMD build defines a global; an ES module build would need `import`.
    assert "modernScreenshot" in source
    assert "domToBlob" in source
