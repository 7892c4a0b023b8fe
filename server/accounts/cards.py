"""A host's business card (名刺, seed 001): what it holds, how it is
checked, its picture of the paper card, and the vCard a guest saves.

The card belongs to its user; the guests of that user's running meetings
may see it (``server/api/cards.py``). Its picture goes through the ingest
pool like every uploaded image (``capture/card_image.py``) and is kept in
the blob store; the row names it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import vobject
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from capture import card_image
from server.i18n.locales import translate
from server.storage import pictures
from server.storage.models import Card, User, utcnow
from server.web.errors import ApiError
from server.web.services import services

# Each field and the most characters it takes: what fits on a paper card.
LIMITS = {
    "name": 60,
    "kana": 60,
    "company": 100,
    "department": 100,
    "title": 60,
    "phone": 30,
    "email": 254,
    "url": 200,
    "address": 200,
}
FIELDS = tuple(LIMITS)
# A phone number as people write one: digits, an optional leading +, and
# hyphens, spaces or brackets between (03-1234-5678, +81 3 1234 5678).
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*[0-9]$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
# What separates a family name from a given name: a space, half or full width.
NAME_GAP = re.compile(r"[ \u3000]+")


class CardFieldError(ApiError):
    """A refused field: its message names the field in the caller's language."""

    def __init__(self, code: str, field: str, **params: Any) -> None:
        super().__init__(422, code, params={"field": field, **params}, details=[{"field": field}])

    def message(self, locale: str) -> str:
        label = translate(locale, f"card.field.{self.params['field']}")
        return translate(locale, f"error.{self.code}", **{**self.params, "label": label})


def checked(values: dict[str, str]) -> dict[str, str]:
    """The card's fields as they will be stored, or a 422 naming the first
    field that cannot be: the same rules for the console's form and the API."""
    out: dict[str, str] = {}
    for field in FIELDS:
        value = values.get(field) or ""
        if any(unicodedata.category(c) in ("Cc", "Cs") for c in value):
            raise CardFieldError("card_field_invalid", field)
        # Full-width digits and ＠ typed with a Japanese keyboard are the
        # same number and address.
        if field in ("phone", "email", "url"):
            value = unicodedata.normalize("NFKC", value)
        value = " ".join(value.split()) if field != "name" else NAME_GAP.sub(" ", value.strip())
        if len(value) > LIMITS[field]:
            raise CardFieldError("card_field_too_long", field, max=LIMITS[field])
        out[field] = value
    if not out["name"]:
        raise CardFieldError("card_name_required", "name")
    if out["phone"] and (
        not PHONE.match(out["phone"]) or sum(c.isdigit() for c in out["phone"]) < 4
    ):
        raise CardFieldError("card_phone_invalid", "phone")
    if out["email"] and not EMAIL.match(out["email"]):
        raise CardFieldError("card_email_invalid", "email")
    if out["url"]:
        parts = urlsplit(out["url"])
        if parts.scheme not in ("http", "https") or not parts.hostname or " " in out["url"]:
            raise CardFieldError("card_url_invalid", "url")
    return out


async def find(db: AsyncSession, user_id: int) -> Card | None:
    return await db.get(Card, user_id)


def blank(user: User) -> dict[str, str]:
    """What the form starts from before a card is saved: the user's name."""
    return {field: "" for field in FIELDS} | {"name": user.label}


async def save(db: AsyncSession, user: User, values: dict[str, str]) -> Card:
    """Store the card's fields (checked); its picture is left as it is."""
    fields = checked(values)
    card = await find(db, user.id)
    if card is None:
        card = Card(user_id=user.id)
        db.add(card)
    for field, value in fields.items():
        setattr(card, field, value)
    card.updated_at = utcnow()
    await db.flush()
    return card


async def ingest(app: Starlette, data: bytes) -> card_image.CardImage:
    """The picture checked and re-encoded in the ingest pool."""
    with pictures.ingest_refusals():
        return await services(app).ingest.run(card_image.process, data)


async def _point_at(
    app: Starlette, user: User, key: str, image: card_image.CardImage
) -> tuple[Card, str | None]:
    async with services(app).db.begin() as db:
        card = await find(db, user.id)
        if card is None:
            raise ApiError(404, "card_missing")
        old_key = card.image_blob_key
        card.image_blob_key = key
        card.image_content_type = image.media_type
        card.image_width, card.image_height = image.width, image.height
        card.updated_at = utcnow()
    return card, old_key


async def replace_image(app: Starlette, user: User, data: bytes) -> Card:
    """Store the picture and point the card at it; the old picture's blob
    goes once the new one is committed (a failure keeps the old one). A
    card is filled in first: a picture alone is no card to save."""
    async with services(app).db.begin() as db:
        if await find(db, user.id) is None:
            raise ApiError(404, "card_missing")
    image = await ingest(app, data)
    del data
    return await pictures.replace(
        app, image.image, image.media_type, "jpg", lambda key: _point_at(app, user, key, image)
    )


async def remove_image(app: Starlette, user: User) -> Card:
    async with services(app).db.begin() as db:
        card = await find(db, user.id)
        if card is None or not card.image_blob_key:
            raise ApiError(404, "card_image_missing")
        key = card.image_blob_key
        card.image_blob_key = card.image_content_type = None
        card.image_width = card.image_height = None
        card.updated_at = utcnow()
    await pictures.delete(app, key)
    return card


async def remove(app: Starlette, user: User) -> None:
    """The card and its picture (the row first, then the blob)."""
    async with services(app).db.begin() as db:
        card = await find(db, user.id)
        if card is None:
            raise ApiError(404, "card_missing")
        key = card.image_blob_key
        await db.delete(card)
    await pictures.delete(app, key)


async def image(app: Starlette, card: Card) -> bytes:
    return await pictures.read(app, card.image_blob_key, "card_image_missing")


@dataclass(frozen=True)
class Name:
    """A name as contacts keep it: family first, as Japanese names are
    written and as the vCard's N orders them."""

    family: str
    given: str


def split_name(text: str) -> Name:
    """「山田 太郎」 is family 山田, given 太郎. A name typed without a space
    cannot be split safely (山田太郎 could be 山 + 田太郎): all of it is
    the family name, which phones show and sort as typed."""
    family, _, given = NAME_GAP.sub(" ", text.strip()).partition(" ")
    return Name(family, given)


def vcard(card: Card) -> str:
    """The card as vCard 3.0 (RFC 2426), which the Contacts apps of iOS and
    Android both import, in UTF-8 with Japanese kept as typed.

    FN is the name as written on the card; N has the family name first; the
    reading goes in X-PHONETIC-LAST-NAME / X-PHONETIC-FIRST-NAME, which both
    phones file the contact under (あ行, か行...). No PHOTO: the paper
    card's picture is no portrait; the guest saves it as an image instead.
    """
    out = vobject.vCard()
    out.add("fn").value = card.name
    name = split_name(card.name)
    out.add("n").value = vobject.vcard.Name(family=name.family, given=name.given)
    if card.kana:
        reading = split_name(card.kana)
        out.add("x-phonetic-last-name").value = reading.family
        if reading.given:
            out.add("x-phonetic-first-name").value = reading.given
    if card.company or card.department:
        out.add("org").value = [card.company, *([card.department] if card.department else [])]
    if card.title:
        out.add("title").value = card.title
    if card.phone:
        tel = out.add("tel")
        tel.value = card.phone
        tel.type_param = ["WORK", "VOICE"]
    if card.email:
        email = out.add("email")
        email.value = card.email
        email.type_param = ["INTERNET", "WORK"]
    if card.url:
        out.add("url").value = card.url
    if card.address:
        adr = out.add("adr")
        adr.value = vobject.vcard.Address(street=card.address)
        adr.type_param = "WORK"
    return out.serialize()


# Characters no file name may hold on Windows, macOS, iOS or Android.
UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def file_name(card: Card, extension: str) -> str:
    """「山田 太郎.vcf」: the card's name, made safe for any phone's files."""
    stem = UNSAFE_IN_NAME.sub("_", card.name).strip(" ._")[:60] or "card"
    return f"{stem}.{extension}"


def attachment(name: str, fallback: str) -> str:
    """``Content-Disposition`` for a download (RFC 6266): an ASCII name for
    old clients and the real one, Japanese kept, in ``filename*`` (RFC 5987)."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
