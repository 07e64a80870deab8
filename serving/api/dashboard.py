"""GET /dashboard: the live ops page, and its assets (all shipped with the package)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, RedirectResponse, Response

from serving.edge.auth import KEY_COOKIE, ops_access, principal_of

STATIC = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["dashboard"], include_in_schema=False)

_MEDIA = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
    ".png": "image/png",
}


@router.get("/dashboard", response_model=None)
async def dashboard(request: Request,
                    key: Annotated[str | None, Query(max_length=256)] = None) -> Response:
    """The page. `?key=` signs a browser in (HttpOnly cookie) and drops the key from the URL."""
    if key is not None:
        principal = await principal_of(request, key)
        if principal is None or not principal.allows("ops"):
            raise HTTPException(401, detail="key: unknown, or without the ops scope")
        page = RedirectResponse("/dashboard", status_code=303)
        page.set_cookie(KEY_COOKIE, key, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https")
        return page
    await ops_access(request)
    return FileResponse(
        STATIC / "dashboard.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/dashboard/assets/{name:path}")
async def asset(name: Annotated[str, PathParam(max_length=256)]) -> FileResponse:
    path = (STATIC / name).resolve()
    if not path.is_relative_to(STATIC) or not path.is_file() or path.suffix not in _MEDIA:
        raise HTTPException(404, detail=f"no dashboard asset {name!r}")
    return FileResponse(
        path, media_type=_MEDIA[path.suffix], headers={"Cache-Control": "public, max-age=300"}
    )
