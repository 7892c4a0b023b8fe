"""Reading JSON request bodies into typed, strict models.

Unknown fields, wrong types, malformed JSON, the wrong content type and an
oversized body are each refused with their own code before any endpoint
logic runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from server.web.errors import ApiError

MAX_JSON_BYTES = 64 * 1024
# Every number a client may send fits in 64 bits (ids, cursors, sizes). Python
# parses longer integers too, up to 4,300 digits (then it raises, a 500), in
# time that grows with the square of the length: refuse them while parsing.
MAX_INT_DIGITS = 19
# Enough for any float written out in full; not a way to ship megabytes.
MAX_FLOAT_CHARS = 64


class NumberOutOfRange(ValueError):
    """A JSON number no field of this API could hold."""


def parse_int(text: str) -> int:
    """``json.loads``'s integer parser, bounded to 64-bit values."""
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise NumberOutOfRange(text[:32])
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise NumberOutOfRange(text)
    return value


def parse_float(text: str) -> float:
    """``json.loads``'s float parser, finite and of bounded length."""
    if len(text) > MAX_FLOAT_CHARS:
        raise NumberOutOfRange(text[:32])
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise NumberOutOfRange(text)
    return value


def no_constant(text: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON, whatever Python's parser allows."""
    raise NumberOutOfRange(text)


def parse_json(text: str | bytes, *, out_of_range: Literal["raise", "null"] = "raise") -> Any:
    """Client JSON: the standard parser with numbers bounded.

    A number out of range raises ``NumberOutOfRange``, or with
    ``out_of_range="null"`` reads as ``None`` (for socket messages, where an
    odd value counts as absent). Anything else that is wrong raises what
    ``json.loads`` raises (``ValueError``, ``RecursionError``).
    """
    if out_of_range == "null":
        return json.loads(
            text,
            parse_int=_or_none(parse_int),
            parse_float=_or_none(parse_float),
            parse_constant=_or_none(no_constant),
        )
    return json.loads(
        text, parse_int=parse_int, parse_float=parse_float, parse_constant=no_constant
    )


def _or_none(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    def lenient(text: str) -> Any:
        try:
            return parse(text)
        except NumberOutOfRange:
            return None

    return lenient


class Payload(BaseModel):
    """Base for request bodies: strict types, no unknown fields, no control
    characters or lone surrogates (PostgreSQL cannot store NUL, and none
    belongs in a name).

    Whitespace is left alone here: a password may begin with a space.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def printable_text(cls, value: Any) -> Any:
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(text, str) and has_control_characters(text) for text in texts):
            raise ValueError("control characters are not allowed")
        return value


class Output(BaseModel):
    """Base for response bodies, built from ORM objects."""

    model_config = ConfigDict(from_attributes=True)


P = TypeVar("P", bound=BaseModel)


async def read_json(request: Request, model: type[P], *, limit: int = MAX_JSON_BYTES) -> P:
    """Parse and validate the request body as ``model``."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, "payload_too_large", params={"limit_kb": limit // 1024})
    body = bytearray()
    # Read in chunks so a body without Content-Length is capped too.
    try:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise ApiError(413, "payload_too_large", params={"limit_kb": limit // 1024})
    except ClientDisconnect:
        # Gone mid-upload: nobody to answer, and nothing to log as an error.
        raise ApiError(400, "bad_request") from None
    try:
        data = parse_json(body or b"null")
    except NumberOutOfRange:
        raise ApiError(422, "number_out_of_range", params={"digits": MAX_INT_DIGITS}) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", params={"reason": str(exc)}) from None
    except RecursionError:
        raise ApiError(400, "invalid_json", params={"reason": "nested too deeply"}) from None
    return validate(model, data)


def validate(model: type[P], data: Any) -> P:
    if not isinstance(data, dict):
        raise ApiError(
            422, "invalid_request", details=[{"field": "", "problem": "expected a JSON object"}]
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        details = [
            {
                "field": ".".join(str(part) for part in error["loc"]),
                "problem": error["msg"],
            }
            for error in exc.errors(include_url=False, include_context=False)
        ]
        raise ApiError(422, "invalid_request", details=details) from None


def has_control_characters(text: str) -> bool:
    """C0/C1 controls, and lone surrogates (which JSON can smuggle in as
    ``\\ud800`` and no response or database can encode)."""
    return any(ord(c) < 32 or 127 <= ord(c) < 160 or 0xD800 <= ord(c) < 0xE000 for c in text)


def respond(model: type[BaseModel], obj: Any, status: int = 200) -> JSONResponse:
    """Serialise ``obj`` (an ORM object or a dict) through ``model``."""
    return JSONResponse(model.model_validate(obj).model_dump(mode="json"), status_code=status)
