"""The page a live view is replayed into (issue #16).

The console's rrweb replayer rebuilds the guest's page inside an iframe
sandboxed without scripts. Left at about:blank, that iframe would inherit
the console's own policy, which rightly forbids inline styles and other
origins' images: the guest's page would replay without its look. So the
iframe is first pointed here, at an empty document with a policy of its
own: styles and images from anywhere (the guest's site serves them to the
host's browser directly, nothing is proxied), no script from anywhere, no
form, no plugin, framed only by the console itself.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route

FRAME_CSP = (
    "default-src 'none'; script-src 'none'; object-src 'none'; "
    "style-src * data: blob: 'unsafe-inline'; img-src * data: blob:; font-src * data:; "
    "media-src * data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
FRAME_HTML = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title></title></head><body></body></html>'
)


async def frame(request: Request) -> HTMLResponse:
    return HTMLResponse(
        FRAME_HTML,
        headers={
            "Content-Security-Policy": FRAME_CSP,
            "X-Frame-Options": "SAMEORIGIN",
            "Cache-Control": "public, max-age=3600",
        },
    )


def routes() -> list[BaseRoute]:
    return [Route("/live-view/frame", frame, methods=["GET"])]
