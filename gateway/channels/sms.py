"""SMS, paced per segment: a three-part text costs the rate limiter three."""

from __future__ import annotations

from callflows.segments import measure
from gateway.channels.base import Outgoing, ProviderRequest
from gateway.channels.messaging import MessageChannel


class Sms(MessageChannel):
    name = "sms"
    bucket = "sms_segments"
    preference = 1

    def sender(self, config):
        return config.sms_from

    def rate(self, config):
        return config.sms_segments_per_second

    def request(self, out: Outgoing, urls, config) -> ProviderRequest:
        params = {"to": out.phone, "from_": config.sms_from, "body": out.text,
                  "status_callback": urls.status(self.name, out.delivery_id, out.attempt)}
        return ProviderRequest(self.resource, params, self.bucket, measure(out.text).count)
