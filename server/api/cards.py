"""The host's business card (名刺): kept by its owner under
``/api/v1/me/card``, pushed to a meeting's guests with one click
(``card.shown``), and shown to the guests of that host's running meetings
at ``/api/v1/guest/card``, who save it as a vCard or an image."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from capture.card_image import MAX_BYTES
from server.accounts import cards
from server.api.captures import capped_body
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.models import Card, Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.services import services

FIELD_ERRORS = (
    (422, "card_name_required"),
    (422, "card_field_too_long"),
    (422, "card_field_invalid"),
    (422, "card_phone_invalid"),
    (422, "card_email_invalid"),
    (422, "card_url_invalid"),
)
IMAGE_ERRORS = (
    (413, "card_image_too_large"),
    (415, "card_image_format"),
    (422, "image_corrupt"),
    (422, "image_too_large"),
    (503, "ingest_busy"),
)
MISSING = ((404, "card_missing"),)


def text(description: str) -> str:
    # Lengths are checked by server/accounts/cards.py, with codes of their own.
    return Field(default="", description=description)


class CardIn(Payload):
    name: str = text("The name as printed (required); 「山田 太郎」: family name, a space, given")
    kana: str = text("Its reading (ふりがな), family and given split the same way")
    company: str = text("会社名")
    department: str = text("部署")
    title: str = text("役職")
    phone: str = text("Digits, with an optional leading + and hyphens, spaces or brackets")
    email: str = text("")
    url: str = text("http or https")
    address: str = text("One line")


class CardOut(Output):
    name: str
    kana: str
    company: str
    department: str
    title: str
    phone: str
    email: str
    url: str
    address: str
    image_url: str | None = Field(description="The paper card's picture, when there is one")
    image_width: int | None
    image_height: int | None
    updated_at: datetime


class GuestCardOut(CardOut):
    vcard_url: str = Field(description="The card as a vCard 3.0 file (attachment)")
    vcard_name: str = Field(description="The file name the vCard is saved under")
    image_name: str = Field(description="The file name an image of the card is saved under")


def card_out(card: Card, image_url: str) -> dict:
    version = int(card.updated_at.timestamp())
    return {
        **{field: getattr(card, field) for field in cards.FIELDS},
        "image_url": f"{image_url}?v={version}" if card.image_blob_key else None,
        "image_width": card.image_width,
        "image_height": card.image_height,
        "updated_at": card.updated_at,
    }


def image_response(card: Card, data: bytes) -> Response:
    return Response(
        data,
        media_type=card.image_content_type or "image/jpeg",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


async def own_card(call: Call) -> Card:
    card = await cards.find(call.db, call.user.id)
    if card is None:
        raise ApiError(404, "card_missing")
    return card


@endpoint()
async def get_card(call: Call) -> JSONResponse:
    return respond(CardOut, card_out(await own_card(call), "/api/v1/me/card/image"))


@endpoint()
async def put_card(call: Call) -> JSONResponse:
    """Fill in or change the caller's card (every field at once)."""
    body = await read_json(call.request, CardIn)
    card = await cards.save(call.db, call.user, body.model_dump())
    return respond(CardOut, card_out(card, "/api/v1/me/card/image"))


@endpoint(transaction="none")
async def delete_card(call: Call) -> Response:
    """The card and its picture, gone: guests see no card from now on."""
    await cards.remove(call.request.app, call.user)
    return Response(status_code=204)


async def read_image(request: Request) -> bytes:
    try:
        return bytes(await capped_body(request, MAX_BYTES))
    except ApiError as error:
        if error.code == "capture_too_large":
            raise ApiError(
                413, "card_image_too_large", params={"limit_mb": MAX_BYTES // 2**20}
            ) from None
        raise


@endpoint(transaction="none")
async def put_card_image(call: Call) -> JSONResponse:
    """The paper card's picture (JPEG or PNG as the body), re-encoded with
    its metadata dropped; replaces the one before."""
    data = await read_image(call.request)
    card = await cards.replace_image(call.request.app, call.user, data)
    return respond(CardOut, card_out(card, "/api/v1/me/card/image"))


@endpoint()
async def get_card_image(call: Call) -> Response:
    card = await own_card(call)
    return image_response(card, await cards.image(call.request.app, card))


@endpoint(transaction="none")
async def delete_card_image(call: Call) -> Response:
    await cards.remove_image(call.request.app, call.user)
    return Response(status_code=204)


@endpoint(transaction="meeting")
async def show_card(call: Call) -> Response:
    """「お客様に名刺を表示」: the meeting's guests see the host's card at once."""
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    if meeting.host_id != call.user.id:
        raise ApiError(403, "not_in_call")
    if meeting.state == "ended":
        raise ApiError(409, "meeting_ended")
    if await cards.find(call.db, call.user.id) is None:
        raise ApiError(404, "card_missing")
    await meetings.record_event(call.db, meeting, "card.shown", {"user_id": call.user.id})
    return Response(status_code=204)


async def guest_card_of(request: Request) -> Card:
    """The card of the guest's own meeting's host, while the guest is in
    that running meeting; nobody else's, never after the end."""
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
        if meeting is None or guest.joined_at is None:
            raise ApiError(409, "not_connected")
        if meeting.state == "ended":
            raise ApiError(409, "meeting_ended")
        card = await cards.find(db, meeting.host_id)
        if card is None:
            raise ApiError(404, "card_missing")
        return card


async def guest_card(request: Request) -> JSONResponse:
    card = await guest_card_of(request)
    out = card_out(card, "/api/v1/guest/card/image")
    out |= {
        "vcard_url": "/api/v1/guest/card.vcf",
        "vcard_name": cards.file_name(card, "vcf"),
        "image_name": cards.file_name(card, "jpg" if card.image_blob_key else "png"),
    }
    return respond(GuestCardOut, out)


async def guest_card_image(request: Request) -> Response:
    card = await guest_card_of(request)
    return image_response(card, await cards.image(request.app, card))


async def guest_vcard(request: Request) -> Response:
    """The card as a contact. Fetched with the guest's bearer token (never in
    the URL, which logs keep) and saved by the page as a file."""
    card = await guest_card_of(request)
    return Response(
        cards.vcard(card).encode(),
        media_type="text/vcard; charset=utf-8",
        headers={
            "Content-Disposition": cards.attachment(cards.file_name(card, "vcf"), "card.vcf"),
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


GUEST_ERRORS = (
    *GUEST_AUTH_ERRORS,
    (409, "not_connected"),
    (409, "meeting_ended"),
    *MISSING,
)


def routes() -> list[BaseRoute]:
    me = "/api/v1/me/card"
    return [
        operation(
            "GET",
            me,
            get_card,
            summary="Your business card (名刺)",
            response=CardOut,
            errors=MISSING,
            tag="cards",
        ),
        operation(
            "PUT",
            me,
            put_card,
            summary="Fill in or change your business card, every field at once",
            body=CardIn,
            response=CardOut,
            errors=FIELD_ERRORS,
            tag="cards",
        ),
        operation(
            "DELETE",
            me,
            delete_card,
            summary="Delete your business card and its picture",
            status=204,
            errors=MISSING,
            tag="cards",
        ),
        operation(
            "PUT",
            me + "/image",
            put_card_image,
            summary="Upload or replace the picture of your paper card, the JPEG or PNG image "
            "as the request body; re-encoded with its metadata dropped. Fill in the card first",
            response=CardOut,
            errors=(*IMAGE_ERRORS, *MISSING),
            tag="cards",
        ),
        operation(
            "GET",
            me + "/image",
            get_card_image,
            summary="The picture of your paper card",
            errors=((404, "card_missing"), (404, "card_image_missing")),
            tag="cards",
        ),
        operation(
            "DELETE",
            me + "/image",
            delete_card_image,
            summary="Delete the picture of your paper card (the card stays)",
            status=204,
            errors=((404, "card_image_missing"),),
            tag="cards",
        ),
        operation(
            "POST",
            "/api/v1/meetings/{meeting_id:id}/card/show",
            show_card,
            summary="Show your card to the meeting's guests now (card.shown): their pages "
            "open it. The meeting's own host only",
            status=204,
            errors=(
                (404, "meeting_not_found"),
                (403, "not_in_call"),
                (409, "meeting_ended"),
                *MISSING,
            ),
            tag="cards",
        ),
        operation(
            "GET",
            "/api/v1/guest/card",
            guest_card,
            summary="The business card of your meeting's host, while you are in the meeting",
            auth="guest",
            response=GuestCardOut,
            errors=GUEST_ERRORS,
            tag="guest",
        ),
        operation(
            "GET",
            "/api/v1/guest/card/image",
            guest_card_image,
            summary="The picture of the host's paper card",
            auth="guest",
            errors=(*GUEST_ERRORS, (404, "card_image_missing")),
            tag="guest",
        ),
        operation(
            "GET",
            "/api/v1/guest/card.vcf",
            guest_vcard,
            summary="The host's card as a vCard 3.0 file (text/vcard, UTF-8, attachment), "
            "for the phone's contacts",
            auth="guest",
            errors=GUEST_ERRORS,
            tag="guest",
        ),
    ]
