"""Every HTTP request's id: taken from `X-Request-ID` when the caller sends a sane one, else
made here; it is in `scope["state"]["request_id"]` for handlers and echoed on every response.
"""

from __future__ import annotations

import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = b"x-request-id"
_SANE_ID = re.compile(rb"^[A-Za-z0-9._-]{1,64}$")


def request_id_of(scope: Scope) -> str:
    state = scope.get("state") or {}
    return str(state.get("request_id") or "")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = b""
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER and _SANE_ID.match(value):
                rid = value
                break
        rid = rid or uuid.uuid4().hex.encode()
        scope.setdefault("state", {})["request_id"] = rid.decode()

        async def with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, rid)]
            await send(message)

        await self.app(scope, receive, with_id)
