"""The app the serving benchmark runs: the real `create_app` plus a hello-world route, so both
endpoints pass the same middleware in the same process."""

from __future__ import annotations

from fastapi import FastAPI

from agora.settings import ServingSettings
from bench.serving import HELLO_PATH
from serving.app import create_app


def app() -> FastAPI:
    application = create_app(ServingSettings())

    @application.get(HELLO_PATH, include_in_schema=False)
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return application
