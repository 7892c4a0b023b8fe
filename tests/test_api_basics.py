"""The API's contract: JSON everywhere, stable error codes, a truthful OpenAPI file."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.ext.asyncio import create_async_engine
from starlette.routing import Route

from server.web.services import services
from tests.conftest import csrf_token


@pytest.fixture
async def writer(admin_client):
    """An admin client with one site already stored."""
    token = await csrf_token(admin_client)
    admin_client.headers["x-csrf-token"] = token
    created = await admin_client.post(
        "/api/v1/sites", json={"name": "Shop", "origins": ["https://shop.example"]}
    )
    assert created.status_code == 201
    return admin_client


async def sites_stored(client) -> list[dict]:
    return (await client.get("/api/v1/sites")).json()["sites"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "code"),
    [
        (b'{"name": "Shop", ', "application/json", 400, "invalid_json"),
        (b"\xff\xfe", "application/json", 400, "invalid_json"),
        (b"", "application/json", 422, "invalid_request"),
        (b"[1, 2]", "application/json", 422, "invalid_request"),
        (
            b'{"name": 5, "origins": ["https://a.example"]}',
            "application/json",
            422,
            "invalid_request",
        ),
        (
            b'{"name": "A", "origins": "https://a.example"}',
            "application/json",
            422,
            "invalid_request",
        ),
        (
            b'{"name": "A", "origins": ["https://a.example"], "x": 1}',
            "application/json",
            422,
            "invalid_request",
        ),
        (b"name=A", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b'{"name": "A"}', "text/plain", 415, "unsupported_media_type"),
        (b"[" * 50000, "application/json", 400, "invalid_json"),
        (
            b'{"name": "A\\u0000B", "origins": ["https://a.example"]}',
            "application/json",
            422,
            "invalid_request",
        ),
        (
            b'{"name": "ok", "origins": ["https://a\\ud800.example"]}',
            "application/json",
            422,
            "invalid_request",
        ),
        (
            b'{"name": "A", "origins": ["https://a.example\\u0007"]}',
            "application/json",
            422,
            "invalid_request",
        ),
    ],
)
async def test_bad_bodies_get_a_4xx_code_and_change_nothing(
    writer, body, content_type, status, code
):
    before = await sites_stored(writer)

    response = await writer.post(
        "/api/v1/sites", content=body, headers={"content-type": content_type}
    )

    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    assert await sites_stored(writer) == before


async def test_validation_errors_name_each_wrong_field(writer):
    response = await writer.post(
        "/api/v1/sites", json={"name": 5, "origins": ["https://a.example"], "colour": "red"}
    )
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert fields == {"name", "colour"}


async def test_huge_bodies_are_refused_before_being_read_whole(writer):
    before = await sites_stored(writer)
    huge = b'{"name": "' + b"a" * (2 * 1024 * 1024) + b'"}'
    declared = await writer.post(
        "/api/v1/sites", content=huge, headers={"content-type": "application/json"}
    )
    assert declared.status_code == 413
    assert declared.json()["error"]["code"] == "payload_too_large"

    sent = 0

    async def endless():  # no Content-Length, and no end: only a cap stops it
        nonlocal sent
        while True:
            sent += 32768
            yield b"a" * 32768

    streamed = await writer.post(
        "/api/v1/sites", content=endless(), headers={"content-type": "application/json"}
    )
    assert streamed.status_code == 413
    assert sent <= 64 * 1024 + 2 * 32768
    assert await sites_stored(writer) == before


@pytest.mark.parametrize("record_id", ["999", "2147483648", "99999999999999999999999"])
async def test_ids_that_no_record_has_are_not_found_whatever_their_size(writer, record_id):
    answers = {
        "site_not_found": [
            await writer.get(f"/api/v1/sites/{record_id}"),
            await writer.patch(f"/api/v1/sites/{record_id}", json={"is_active": False}),
        ],
        "user_not_found": [await writer.patch(f"/api/v1/users/{record_id}", json={"role": "host"})],
        "token_not_found": [await writer.delete(f"/api/v1/tokens/{record_id}")],
    }
    for code, responses in answers.items():
        for response in responses:
            assert response.status_code == 404
            assert response.json()["error"]["code"] == code
    page = await writer.get(f"/admin/sites/{record_id}")
    assert page.status_code == 404
    assert "サイトが見つかりません。" in page.text


async def test_unknown_api_paths_and_methods_answer_json(client):
    missing = await client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = await client.put("/api/v1/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


async def test_error_messages_follow_the_browser_language(client):
    japanese = await client.get("/api/v1/me")
    english = await client.get("/api/v1/me", headers={"accept-language": "en"})
    assert japanese.json()["error"]["message"].startswith("ログインが必要です")
    assert english.json()["error"]["message"] == "You need to log in, or send an API token."
    assert japanese.json()["error"]["code"] == english.json()["error"]["code"]


async def test_openapi_document_describes_exactly_the_api_routes(app, client):
    document = (await client.get("/api/v1/openapi.json")).json()

    mounted = {
        (route.path.replace(":id", ""), method.lower())
        for route in app.routes
        if isinstance(route, Route)
        and route.path.startswith("/api/v1/")
        and route.path != "/api/v1/openapi.json"
        for method in route.methods or ()
        if method != "HEAD"
    }
    described = {(path, method) for path, ops in document["paths"].items() for method in ops}
    assert described == mounted
    assert ("/api/v1/sites", "post") in described
    refs = set(references(document))
    assert "#/components/schemas/SiteOut" in refs
    for ref in refs:
        assert ref.removeprefix("#/components/schemas/") in document["components"]["schemas"]
    create_site = document["paths"]["/api/v1/sites"]["post"]
    assert "invalid_origin" in create_site["responses"]["422"]["description"]


async def test_openapi_operation_ids_are_unique(client):
    """Client generators name a function after each operationId: two
    operations with one id make one of them unreachable."""
    document = (await client.get("/api/v1/openapi.json")).json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    image = document["paths"]["/api/v1/captures/{capture_id}/image"]["get"]
    thumbnail = document["paths"]["/api/v1/captures/{capture_id}/thumbnail"]["get"]
    assert (image["operationId"], thumbnail["operationId"]) == (
        "capture_image",
        "capture_thumbnail",
    )


async def test_guest_routes_document_the_same_token_refusals(client):
    """Every route a guest token opens lists all the ways the token is refused."""
    document = (await client.get("/api/v1/openapi.json")).json()
    guest_ops = [
        op
        for ops in document["paths"].values()
        for op in ops.values()
        if op.get("security") == [{"guestToken": []}]
    ]
    assert len(guest_ops) >= 4
    for op in guest_ops:
        refusals = op["responses"]["401"]["description"]
        for code in ("guest_token_required", "invalid_guest_token", "guest_token_expired"):
            assert code in refusals, (op["operationId"], code)


def references(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from references(value)
    elif isinstance(node, list):
        for item in node:
            yield from references(item)


async def test_health_check_reports_the_database(app, client):
    healthy = await client.get("/healthz")
    assert healthy.json() == {"status": "ok", "database": "ok"}

    working = services(app).engine
    services(app).engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        broken = await client.get("/healthz")
    finally:
        await services(app).engine.dispose()
        services(app).engine = working
    assert broken.status_code == 503
    assert broken.json() == {"status": "error", "database": "unavailable"}


async def test_console_pages_carry_a_strict_content_security_policy(client):
    page = await client.get("/login")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    # No inline script for the CSP to block: every <script> loads a file.
    scripts = re.findall(r"<script\b[^>]*>", page.text)
    assert scripts
    assert all("src=" in tag for tag in scripts)
    assert page.headers["x-content-type-options"] == "nosniff"
