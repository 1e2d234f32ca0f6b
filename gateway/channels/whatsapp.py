"""WhatsApp through Twilio's Messages resource: addresses are `whatsapp:+E164`.

Outside the 24 hours after the recipient last wrote to us, WhatsApp only carries approved
templates; with WHATSAPP_CONTENT_SID set, every message goes as that template with the text as
its one variable, else as free-form text (which fails with 63016 outside the window)."""

from __future__ import annotations

import json

from gateway.channels.base import Outgoing, ProviderRequest
from gateway.channels.messaging import MessageChannel
from gateway.phones import WHATSAPP_PREFIX as PREFIX


class WhatsApp(MessageChannel):
    name = "whatsapp"
    bucket = "whatsapp"
    preference = 2

    def address(self, phone: str) -> str:
        return PREFIX + phone

    def sender(self, config):
        sender = config.whatsapp_from
        return sender if sender.startswith(PREFIX) else PREFIX + sender

    def rate(self, config):
        return config.whatsapp_per_second

    def request(self, out: Outgoing, urls, config) -> ProviderRequest:
        params = {"to": self.address(out.phone), "from_": self.sender(config),
                  "status_callback": urls.status(self.name, out.delivery_id, out.attempt)}
        if config.whatsapp_content_sid:
            params["content_sid"] = config.whatsapp_content_sid
            params["content_variables"] = json.dumps({"1": out.text}, ensure_ascii=False)
        else:
            params["body"] = out.text
        return ProviderRequest(self.resource, params, self.bucket, 1)
