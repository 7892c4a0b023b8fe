"""API routes that describe themselves, and the OpenAPI document built from them.

Each ``/api/v1`` route is declared with :func:`operation`, which records its
request and response models and the error codes it can answer with. The
document at ``/api/v1/openapi.json`` is generated from the routes that are
mounted, so it cannot drift from them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.routing import BaseRoute, Route

API_VERSION = "1.0.0"
PATH_PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
AUTH_ERRORS = {"user": ((401, "not_authenticated"), (401, "invalid_token"))}
AUTH_ERRORS["admin"] = (*AUTH_ERRORS["user"], (403, "admin_required"))
# Only for console-session callers; bearer-token callers never see these.
CSRF_ERRORS = ((403, "csrf_failed"), (403, "cross_origin_request"))
BODY_ERRORS = (
    (400, "invalid_json"),
    (413, "payload_too_large"),
    (415, "unsupported_media_type"),
    (422, "invalid_request"),
)


@dataclass(frozen=True)
class Operation:
    summary: str
    auth: str = "user"  # "none" | "user" | "admin" | "guest"
    body: type[BaseModel] | None = None
    # A multipart/form-data body: these fields plus an ``image`` file.
    multipart: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[tuple[int, str], ...] = ()
    tag: str = ""


def operation(
    method: str, path: str, endpoint: Callable[..., Any], *, name: str | None = None, **meta: Any
) -> Route:
    """A route for one method of one API path, carrying its description.

    ``name`` is its ``operationId`` (the endpoint's name by default): an
    endpoint serving two operations needs one for each, as ids are unique.
    """
    route = Route(path, endpoint, methods=[method], name=name)
    route.operation = Operation(**meta)  # type: ignore[attr-defined]
    return route


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


def build_document(routes: Iterable[BaseRoute], server_url: str) -> dict[str, Any]:
    schemas: dict[str, Any] = {}

    def ref(model: type[BaseModel]) -> dict[str, str]:
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas[model.__name__] = schema
        return {"$ref": f"#/components/schemas/{model.__name__}"}

    error_ref = ref(ErrorBody)
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        op: Operation | None = getattr(route, "operation", None)
        if op is None or not isinstance(route, Route):
            continue
        method = next(m for m in route.methods or () if m != "HEAD").lower()
        path = PATH_PARAM.sub(r"{\1}", route.path)
        entry: dict[str, Any] = {
            "operationId": route.name,
            "summary": op.summary,
            "tags": [op.tag] if op.tag else [],
        }
        params = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": {"type": "integer"} if kind in ("int", "id") else {"type": "string"},
            }
            for name, kind in PATH_PARAM.findall(route.path)
        ]
        if params:
            entry["parameters"] = params
        if op.auth == "none":
            entry["security"] = []
        elif op.auth == "guest":
            entry["security"] = [{"guestToken": []}]
        if op.body is not None:
            entry["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(op.body)}},
            }
        if op.multipart is not None:
            fields = op.multipart.model_json_schema()
            fields["properties"]["image"] = {"type": "string", "format": "binary"}
            fields["required"] = ["image"]
            entry["requestBody"] = {
                "required": True,
                "content": {"multipart/form-data": {"schema": fields}},
            }
        responses: dict[str, Any] = {}
        if op.response is not None:
            responses[str(op.status)] = {
                "description": "Success",
                "content": {"application/json": {"schema": ref(op.response)}},
            }
        else:
            responses[str(op.status)] = {"description": "Success, no body"}
        errors = [
            *AUTH_ERRORS.get(op.auth, ()),
            *(CSRF_ERRORS if op.auth in ("user", "admin") and method != "get" else ()),
            *(BODY_ERRORS if op.body else ()),
            *op.errors,
        ]
        by_status: dict[int, list[str]] = {}
        for status, code in errors:
            by_status.setdefault(status, []).append(code)
        for status, codes in sorted(by_status.items()):
            responses[str(status)] = {
                "description": "Error codes: " + ", ".join(f"`{c}`" for c in dict.fromkeys(codes)),
                "content": {"application/json": {"schema": error_ref}},
            }
        entry["responses"] = responses
        paths.setdefault(path, {})[method] = entry
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Tsunagu API",
            "version": API_VERSION,
            "description": 'Errors are JSON: {"error": {"code": ..., "message": ...}}.',
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "apiToken": {"type": "http", "scheme": "bearer"},
                "consoleSession": {"type": "apiKey", "in": "cookie", "name": "tsunagu_session"},
                "guestToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The guest_token returned with a connection number.",
                },
            },
        },
        "security": [{"apiToken": []}, {"consoleSession": []}],
    }
