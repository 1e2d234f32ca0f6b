"""The running simulator: settings plus the shared store, workers (threads here, or playback
processes) and webhook sender."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator.callbacks import Webhooks
from simulator.pool import Pool
from simulator.settings import Settings
from simulator.state import Store

if TYPE_CHECKING:
    from simulator.processes import Processes


@dataclass
class Runtime:
    settings: Settings
    store: Store
    pool: Pool | Processes
    webhooks: Webhooks

    @classmethod
    def build(cls, settings: Settings) -> Runtime:
        settings.validate()
        store = Store(speed=settings.speed, incoming=settings.incoming, max_records=settings.max_records,
                      detail_records=settings.detail_records)
        if settings.processes:
            from simulator.processes import Processes  # it imports playback, which builds a Runtime

            pool = Processes(store, settings)
        else:
            pool = Pool(store, settings.concurrency, settings.backlog)
        webhooks = Webhooks(settings.auth_token, settings.webhook_timeout, pool.sleep)
        return cls(settings=settings, store=store, pool=pool, webhooks=webhooks)

    @property
    def public_url(self) -> str:
        return self.settings.base_url()
