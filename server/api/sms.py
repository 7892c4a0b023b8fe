"""SMS and QR join links: sending a meeting's link, its delivery status, the
development outbox, and Twilio's status callbacks (``/sms/status``).

The work is in ``sms/``; these are the routes.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from twilio.request_validator import RequestValidator

from server.api.meetings import NOT_FOUND, MeetingOut
from server.meetings import invitations, knocks
from server.meetings import lifecycle as meetings
from server.storage.models import JoinLink
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.public_url import base_url
from server.web.services import services
from sms import links
from sms.links import join_url
from sms.qr import qr_svg

# Twilio's status callbacks are a few hundred bytes of form fields.
CALLBACK_MAX_BYTES = 16 * 1024


class PhoneIn(Payload):
    phone: str = Field(
        min_length=1, max_length=40, description='The guest\'s mobile, e.g. "090-1234-5678"'
    )


class LinkMeetingIn(Payload):
    phone: str | None = Field(
        default=None,
        max_length=40,
        description="Send the join link to this mobile by SMS; leave out to share the link "
        "or its QR code yourself",
    )


class StatusOut(Output):
    status: str
    error_code: str | None
    time: datetime


class SmsOut(Output):
    id: int
    meeting_id: int
    to: str = Field(description='Masked, e.g. "090-****-5678"')
    body: str
    link: str
    segments: int
    provider: str = Field(description='"twilio" or "outbox"')
    status: str
    error_code: str | None
    created_at: datetime
    updated_at: datetime
    history: list[StatusOut]


class SmsList(Output):
    mode: str = Field(description='"twilio" (real SMS) or "outbox" (kept, not sent)')
    preview: str = Field(
        description="The text an SMS sent now would have, with a placeholder (not a URL) "
        "where its own link goes"
    )
    segments: int = Field(description="How many SMS segments that text is billed as")
    messages: list[SmsOut]


class LinkMeetingOut(Output):
    meeting: MeetingOut
    sms: SmsOut | None


class JoinLinkOut(Output):
    url: str
    expires_at: datetime
    qr_svg_url: str


SMS_ERRORS = (
    (409, "meeting_ended"),
    (410, "prepared_link_expired"),
    (409, "sms_duplicate"),
    (422, "invalid_phone"),
    (422, "phone_not_mobile"),
    (422, "phone_country_not_allowed"),
    (422, "sms_refused"),
    (429, "too_many_sms_to_number"),
    (429, "too_many_sms_from_host"),
    (429, "too_many_sms"),
    (502, "sms_unavailable"),
    (502, "sms_uncertain"),
)


def mode(request: Request) -> str:
    return "twilio" if services(request).settings.sms_enabled else "outbox"


@endpoint(transaction="none")
async def start_link_meeting(call: Call) -> JSONResponse:
    request = call.request
    body = await read_json(request, LinkMeetingIn)
    if body.phone is not None:
        meeting, message = await invitations.send_link(request, call.user, body.phone)
        sms = invitations.message_out(message)
    else:
        async with meetings.transaction(request.app) as db:
            meeting = await meetings.create_waiting(
                db,
                call.user,
                waiting_room=knocks.waiting_room_default(call.services.settings, call.user),
            )
        sms = None
    return respond(LinkMeetingOut, {"meeting": meeting, "sms": sms}, status=201)


@endpoint(transaction="none")
async def send_sms(call: Call) -> JSONResponse:
    request = call.request
    body = await read_json(request, PhoneIn)
    meeting_id = request.path_params["meeting_id"]
    _, message = await invitations.send_link(request, call.user, body.phone, meeting_id)
    return respond(SmsOut, invitations.message_out(message), status=201)


@endpoint()
async def list_sms(call: Call) -> JSONResponse:
    request = call.request
    meeting = await meetings.get_meeting(call.db, call.user, request.path_params["meeting_id"])
    found = await invitations.list_messages(call.db, meeting.id)
    preview = invitations.preview(request)
    return respond(
        SmsList,
        {
            "mode": mode(request),
            "preview": preview["body"],
            "segments": preview["segments"],
            "messages": [invitations.message_out(m) for m in found],
        },
    )


@endpoint(transaction="meeting")
async def create_link(call: Call) -> JSONResponse:
    """A new join link for the meeting (to copy or show as a QR code). Each
    admits one guest's browser, so hand out a fresh one per guest."""
    request = call.request
    settings = call.services.settings
    meeting = await meetings.get_meeting(call.db, call.user, request.path_params["meeting_id"])
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    link = await links.create_link(call.db, meeting.id, call.user.id)
    url = join_url(base_url(request), settings.secret_key, link.id)
    token = url.rsplit("/", 1)[1]
    return respond(
        JoinLinkOut,
        {
            "url": url,
            "expires_at": link.created_at + timedelta(minutes=settings.link_minutes),
            "qr_svg_url": f"/api/v1/meetings/{meeting.id}/link/qr.svg?token={token}",
        },
        status=201,
    )


@endpoint()
async def link_qr(call: Call) -> Response:
    """The QR code of one join link of this meeting (never of anything else)."""
    request = call.request
    settings = call.services.settings
    token = request.query_params.get("token", "")
    meeting = await meetings.get_meeting(call.db, call.user, request.path_params["meeting_id"])
    link = await call.db.get(JoinLink, links.signed_link_id(settings.secret_key, token))
    links.check_usable(link, settings.secret_key, token, minutes=settings.link_minutes)
    if link is None or link.meeting_id != meeting.id:
        raise ApiError(404, "link_invalid")
    svg = qr_svg(f"{base_url(request)}/j/{token}")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@endpoint()
async def list_outbox(call: Call) -> JSONResponse:
    found = await invitations.outbox(call.db, call.user)
    return respond(
        SmsList,
        {
            "mode": mode(call.request),
            "preview": "",
            "segments": 0,
            "messages": [invitations.message_out(m) for m in found],
        },
    )


def callback_urls(request: Request) -> list[str]:
    """The URL Twilio signed: the one we gave it (``PUBLIC_URL/sms/status``)
    and, in case the public URL changed since, this request's own URL as
    the proxy in front reports it."""
    query = f"?{request.url.query}" if request.url.query else ""
    given = base_url(request) + request.url.path + query
    seen = f"{request.url.scheme}://{request.headers.get('host', request.url.netloc)}"
    return list(dict.fromkeys([given, seen + request.url.path + query]))


def signed_for(validator: RequestValidator, url: str, params: dict, signature: str) -> bool:
    try:
        return validator.validate(url, params, signature)
    except ValueError:  # a Host header with a port that is not a port
        return False


async def twilio_status(request: Request) -> Response:
    """Twilio's status callback. Only a request Twilio signed with our auth
    token changes anything; every posted field goes to the validator."""
    settings = services(request).settings
    signature = request.headers.get("x-twilio-signature", "")
    if not settings.sms_enabled or not signature:
        raise ApiError(403, "invalid_signature")
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > CALLBACK_MAX_BYTES:
        raise ApiError(413, "payload_too_large")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise ApiError(415, "unsupported_media_type")
    form = await request.form(max_files=0, max_fields=200)
    params = {key: value for key, value in form.multi_items() if isinstance(value, str)}
    validator = RequestValidator(settings.twilio_auth_token)
    if not any(signed_for(validator, url, params, signature) for url in callback_urls(request)):
        raise ApiError(403, "invalid_signature")
    await invitations.record_callback(request, params)
    # Twilio only needs a 2xx; an unknown message is not worth a retry.
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "POST",
            "/api/v1/meetings/by-link",
            start_link_meeting,
            summary="Start a meeting the guest joins by a link: with `phone`, the link goes "
            "out by SMS; without, share it yourself (copy or QR)",
            body=LinkMeetingIn,
            response=LinkMeetingOut,
            status=201,
            errors=SMS_ERRORS,
            tag="sms",
        ),
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}/sms",
            list_sms,
            summary="The meeting's SMS messages with their delivery history, and what a new "
            "one would say and cost",
            response=SmsList,
            errors=NOT_FOUND,
            tag="sms",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/sms",
            send_sms,
            summary="Send the meeting's join link to a mobile by SMS",
            body=PhoneIn,
            response=SmsOut,
            status=201,
            errors=(*NOT_FOUND, *SMS_ERRORS),
            tag="sms",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/links",
            create_link,
            summary="A new join link for the meeting (to copy, or show as a QR code); each "
            "admits one guest's browser",
            response=JoinLinkOut,
            status=201,
            errors=(*NOT_FOUND, (409, "meeting_ended")),
            tag="sms",
        ),
        operation(
            "GET",
            "/api/v1/meetings/{meeting_id:id}/link/qr.svg",
            link_qr,
            summary="The QR code (SVG) of a join link of this meeting (?token=)",
            errors=(*NOT_FOUND, (404, "link_invalid"), (410, "link_expired")),
            tag="sms",
        ),
        operation(
            "GET",
            "/api/v1/sms/outbox",
            list_outbox,
            summary="Messages kept in the development outbox (no Twilio configured): yours, "
            "or everyone's for an admin",
            response=SmsList,
            tag="sms",
        ),
    ]


def webhook_routes() -> list[BaseRoute]:
    """Routes Twilio calls; not part of the API others program against."""
    return [Route("/sms/status", twilio_status, methods=["POST"])]
