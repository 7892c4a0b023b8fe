"""``/api/v1/tokens``: the caller's personal API tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from server.accounts import api_tokens
from server.web.endpoints import Call, endpoint
from server.web.openapi import operation
from server.web.payloads import Output, Payload, read_json, respond


class TokenOut(Output):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself. Shown only in this response.")


class TokenList(Output):
    tokens: list[TokenOut]


class NewToken(Payload):
    name: str = Field(max_length=100)


@endpoint()
async def list_tokens(call: Call) -> JSONResponse:
    return respond(TokenList, {"tokens": await api_tokens.list_tokens(call.db, call.user)})


@endpoint()
async def create_token(call: Call) -> JSONResponse:
    body = await read_json(call.request, NewToken)
    token, raw = await api_tokens.create_token(call.db, call.user, body.name)
    created = TokenOut.model_validate(token).model_dump() | {"token": raw}
    return respond(TokenCreated, created, status=201)


@endpoint()
async def revoke_token(call: Call) -> Response:
    await api_tokens.revoke_token(call.db, call.user, call.request.path_params["token_id"])
    return Response(status_code=204)


def routes() -> list[BaseRoute]:
    return [
        operation(
            "GET",
            "/api/v1/tokens",
            list_tokens,
            summary="List your API tokens",
            response=TokenList,
            tag="accounts",
        ),
        operation(
            "POST",
            "/api/v1/tokens",
            create_token,
            summary="Create an API token (the value is shown once)",
            body=NewToken,
            response=TokenCreated,
            status=201,
            errors=((422, "invalid_token_name"),),
            tag="accounts",
        ),
        operation(
            "DELETE",
            "/api/v1/tokens/{token_id:id}",
            revoke_token,
            summary="Revoke one of your API tokens",
            status=204,
            errors=((404, "token_not_found"),),
            tag="accounts",
        ),
    ]
