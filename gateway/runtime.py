"""Everything a process talks to, made once from the configuration: database, Redis, queues, the
provider gateway and the callback URLs. The web app keeps one in app.extensions; a worker installs
one at start. Tests swap the twilio client at this one point (`_client`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from flask import current_app
from redis import Redis
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from twilio.rest import Client

from gateway import channels, db, geocoding
from gateway.config import Config
from gateway.geocoding import Geocoder
from gateway.limits import Counters
from gateway.provider.client import make_client
from gateway.provider.gateway import ProviderGateway
from gateway.provider.pacing import RateLimiter
from gateway.queues import Jobs
from gateway.urls import CallbackUrls


@dataclass
class Runtime:
    config: Config
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    jobs: Jobs
    _client: Client | None = field(default=None, repr=False)

    @classmethod
    def from_config(cls, config: Config) -> Runtime:
        engine = db.make_engine(config.database_url)
        redis = Redis.from_url(config.redis_url or "redis://127.0.0.1:6379/0")
        return cls(config, engine, db.make_sessionmaker(engine), redis,
                   Jobs(redis, config.queue_prefix))

    @cached_property
    def client(self) -> Client:
        return self._client or make_client(self.config)

    @cached_property
    def provider(self) -> ProviderGateway:
        rates = {c.bucket: c.rate(self.config) for c in channels.REGISTRY.values()}
        limiter = RateLimiter(self.redis, self.config.queue_prefix)
        return ProviderGateway(self.client, limiter, rates, self.config.max_provider_concurrency)

    @cached_property
    def limits(self) -> Counters:
        return Counters(self.redis, self.config.queue_prefix)

    @cached_property
    def geocoder(self) -> Geocoder:
        return geocoding.make(self.config)

    @cached_property
    def urls(self) -> CallbackUrls:
        return CallbackUrls(self.config.public_base_url)

    def transaction(self):
        return db.transaction(self.sessions)


def of_app() -> Runtime:
    """The runtime of the Flask app handling the current request."""
    return current_app.extensions["burgernet"]


_current: Runtime | None = None


def install(runtime: Runtime | None) -> None:
    global _current
    _current = runtime


def current() -> Runtime:
    """The runtime jobs use; built from the environment the first time in a worker process."""
    global _current
    if _current is None:
        _current = Runtime.from_config(Config.from_env())
    return _current
