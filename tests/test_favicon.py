"""The icon a browser tab, a bookmark or a link preview shows, on the
console's pages, the guest's pages and the demo shop."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from PIL import Image

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"')


@pytest.mark.parametrize("origin", ["console", "demo shop"])
def test_favicon_ico_is_an_icon_at_the_usual_sizes(live_server, origin):
    base = live_server.url if origin == "console" else live_server.demo_url

    answer = httpx.get(base + "/favicon.ico")

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "image/x-icon"
    icon = Image.open(io.BytesIO(answer.content))
    assert icon.format == "ICO"
    assert {(16, 16), (32, 32), (48, 48)} <= icon.info["sizes"]
    # The brand's green disc, not a blank square.
    assert icon.convert("RGB").getpixel((24, 10)) == (11, 110, 79)


@pytest.mark.parametrize(
    ("origin", "path"),
    [
        ("console", "/login"),
        ("console", "/join"),
        ("console", "/no-such-page"),
        ("demo shop", "/"),
        ("demo shop", "/products/tea"),
    ],
)
def test_every_page_links_icons_that_load(live_server, origin, path):
    base = live_server.url if origin == "console" else live_server.demo_url
    html = httpx.get(base + path).text

    links = ICON_LINK.findall(html)

    assert "/favicon.ico" in links
    for href in links:
        icon = httpx.get(base + href)
        assert icon.status_code == 200, href
        assert icon.headers["content-type"].startswith("image/"), href
