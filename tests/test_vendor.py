"""Vendored files are exactly what `make vendor` recorded."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "embed" / "vendor"
# What only the tests use (never served): the accessibility checker.
TEST_VENDOR = ROOT / "tests" / "vendor"


@pytest.mark.parametrize("folder", [VENDOR, TEST_VENDOR], ids=["embed", "tests"])
def test_vendored_files_match_their_recorded_hashes(folder: Path):
    records = [line.split() for line in (folder / "VERSIONS").read_text().splitlines() if line]
    assert records, f"{folder}/VERSIONS lists nothing"
    for name, version, filename, digest in records:
        data = (folder / filename).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, f"{name} {version} was changed"
        assert (folder / f"{name}.LICENSE").read_text().strip()


def test_the_accessibility_checker_is_the_recorded_axe_core():
    (record,) = [line.split() for line in (TEST_VENDOR / "VERSIONS").read_text().splitlines()]
    name, version, filename, _ = record
    assert (name, filename) == ("axe-core", "axe.min.js")
    # The file's own banner names the version the record claims.
    assert (TEST_VENDOR / filename).read_text()[:40].startswith(f"/*! axe v{version}")


def test_the_rasteriser_is_the_es_module_build():
    source = (VENDOR / "modern-screenshot.mjs").read_text()
    # An ES module: imported, it cannot register with a page's AMD loader or
    # leave a global behind, as the UMD build did.
    assert "export {" in source and "domToCanvas" in source
    assert "define.amd" not in source and "globalThis.modernScreenshot" not in source


def test_the_memo_crdt_is_one_self_contained_es_module():
    source = (VENDOR / "yjs.mjs").read_text()
    # Bundled with lib0: a bare import ("lib0/...") cannot be resolved by a
    # browser, so the memo would fail to load on every page.
    assert "export{" in source.replace(" ", "") and "applyUpdate" in source
    assert 'from"lib0' not in source.replace(" ", "") and "import " not in source[:200]
