"""A local stand-in for Twilio's Messages API, for the real ``twilio`` client.

It is a real HTTP server on a free loopback port, answering
``POST /2010-04-01/Accounts/<sid>/Messages.json`` the way Twilio does: it
checks HTTP Basic auth, records the form fields it was sent, and answers
with a message resource (status ``queued``) or, for numbers it was told to
refuse, with Twilio's error body (``{"code": 21211, ...}``, status 400).
Nothing is sent anywhere; nothing costs money.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(AC\w+)/Messages\.json$")


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    # Requests received: each a dict of the form fields (single values).
    requests: list[dict[str, str]] = field(default_factory=list)
    # To number -> (HTTP status, Twilio error code, message)
    refuse: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    # Answer every request with this HTTP status (e.g. 503), if set.
    outage: int | None = None
    # Accept requests and never answer them (a stalled connection).
    stall: bool = False
    url: str = ""
    _server: ThreadingHTTPServer | None = None
    _stalled: threading.Event = field(default_factory=threading.Event)

    def start(self) -> FakeTwilio:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:
                match = MESSAGES_PATH.match(self.path)
                length = int(self.headers.get("content-length", "0"))
                raw = self.rfile.read(length).decode()
                if not match:
                    return self.answer(404, {"code": 20404, "message": "not found", "status": 404})
                expected = base64.b64encode(
                    f"{fake.account_sid}:{fake.auth_token}".encode()
                ).decode()
                if (
                    match.group(1) != fake.account_sid
                    or self.headers.get("authorization") != f"Basic {expected}"
                ):
                    return self.answer(
                        401, {"code": 20003, "message": "Authenticate", "status": 401}
                    )
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                fake.requests.append(form)
                if fake.stall:
                    fake._stalled.wait(30)
                    return None
                if fake.outage:
                    return self.answer(fake.outage, {"code": 20500, "message": "down"})
                if form.get("To") in fake.refuse:
                    status, code, message = fake.refuse[form["To"]]
                    return self.answer(
                        status,
                        {
                            "code": code,
                            "message": message,
                            "more_info": f"https://www.twilio.com/docs/errors/{code}",
                            "status": status,
                        },
                    )
                sid = "SM" + secrets.token_hex(16)
                self.answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": fake.account_sid,
                        "to": form.get("To"),
                        "from": form.get("From"),
                        "messaging_service_sid": form.get("MessagingServiceSid"),
                        "body": form.get("Body"),
                        "status": "queued",
                        "num_segments": "1",
                        "direction": "outbound-api",
                        "api_version": "2010-04-01",
                        "uri": f"/2010-04-01/Accounts/{fake.account_sid}/Messages/{sid}.json",
                    },
                )

            def answer(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stalled.set()  # let stalled handlers go
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
