"""The app the serving benchmark runs: the real `create_app` plus two baseline routes that pass
the same middleware in the same process: a hello-world, and a "floor" with exactly the
recommendation route's scope, dependency and parameter parsing but no work (what the route
costs before it recommends)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from agora.settings import ServingSettings
from bench.serving import FLOOR_PATH, HELLO_PATH
from serving.api.recommendations import PARAMS
from serving.app import create_app
from serving.deps import StorefrontAnsweringDep


def app() -> FastAPI:
    application = create_app(ServingSettings())

    @application.get(HELLO_PATH, include_in_schema=False)
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    async def floor(request: Request, answering: StorefrontAnsweringDep) -> Response:
        PARAMS.parse(request)
        return Response(b'{"items":[]}', media_type="application/json")

    application.get(FLOOR_PATH, include_in_schema=False)(floor)
    return application
