"""The running simulator: settings plus the shared store, workers and webhook sender."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.callbacks import Webhooks
from simulator.pool import Pool
from simulator.settings import Settings
from simulator.state import Store


@dataclass
class Runtime:
    settings: Settings
    store: Store
    pool: Pool
    webhooks: Webhooks

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        settings.validate()
        store = Store(speed=settings.speed, incoming=settings.incoming, max_records=settings.max_records,
                      detail_records=settings.detail_records)
        pool = Pool(store, settings.concurrency, settings.backlog)
        webhooks = Webhooks(settings.auth_token, settings.webhook_timeout, pool.sleep)
        return cls(settings=settings, store=store, pool=pool, webhooks=webhooks)

    @property
    def public_url(self) -> str:
        return self.settings.base_url()
