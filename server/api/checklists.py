"""Checklists (事前チェックリスト): admins define them under
``/api/v1/checklists``; the host opens one in a meeting in IT重説 mode and
ticks it under ``/api/v1/meetings/{id}/checklists``; the guest reads the
meeting's IT重説 view (host's name, licence, checklist) at
``/api/v1/guest/it``."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts import licences
from server.meetings import checklists
from server.meetings import lifecycle as meetings
from server.meetings.guests import GUEST_AUTH_ERRORS, require_guest
from server.storage.models import Checklist, Meeting
from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond
from server.web.record_ids import MAX_ID
from server.web.services import services


class ChecklistIn(Payload):
    title: str = Field(max_length=checklists.TITLE_LENGTH * 2)
    items: list[str] = Field(
        max_length=checklists.MAX_ITEMS * 2,
        description="The items in order; blank ones are dropped",
    )


class ChecklistOut(Output):
    id: int
    title: str
    items: list[str]
    created_at: datetime
    updated_at: datetime


class ChecklistList(Output):
    checklists: list[ChecklistOut]


class ChecklistItemOut(Output):
    id: int
    n: int = Field(description="Its place in the list, from 1")
    text: str
    ticked: bool
    ticked_at: datetime | None
    ticked_by: str | None = Field(description="Who ticked it (the host's name)")


class MeetingChecklistOut(Output):
    id: int
    checklist_id: int | None = Field(description="The admin's checklist it was copied from")
    title: str
    opened_at: datetime
    opened_by: str
    collapsed: bool = Field(description="Collapsed by the host (「とじる」)")
    items: list[ChecklistItemOut]


class MeetingItView(Output):
    it_mode: bool
    licence: bool = Field(description="The host has a licence photo to show")
    checklists: list[ChecklistOut] = Field(description="The checklists the host may open")
    current: MeetingChecklistOut | None = Field(description="The checklist on screen")


class GuestItView(Output):
    it_mode: bool
    host_name: str | None = Field(description="Shown while IT重説 mode is on")
    licence_url: str | None = Field(
        description="Where the host's licence photo is (with the guest token), while the "
        "mode is on and the host has one"
    )
    checklist: MeetingChecklistOut | None


class OpenChecklist(Payload):
    checklist_id: int = Field(ge=1, le=MAX_ID)


class TickChange(Payload):
    ticked: bool


class CollapseChange(Payload):
    collapsed: bool


# -- admins' checklists -------------------------------------------------------


@endpoint()
async def list_checklists(call: Call) -> JSONResponse:
    return respond(ChecklistList, {"checklists": await checklists.list_checklists(call.db)})


@endpoint(who="admin")
async def create_checklist(call: Call) -> JSONResponse:
    body = await read_json(call.request, ChecklistIn)
    created = await checklists.create_checklist(call.db, body.title, body.items)
    return respond(ChecklistOut, created, status=201)


@endpoint(who="admin")
async def update_checklist(call: Call) -> JSONResponse:
    body = await read_json(call.request, ChecklistIn)
    found: Checklist = await checklists.get_checklist(
        call.db, call.request.path_params["checklist_id"]
    )
    await checklists.update_checklist(call.db, found, body.title, body.items)
    return respond(ChecklistOut, found)


@endpoint(who="admin")
async def delete_checklist(call: Call) -> Response:
    found = await checklists.get_checklist(call.db, call.request.path_params["checklist_id"])
    await checklists.delete_checklist(call.db, found)
    return Response(status_code=204)


# -- a meeting's checklist ----------------------------------------------------


async def it_view(call: Call, meeting: Meeting) -> JSONResponse:
    shown = await checklists.current(call.db, meeting.id)
    body = {
        "it_mode": meeting.it_mode,
        "licence": await licences.find(call.db, meeting.host_id) is not None,
        "checklists": await checklists.list_checklists(call.db),
        "current": checklists.meeting_checklist_json(shown) if shown else None,
    }
    return respond(MeetingItView, body)


@endpoint()
async def get_meeting_it(call: Call) -> JSONResponse:
    meeting = await meetings.get_meeting(call.db, call.user, call.request.path_params["meeting_id"])
    return await it_view(call, meeting)


@endpoint(transaction="meeting")
async def open_checklist(call: Call) -> JSONResponse:
    body = await read_json(call.request, OpenChecklist)
    meeting = await meetings.get_meeting(
        call.db, call.user, call.request.path_params["meeting_id"], lock=True
    )
    opened = await checklists.open_checklist(call.db, meeting, call.user, body.checklist_id)
    return respond(MeetingChecklistOut, checklists.meeting_checklist_json(opened), status=201)


@endpoint(transaction="meeting")
async def tick_item(call: Call) -> JSONResponse:
    body = await read_json(call.request, TickChange)
    params = call.request.path_params
    meeting = await meetings.get_meeting(call.db, call.user, params["meeting_id"], lock=True)
    opened = await checklists.tick(
        call.db, meeting, call.user, params["checklist_id"], params["item_id"], body.ticked
    )
    return respond(MeetingChecklistOut, checklists.meeting_checklist_json(opened))


@endpoint(transaction="meeting")
async def collapse(call: Call) -> JSONResponse:
    body = await read_json(call.request, CollapseChange)
    params = call.request.path_params
    meeting = await meetings.get_meeting(call.db, call.user, params["meeting_id"], lock=True)
    opened = await checklists.set_collapsed(
        call.db, meeting, call.user, params["checklist_id"], body.collapsed
    )
    return respond(MeetingChecklistOut, checklists.meeting_checklist_json(opened))


# -- the guest's side ---------------------------------------------------------


async def guest_it(request: Request) -> JSONResponse:
    """What the guest's page shows of IT重説 mode: nothing while it is off."""
    async with services(request).db.begin() as db:
        guest = await require_guest(request, db)
        meeting = await db.get(Meeting, guest.meeting_id) if guest.meeting_id else None
        if meeting is None or guest.joined_at is None or not meeting.it_mode:
            body = {"it_mode": False, "host_name": None, "licence_url": None, "checklist": None}
            return respond(GuestItView, body)
        photo = await licences.shown_in(db, meeting)
        shown = await checklists.current(db, meeting.id)
        body = {
            "it_mode": True,
            "host_name": meeting.host.label,
            "licence_url": "/api/v1/guest/it/licence" if photo else None,
            "checklist": checklists.meeting_checklist_json(shown) if shown else None,
        }
    return respond(GuestItView, body)


NOT_FOUND = ((404, "meeting_not_found"),)
CHANGE_ERRORS = (
    (403, "not_meeting_host"),
    (404, "meeting_not_found"),
    (404, "checklist_not_found"),
    (409, "meeting_ended"),
    (409, "it_mode_off"),
)
CHECKLIST_ERRORS = (
    (422, "checklist_title_required"),
    (422, "checklist_title_too_long"),
    (422, "checklist_items_required"),
    (422, "checklist_too_many_items"),
    (422, "checklist_item_too_long"),
)
MEETING_PATH = "/api/v1/meetings/{meeting_id:id}/checklists"


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/checklists",
            list_checklists,
            summary="The checklists admins have defined (事前チェックリスト)",
            response=ChecklistList,
            tag="it",
        ),
        operation(
            "POST",
            "/api/v1/checklists",
            create_checklist,
            summary="Define a checklist: a title and its items in order (admins)",
            auth="admin",
            body=ChecklistIn,
            response=ChecklistOut,
            status=201,
            errors=CHECKLIST_ERRORS,
            tag="it",
        ),
        operation(
            "PUT",
            "/api/v1/checklists/{checklist_id:id}",
            update_checklist,
            summary="Change a checklist (admins); meetings that opened it keep their copy",
            auth="admin",
            body=ChecklistIn,
            response=ChecklistOut,
            errors=((404, "checklist_not_found"), *CHECKLIST_ERRORS),
            tag="it",
        ),
        operation(
            "DELETE",
            "/api/v1/checklists/{checklist_id:id}",
            delete_checklist,
            summary="Delete a checklist (admins); meetings that opened it keep their copy",
            auth="admin",
            status=204,
            errors=((404, "checklist_not_found"),),
            tag="it",
        ),
        operation(
            "GET",
            MEETING_PATH,
            get_meeting_it,
            summary="The meeting's IT重説 view: the mode, whether the host has a licence "
            "photo, the checklists to open and the one on screen",
            response=MeetingItView,
            errors=NOT_FOUND,
            tag="it",
        ),
        operation(
            "POST",
            MEETING_PATH,
            open_checklist,
            summary="Open a checklist in the meeting (its own copy); guests see it",
            body=OpenChecklist,
            response=MeetingChecklistOut,
            status=201,
            errors=CHANGE_ERRORS,
            tag="it",
        ),
        operation(
            "PUT",
            MEETING_PATH + "/{checklist_id:id}/items/{item_id:id}",
            tick_item,
            summary="Tick an item of the meeting's checklist, or undo the tick "
            "(checklist.ticked / checklist.unticked)",
            body=TickChange,
            response=MeetingChecklistOut,
            errors=(*CHANGE_ERRORS, (404, "checklist_item_not_found")),
            tag="it",
        ),
        operation(
            "PATCH",
            MEETING_PATH + "/{checklist_id:id}",
            collapse,
            summary="Collapse the checklist (「とじる」) or open it again, on both sides",
            body=CollapseChange,
            response=MeetingChecklistOut,
            errors=CHANGE_ERRORS,
            tag="it",
        ),
        operation(
            "GET",
            "/api/v1/guest/it",
            guest_it,
            summary="What the guest sees of IT重説 mode: the host's name, their licence "
            "photo's address, and the checklist with its ticks",
            auth="guest",
            response=GuestItView,
            errors=GUEST_AUTH_ERRORS,
            tag="guest",
        ),
    ]
