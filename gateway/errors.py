"""One error shape for the API: {"error": {"field": ..., "message": ...}} with a 4xx status."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.routing import IntegerConverter

# Every id column is a 32-bit integer. A larger id in a URL names nothing, and PostgreSQL would
# refuse to compare it (integer out of range: a 500), so such a URL is a 404 before any view.
MAX_ID = 2**31 - 1


class ApiError(Exception):
    def __init__(self, status: int, field: str | None, message: str):
        super().__init__(message)
        self.status, self.field, self.message = status, field, message


class IdConverter(IntegerConverter):
    """`<int:...>` in every route, present and future: beyond MAX_ID is a 404."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            # Not werkzeug's ValidationError: with it, a path that another method's rule also
            # matches (GET and DELETE /actions/<id>) would be answered 405 instead.
            raise NotFound(f"no such resource: ids are at most {MAX_ID}")
        return number


def init_app(app: Flask) -> None:
    # Before any blueprint is registered, so every rule is built with it.
    app.url_map.converters["int"] = IdConverter

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        response = jsonify(error={"field": exc.field, "message": exc.message})
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response, exc.status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        response = jsonify(error={"field": None, "message": exc.description})
        # Keep what the exception says besides its body, e.g. `Allow` on a 405 (RFC 9110).
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, exc.code
