"""Two real server processes on one PostgreSQL, one Redis and one
S3-protocol store, as behind a load balancer: a capture stored through one
instance is served by the other."""

from __future__ import annotations

import pytest

from tests.conftest import REDIS_URL, S3_KEYS
from tests.live_server import start_server
from tests.test_capture_ingest import encoded, picture
from tests.test_faults import throwaway_postgres
from tests.test_live import Host, new_number

pytestmark = pytest.mark.anyio


def s3_environment(s3_settings: dict) -> dict[str, str]:
    return {
        "TSUNAGU_BLOB_STORE": "s3",
        "TSUNAGU_S3_BUCKET": str(s3_settings["s3_bucket"]),
        "TSUNAGU_S3_ENDPOINT_URL": str(s3_settings["s3_endpoint_url"]),
        "TSUNAGU_S3_REGION": "us-east-1",
        "TSUNAGU_S3_ACCESS_KEY_ID": S3_KEYS["s3_access_key_id"],
        "TSUNAGU_S3_SECRET_ACCESS_KEY": S3_KEYS["s3_secret_access_key"],
    }


async def test_a_capture_stored_through_one_instance_is_served_by_the_other(
    tmp_path, s3_settings, postgres_and_redis
):
    async with throwaway_postgres() as database_url:
        shared = {
            "TSUNAGU_DATABASE_URL": database_url,
            "TSUNAGU_REDIS_URL": REDIS_URL,
            "TSUNAGU_SECRET_KEY": "shared-secret-for-both",
            **s3_environment(s3_settings),
        }
        a = start_server(tmp_path / "a", **shared)
        # B redirects every download to the store; A serves them itself.
        b = start_server(tmp_path / "b", TSUNAGU_S3_REDIRECT_BYTES="0", **shared)
        try:
            password = a.first_run_password()
            async with (
                Host.logged_in(a, password=password) as on_a,
                Host.logged_in(b, password=password) as on_b,
            ):
                issued = await new_number(a)
                meeting = await on_a.claim(issued["number"])
                sent = await on_a.http.post(
                    "/api/v1/guest/captures",
                    headers={"authorization": f"Bearer {issued['guest_token']}"},
                    data={"url": "https://shop.example/", "title": "Shop"},
                    files={"image": ("s.png", encoded(picture((1170, 2532)), "PNG"), "image/png")},
                )
                assert sent.status_code == 201, sent.text
                capture = sent.json()

                listed = await on_b.http.get(f"/api/v1/meetings/{meeting['id']}/captures")
                assert [c["id"] for c in listed.json()["captures"]] == [capture["id"]]
                for url in (capture["image_url"], capture["thumbnail_url"]):
                    from_a = await on_a.http.get(url)
                    from_b = await on_b.http.get(url, follow_redirects=True)
                    assert from_a.status_code == from_b.status_code == 200
                    assert from_b.history[0].status_code == 302  # straight from the store
                    assert from_b.content == from_a.content
                    assert from_b.headers["content-type"] == capture["media_type"]
        finally:
            a.stop()
            b.stop()
