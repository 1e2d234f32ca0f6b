"""Small checks that name the offending field, so a client knows exactly what to fix."""

from __future__ import annotations

from flask import request

from gateway.errors import ApiError
from gateway.service.actions import check_characters


def json_body() -> dict:
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # the parser recurses per level: 10,000 nested brackets overflow it
        raise ApiError(400, None, "the request body is nested too deeply") from None
    if not isinstance(data, dict):
        raise ApiError(400, None, "the request body must be a JSON object")
    return data


def field(data: dict, name: str, kind: type | tuple, prefix: str = "", required: bool = True,
          default=None):
    value = data.get(name, default)
    path = f"{prefix}{name}"
    if value is None:
        if required:
            raise ApiError(422, path, "is required")
        return default
    # bool is an int in Python; a coordinate of `true` is still wrong.
    if isinstance(value, bool) and kind is not bool:
        raise ApiError(422, path, f"must be {_kind_name(kind)}")
    if not isinstance(value, kind):
        raise ApiError(422, path, f"must be {_kind_name(kind)}")
    if isinstance(value, str):
        check_characters(value, path)
    return value


def text(data: dict, name: str, max_length: int, prefix: str = "", required: bool = True):
    value = field(data, name, str, prefix, required)
    if value is None:
        return None
    value = value.strip()
    if required and not value:
        raise ApiError(422, f"{prefix}{name}", "must not be empty")
    if len(value) > max_length:
        raise ApiError(422, f"{prefix}{name}", f"must be at most {max_length} characters")
    return value


def choice(data: dict, name: str, options: tuple, prefix: str = "", default=None):
    value = field(data, name, str, prefix, required=default is None, default=default)
    if value not in options:
        raise ApiError(422, f"{prefix}{name}", f"must be one of {', '.join(options)}")
    return value


def _kind_name(kind) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "an object"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind if k is not int) or "a number"
    return names.get(kind, kind.__name__)
