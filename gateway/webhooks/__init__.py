"""Twilio webhooks. Thin: check the signature, parse, call the flow, save, enqueue, answer."""

from flask import Blueprint

bp = Blueprint("twilio", __name__, url_prefix="/twilio")

from gateway.webhooks import messaging, signature, status, tipline, voice  # noqa: E402,F401
