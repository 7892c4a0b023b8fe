"""Reading JSON request bodies into typed, strict models.

Unknown fields, wrong types, malformed JSON, the wrong content type and an
oversized body are each refused with their own code before any endpoint
logic runs.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse

from server.errors import ApiError

MAX_JSON_BYTES = 64 * 1024


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
        data = json.loads(body or b"null")
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
