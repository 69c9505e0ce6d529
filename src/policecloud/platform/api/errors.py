"""Every error answered as JSON: ``{"error": code, "message": English, "message_zh": Chinese, ...}``."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from policecloud.platform.access.errors import AccessError
from policecloud.platform.api.security_headers import security_headers

log = logging.getLogger(__name__)

_HTTP_MESSAGES = {
    404: ("not_found", "No such resource.", "资源不存在。"),
    405: ("method_not_allowed", "This method is not allowed here.", "不允许使用该请求方法。"),
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AccessError)
    async def _access_error(_request: Request, exc: AccessError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, en, zh = _HTTP_MESSAGES.get(exc.status_code, (f"http_{exc.status_code}", str(exc.detail), ""))
        if exc.status_code not in _HTTP_MESSAGES and isinstance(exc.detail, str):
            en = exc.detail
        return JSONResponse(
            {"error": code, "message": en, "message_zh": zh or en},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in err.get('loc', ()) if p != 'body')}: {err.get('msg', '')}"
            for err in exc.errors()
        ]
        return JSONResponse(
            {
                "error": "invalid_request",
                "message": "The request is not valid: " + "; ".join(problems),
                "message_zh": "请求参数无效：" + "；".join(problems),
                "problems": problems,
            },
            status_code=422,
        )

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> JSONResponse:
        # The database refused a value the request brought (PostgreSQL: a NUL character in text, a number past
        # its column's range): the client's input, not a server fault; the unit of work was rolled back.
        log.warning("refused a value the database cannot take in %s %s: %s", request.method, request.url.path,
                    str(exc.orig).splitlines()[0] if exc.orig else type(exc).__name__)  # fmt: skip
        return JSONResponse(
            {
                "error": "invalid_value",
                "message": "A value in the request cannot be stored or searched (e.g. a NUL character).",
                "message_zh": "请求中含有无法存储或查询的值（例如空字符 NUL）。",
            },
            status_code=400,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # The catch-all: the client gets a JSON 500 with no traceback or detail; the log gets the traceback.
        # Starlette answers with this from outside the middleware stack, so the security headers are set here.
        log.exception("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(
            {
                "error": "internal_error",
                "message": "The server failed; nothing was changed.",
                "message_zh": "服务器内部错误，未做任何更改。",
            },
            status_code=500,
            headers=security_headers({}),
        )
