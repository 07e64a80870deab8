"""The app the serving benchmark runs: the real `create_app` plus two baseline routes that pass
the same middleware in the same process: a hello-world, and a "floor" with exactly the
recommendation route's parameters, dependencies and scope but no work (what FastAPI alone
costs for that signature)."""

from __future__ import annotations

import inspect

from fastapi import Depends, FastAPI
from fastapi.responses import Response

from agora.settings import ServingSettings
from bench.serving import FLOOR_PATH, HELLO_PATH
from serving.app import create_app
from serving.routers.recommendations import recommend_for_user
from serving.security import require_scope


def app() -> FastAPI:
    application = create_app(ServingSettings())

    @application.get(HELLO_PATH, include_in_schema=False)
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    async def floor(**_: object) -> Response:
        return Response(b'{"items":[]}', media_type="application/json")

    floor.__signature__ = inspect.signature(  # type: ignore[attr-defined]
        recommend_for_user, eval_str=True)
    application.get(FLOOR_PATH, include_in_schema=False,
                    dependencies=[Depends(require_scope("storefront"))])(floor)
    return application
