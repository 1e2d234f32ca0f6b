"""Configuration: embedded defaults, then the environment, then explicit overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace

# The simulator's credentials; used whenever no real Twilio account is configured.
SIMULATOR_ACCOUNT_SID = "AC" + "0" * 31 + "1"
SIMULATOR_AUTH_TOKEN = "simulator-auth-token"


@dataclass(frozen=True)
class Config:
    database_url: str = "sqlite:///var/burgernet.db"
    redis_url: str = ""  # empty: the run command finds or starts one
    secret_key: str = ""
    # Where Twilio reaches us; webhook signatures are computed over this URL, so behind a
    # reverse proxy it must be the public one, not what Flask sees.
    public_base_url: str = "http://127.0.0.1:8080"
    twilio_account_sid: str = SIMULATOR_ACCOUNT_SID
    twilio_auth_token: str = SIMULATOR_AUTH_TOKEN
    # Unset means real Twilio (https://api.twilio.com); the run command points it at the simulator.
    twilio_api_base_url: str = ""
    twilio_timeout_seconds: float = 10.0
    voice_from_number: str = "+31790000001"
    sms_from: str = "+31790000001"
    whatsapp_from: str = "whatsapp:+31790000001"
    # A WhatsApp message to someone who has not written to us in 24 hours must be an approved
    # template (Twilio error 63016 otherwise). Set the Content SID of a template whose one
    # variable {{1}} is the whole text; empty sends free-form text (fine inside the 24 hours).
    whatsapp_content_sid: str = ""
    tipline_number: str = "+318000011"
    control_room_number: str = "+31880000000"
    # How long the tip line rings an operator line before it offers the caller a recording.
    tipline_dial_seconds: int = 20
    # Tip-line recordings older than this are deleted, here and at the provider (purge job).
    recording_retention_days: int = 30
    # Transcription of recordings (gateway/transcription.py); empty: off.
    transcriber: str = ""
    tts_voice: str = "Polly.Lotte"
    # Deliveries per send job. Bigger is fewer jobs to enqueue (a 100k fan-out: 500 of them);
    # a worker claims a job a few deliveries at a time anyway, so it holds no more than it sends.
    send_batch_size: int = 200
    # Provider requests in flight per worker (threads); more workers multiply it. The rate
    # limits below hold across all workers whatever this is.
    max_provider_concurrency: int = 8
    # The provider's contracted rates, shared by every worker through Redis. Twilio's default is
    # 1 call per second per account; SMS is paced per segment.
    calls_per_second: float = 1.0
    sms_segments_per_second: float = 10.0
    whatsapp_per_second: float = 10.0
    # Every claim of a delivery counts as an attempt, whatever ended it (429, timeout, redial).
    max_send_attempts: int = 5
    # After a timeout, wait this long before asking the provider whether the call exists.
    verify_after_seconds: float = 30.0
    # First retry delay after a 429/5xx; doubles per attempt, capped at a minute.
    retry_base_seconds: float = 2.0
    # Busy and unanswered alert calls are dialled again after these delays (seconds, comma
    # separated; empty for never), while the action is active.
    call_retry_delays_seconds: str = "120,300"
    # Longer SMS texts are refused when drafting: each segment costs money and pacing time.
    max_sms_segments: int = 3
    # Participants' mobile numbers must be of these countries (ISO codes, comma separated).
    phone_countries: str = "NL,BE,DE"
    # A delivery claimed longer ago than this lost its worker: verify it with the provider.
    stale_sending_seconds: float = 120.0
    # How often some worker sweeps the database for work Redis lost.
    reconcile_every_seconds: float = 60.0
    queue_prefix: str = "burgernet"
    # Participants (gateway/service/participants.py). GEOCODER: "table" reads GEOCODER_TABLE
    # (CSV: postcode, number, lat, lon; empty: the bundled synthetic Zoetermeer table), "pdok"
    # asks the PDOK Locatieserver.
    geocoder: str = "table"
    geocoder_table: str = ""
    pdok_url: str = "https://api.pdok.nl/bzk/locatieserver/search/v3_1"
    geocoder_timeout_seconds: float = 3.0
    # Verification codes texted (SMS pumping costs real money): per number an hour, per client
    # address an hour, and in all an hour.
    codes_per_number_hour: int = 3
    codes_per_address_hour: int = 10
    codes_per_hour: int = 500
    # Console login attempts per client address in five minutes. Behind a NAT (a control room,
    # a town hall) many people share one address: raise it there.
    login_attempts_per_address: int = 30
    # Reverse proxies in front of the web tier that append to X-Forwarded-For. Every limit per
    # client address reads the address they report; 0 (no proxy) trusts no header, since a
    # client could then name any address it likes and escape the limits.
    proxy_hops: int = 0
    # Heterdaadkracht: the incident types whose actions reach the administrators of the
    # neighbourhood groups their area overlaps unless the operator switches it off (comma
    # separated; the others only when switched on). A suspect caught in the act, by default.
    heterdaadkracht_incident_types: str = "burglary,robbery,hit_and_run,violent_crime"
    # Neighbourhood groups registered through the public form or API, per client address an hour.
    group_requests_per_address_hour: int = 5
    # Unverified registrations are removed after this long.
    unverified_retention_hours: int = 24
    # Numbers on deliveries older than this are anonymised by the purge; 0 keeps them.
    delivery_retention_days: int = 0
    # The console's map tiles ({s}, {z}, {x}, {y} as Leaflet takes them). Without them the map
    # still works: the areas are drawn on a plain background.
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_tile_attribution: str = "&copy; OpenStreetMap contributors"
    map_start: str = "52.0575,4.4931,13"  # latitude, longitude, zoom where a new action's map opens
    # How long one server-sent event stream stays open before the browser reconnects: a web
    # thread is not held forever by a tab left open.
    events_stream_seconds: float = 30.0
    # Open event streams per web process at most: each holds a thread (the Procfile gives 8), and
    # Twilio's webhooks must always find one. More pages wait and retry.
    event_streams_per_process: int = 4
    testing: bool = False

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> Config:
        environ = os.environ if environ is None else environ
        values = {}
        for f in fields(cls):
            raw = environ.get(f.name.upper())
            if raw is None:
                continue
            if f.type == "bool":
                values[f.name] = raw.lower() in ("1", "true", "yes")
            elif f.type == "int":
                values[f.name] = int(raw)
            elif f.type == "float":
                values[f.name] = float(raw)
            else:
                values[f.name] = raw
        return replace(cls(**values), **overrides)

    @property
    def call_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(v) for v in self.call_retry_delays_seconds.split(",") if v.strip())

    @property
    def countries(self) -> tuple[str, ...]:
        return tuple(c.strip().upper() for c in self.phone_countries.split(",") if c.strip())

    @property
    def group_incident_types(self) -> frozenset[str]:
        return frozenset(t.strip() for t in self.heterdaadkracht_incident_types.split(",")
                         if t.strip())

    @property
    def uses_simulator(self) -> bool:
        return self.twilio_account_sid == SIMULATOR_ACCOUNT_SID

    def check(self) -> None:
        """Fail at start-up, with a message that says what to set, rather than at first use."""
        if not self.secret_key and not self.testing:
            raise RuntimeError("SECRET_KEY is not set: set it to a long random string")
        if not self.uses_simulator and self.twilio_auth_token == SIMULATOR_AUTH_TOKEN:
            raise RuntimeError("TWILIO_AUTH_TOKEN must be set with a real TWILIO_ACCOUNT_SID")
        if not self.public_base_url.startswith(("http://", "https://")):
            raise RuntimeError("PUBLIC_BASE_URL must be an absolute http(s) URL")
        try:
            delays = self.call_retry_delays
        except ValueError:
            delays = (-1.0,)
        if any(d < 0 for d in delays):
            raise RuntimeError("CALL_RETRY_DELAYS_SECONDS must be seconds, e.g. 120,300 (or empty)")
        if self.twilio_timeout_seconds * 4 / 3 >= self.stale_sending_seconds:
            # A claim renewed just before its request must not look stale while the request
            # is still in flight, or verification could release what is being sent.
            raise RuntimeError("STALE_SENDING_SECONDS must exceed 4/3 of TWILIO_TIMEOUT_SECONDS")
        if self.geocoder not in ("table", "pdok"):
            raise RuntimeError("GEOCODER must be table or pdok")
        if not 5 <= self.tipline_dial_seconds <= 600:
            raise RuntimeError("TIPLINE_DIAL_SECONDS must be between 5 and 600 (Twilio's range)")
        if not 0 <= self.proxy_hops <= 5:
            raise RuntimeError("PROXY_HOPS must be the number of reverse proxies in front, 0 to 5")
        if self.recording_retention_days < 1:
            raise RuntimeError("RECORDING_RETENTION_DAYS must be at least 1")
        from gateway.models.action import INCIDENT_TYPES  # models import no configuration

        unknown = sorted(self.group_incident_types - set(INCIDENT_TYPES))
        if unknown:
            raise RuntimeError(f"HETERDAADKRACHT_INCIDENT_TYPES: unknown incident type "
                               f"{unknown[0]}; known: {', '.join(INCIDENT_TYPES)}")
        for name in ("calls_per_second", "sms_segments_per_second", "whatsapp_per_second"):
            if getattr(self, name) <= 0:
                raise RuntimeError(f"{name.upper()} must be a positive number")
