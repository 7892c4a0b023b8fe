"""The host's licence photo (宅建士証): uploaded, replaced and deleted by its
owner under ``/api/v1/me/licence``; shown to the guests of that host's
meetings in IT重説 mode at ``/api/v1/guest/it/licence``, and to nobody else
but admins (``/api/v1/users/{id}/licence``)."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from capture.ingest import MAX_BYTES
from server.accounts import licences
from server.api.captures import capped_body
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.models import LicencePhoto, Meeting
from server.web.endpoints import Call, endpoint
from server.web.errors import ApiError
from server.web.openapi import operation
from server.web.payloads import Output, respond
from server.web.services import services

IMAGE_ERRORS = (
    (413, "licence_photo_too_large"),
    (415, "licence_photo_format"),
    (422, "image_corrupt"),
    (422, "image_too_large"),
    (503, "ingest_busy"),
)
MISSING = ((404, "licence_photo_missing"),)


class LicenceOut(Output):
    content_type: str
    width: int
    height: int
    updated_at: datetime
    image_url: str


def licence_out(photo: LicencePhoto) -> dict:
    return {
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "updated_at": photo.updated_at,
        "image_url": "/api/v1/me/licence/image",
    }


def image_response(photo: LicencePhoto, data: bytes) -> Response:
    # Never cached by a shared cache, nor kept once the mode is off.
    return Response(
        data,
        media_type=photo.content_type,
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


async def read_photo(request: Request) -> bytes:
    try:
        return bytes(await capped_body(request, MAX_BYTES))
    except ApiError as error:
        if error.code == "capture_too_large":
            raise ApiError(413, "licence_photo_too_large", params=error.params) from None
        raise


@endpoint(transaction="none")
async def put_licence(call: Call) -> JSONResponse:
    """Upload or replace the caller's licence photo (the image as the body)."""
    data = await read_photo(call.request)
    photo = await licences.replace(call.request.app, call.user, data)
    return respond(LicenceOut, licence_out(photo))


@endpoint()
async def get_licence(call: Call) -> JSONResponse:
    photo = await licences.find(call.db, call.user.id)
    if photo is None:
        raise ApiError(404, "licence_photo_missing")
    return respond(LicenceOut, licence_out(photo))


@endpoint()
async def get_licence_image(call: Call) -> Response:
    photo = await licences.find(call.db, call.user.id)
    if photo is None:
        raise ApiError(404, "licence_photo_missing")
    return image_response(photo, await licences.image(call.request.app, photo))


@endpoint(transaction="none")
async def delete_licence(call: Call) -> Response:
    await licences.remove(call.request.app, call.user)
    return Response(status_code=204)


@endpoint(who="admin")
async def user_licence_image(call: Call) -> Response:
    """Admins check what their hosts show customers."""
    photo = await licences.find(call.db, call.request.path_params["user_id"])
    if photo is None:
        raise ApiError(404, "licence_photo_missing")
    return image_response(photo, await licences.image(call.request.app, photo))


async def guest_licence_image(request: Request) -> Response:
    """The licence photo of the guest's own meeting's host, while that
    meeting runs in IT重説 mode; 404 otherwise (the mode off, the meeting
    over, no photo)."""
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
        if meeting is None or guest.joined_at is None:
            raise ApiError(404, "licence_photo_missing")
        if not meeting.it_mode or meeting.state == "ended":
            raise ApiError(404, "it_mode_off")
        photo = await licences.shown_in(db, meeting)
        if photo is None:
            raise ApiError(404, "licence_photo_missing")
    return image_response(photo, await licences.image(request.app, photo))


def routes() -> list[BaseRoute]:
    return [
        operation(
            "PUT",
            "/api/v1/me/licence",
            put_licence,
            summary="Upload or replace your licence photo (宅建士証), the JPEG or PNG image as "
            "the request body; re-encoded with its metadata dropped, as captures are",
            response=LicenceOut,
            errors=IMAGE_ERRORS,
            tag="it",
        ),
        operation(
            "GET",
            "/api/v1/me/licence",
            get_licence,
            summary="Your licence photo's details",
            response=LicenceOut,
            errors=MISSING,
            tag="it",
        ),
        operation(
            "GET",
            "/api/v1/me/licence/image",
            get_licence_image,
            summary="Your licence photo",
            errors=MISSING,
            tag="it",
        ),
        operation(
            "DELETE",
            "/api/v1/me/licence",
            delete_licence,
            summary="Delete your licence photo",
            status=204,
            errors=MISSING,
            tag="it",
        ),
        operation(
            "GET",
            "/api/v1/users/{user_id:id}/licence",
            user_licence_image,
            summary="A host's licence photo (admins)",
            auth="admin",
            errors=MISSING,
            tag="it",
        ),
        operation(
            "GET",
            "/api/v1/guest/it/licence",
            guest_licence_image,
            summary="The licence photo of your meeting's host, while the meeting runs in "
            "IT重説 mode",
            auth="guest",
            errors=(*GUEST_AUTH_ERRORS, (404, "it_mode_off"), *MISSING),
            tag="guest",
        ),
    ]
