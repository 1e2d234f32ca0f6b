"""The dispatch REST API (JSON), documented in openapi.json served at /api/openapi.json."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api")

from gateway.api import (  # noqa: E402,F401  (routes register on bp)
    actions,
    events,
    groups,
    openapi,
    participants,
    previews,
    registrations,
    supplies,
    tips,
)
