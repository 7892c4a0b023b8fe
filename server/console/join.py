"""The guest's way in: the public join page (a number to read out), a
meeting's join link (``/j/<token>``, from an SMS or a QR code), and a
printable QR code of the join page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from server.console.rendering import render, ui_strings
from server.i18n.locales import request_locale
from server.storage.models import JoinLink, Meeting
from server.web.errors import ApiError
from server.web.public_url import base_url
from server.web.services import services
from sms.links import check_usable, signed_link_id
from sms.qr import qr_svg


def join_context(request: Request) -> dict:
    return {
        "strings": ui_strings(request, "join", "video."),
        "digits": services(request).settings.number_digits,
        "terms_url": services(request).settings.terms_url,
        "link": None,
        "device_check_audio": services(request).settings.video_audio,
    }


async def join_page(request: Request) -> Response:
    return render(request, "join.html", join_context(request))


async def link_page(request: Request) -> Response:
    """A join link: the guest agrees, then is in that meeting.

    A link that cannot be used to join (expired, or its meeting ended) still
    opens the guest page when we made it: a guest already in the meeting on
    this phone, tapping the SMS again or reloading after the link's half
    hour, is let back in by the guest token their browser kept; anyone else
    is told what to do instead. A link we did not make gets only that."""
    settings = services(request).settings
    token = request.path_params["token"]
    try:
        link_id = signed_link_id(settings.secret_key, token)
        async with services(request).db.begin() as db:
            link = await db.get(JoinLink, link_id)
            meeting = await db.get(Meeting, link.meeting_id) if link is not None else None
        if meeting is None:
            raise ApiError(404, "link_invalid")
    except ApiError as error:
        context = {"message": error.message(request_locale(request))}
        return render(request, "link_problem.html", context, status=error.status)
    problem, status = None, 200
    try:
        check_usable(link, settings.secret_key, token, minutes=settings.link_minutes)
        if meeting.state == "ended":
            raise ApiError(410, "link_meeting_ended")
    except ApiError as error:
        problem, status = error.message(request_locale(request)), error.status
    context = join_context(request)
    context["link"] = {
        "token": token,
        "meeting_id": meeting.id,
        "host_name": meeting.host.label,
        "problem": problem,
        # What the guest is asked to agree to, and whether they will knock.
        "waiting_room": meeting.waiting_room,
        "recording": meeting.recording,
        # No phone call: the guest talks through this page's microphone.
        "browser_audio": meeting.uses_browser_audio,
    }
    context["device_check_audio"] = settings.video_audio or meeting.uses_browser_audio
    return render(request, "join.html", context, status=status)


async def join_qr_page(request: Request) -> Response:
    """A page to print or show at a counter: scan to reach the join page."""
    return render(request, "join_qr.html", {"join_url": base_url(request) + "/join"})


async def join_qr_svg(request: Request) -> Response:
    svg = qr_svg(base_url(request) + "/join")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    return [
        Route("/join", join_page, methods=["GET"]),
        Route("/join/qr", join_qr_page, methods=["GET"]),
        Route("/join/qr.svg", join_qr_svg, methods=["GET"]),
        Route("/j/{token}", link_page, methods=["GET"]),
    ]
