"""Typed configuration, one settings class per process, all read from `AGORA_*` variables.

Every default is an embedded one, so `agora demo` needs no server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AGORA_", extra="ignore")

    data_dir: Path = Path("var")
    kafka_bootstrap: str = "127.0.0.1:9092"
    redis_url: str | None = Field(
        default=None, description="Online store on Redis; unset means the embedded store."
    )
    online_store_path: Path | None = Field(
        default=None, description="Embedded online store file (default <data_dir>/online.db)."
    )
    lake_path: Path | None = Field(
        default=None, description="Parquet lake (default <data_dir>/lake)."
    )
    log_level: str = "INFO"
    database_url: str = Field(
        default="", description="The core's database (default sqlite file <data_dir>/core.db).")

    @model_validator(mode="after")
    def _default_database(self) -> CommonSettings:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'core.db'}"
            self.__pydantic_fields_set__.discard("database_url")  # a default, not given
        return self

    @field_validator("redis_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @property
    def online_store_url(self) -> str:
        if self.redis_url:
            return self.redis_url
        return f"sqlite:///{self.online_store_path or self.data_dir / 'online.db'}"

    @property
    def lake(self) -> Path:
        return self.lake_path or self.data_dir / "lake"


class AdminKeySettings(CommonSettings):
    """The admin key: the API honours it, `agora demo` and `agora stack` pass it on."""

    admin_api_key: SecretStr | None = Field(
        default=None, description="A key with every scope; further keys live hashed in the DB.")

    @field_validator("admin_api_key")
    @classmethod
    def _no_placeholder_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        raw = value.get_secret_value()
        if len(raw) < 16 or raw.lower() in {"changeme", "changethis", "secret", "admin"}:
            raise ValueError("AGORA_ADMIN_API_KEY must be a real secret of 16+ characters")
        return value


class StreamSettings(CommonSettings):
    """What the worker writes and the API reads alike, so both must agree: the worker's id
    (its Faust app and Kafka consumer group) and the decay of the trending counters."""

    worker_app_id: str = Field(default="agora-worker",
                               description="The workers' consumer group (the API reads its lag).")
    trending_half_life_s: float = Field(default=900.0, gt=0)


class RegistrySettings(CommonSettings):
    """The MLflow registry the trainer writes and the API follows."""

    mlflow_tracking_uri: str | None = Field(
        default=None, description="MLflow tracking/registry URI (default <data_dir>/mlflow.db).")
    model_name: str = "agora-recommender"

    @property
    def mlflow_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{(self.data_dir / 'mlflow.db').resolve()}"


class WorkerSettings(StreamSettings):
    """`agora worker`: the batched consumer and the Faust agents (agents.app)."""

    worker_web_port: int = 6066
    worker_web_bind: str = Field(
        default="127.0.0.1", description="Address of /metrics; 0.0.0.0 where Prometheus "
        "scrapes from another host (compose).")
    # 10,000: more of a user's events fold into one session, history and trending write
    # (docs/benchmarks.md, Stream: 29 -> 26 us of worker and Redis CPU an event).
    worker_batch_max: int = Field(default=10_000, ge=1)
    worker_batch_within_s: float = Field(default=0.1, gt=0)
    worker_session_timeout_s: float = Field(
        default=6.0, gt=0, description="Kafka group session; failover takes about this long.")
    hot_half_life_s: float = Field(default=6 * 3600.0, gt=0)
    once_ttl_s: float = Field(default=86_400.0, gt=0,
                              description="How long event ids of exact state are remembered.")
    lake_flush_s: float = Field(default=60.0, gt=0)
    lake_flush_bytes: int = Field(default=64 << 20, gt=0)
    lake_enabled: bool = True
    lake_retention_days: int | None = Field(
        default=None, ge=1, description="Expire lake dates older than this many days "
        "(1: today only); unset: keep everything.")
    lake_compact_every_s: float = Field(
        default=3600.0, ge=0, description="Compact the lake's past dates (one exact file per "
        "date and type) and apply the retention this often; 0: never (`agora lake`).")
    low_stock_cover_days: float = Field(default=3.0, gt=0)
    low_stock_min_units: int = Field(default=5, ge=0)
    low_stock_thresholds: dict[str, float] = Field(default_factory=dict)
    moderation_reporters: int = Field(default=3, ge=1)
    moderation_posts_per_minute: int = Field(default=5, ge=1)
    moderation_text_threshold: float = Field(default=0.6, gt=0)
    moderation_scorer: str = "agents.community.moderation:heuristic_scorer"


class ServingSettings(StreamSettings, RegistrySettings, AdminKeySettings):
    """`agora serve`: the HTTP API."""

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    analytics_public: bool = Field(
        default=True, description="Analytics and the dashboard readable without a key (the "
        "embedded demo). Production sets false: they then need the `ops` scope, and a browser "
        "signs in once with /dashboard?key=… (an HttpOnly cookie).")
    readiness_timeout_s: float = Field(default=2.0, gt=0)
    # models from the registry (docs/serving.md)
    model_poll_s: float = Field(default=5.0, gt=0, description="How often aliases are re-read.")
    challenger_share: float = Field(default=0.0, ge=0.0, le=1.0)
    # the A/B test's decision (serving/recommend/experiments.py, docs/serving.md)
    ab_auto_promote: bool = Field(
        default=False, description="Make a challenger that won its A/B test the champion.")
    ab_alpha: float = Field(default=0.05, gt=0, lt=1, description="False decision rate.")
    ab_tau: float = Field(default=0.02, gt=0, le=1,
                          description="The mSPRT mixture's spread: the CTR lift expected.")
    ab_min_served: int = Field(default=1000, ge=1,
                               description="Lists per arm before anything is decided.")
    # rotation: recently served items lowered (serving/recommend/diversity.py)
    rotation_penalty: float = Field(
        default=0.0, ge=0.0, le=2.0, description="Taken off a recently served item's value "
        "(relevance is 0..1; over 1 serves it after every other candidate); 0 is off.")
    rotation_window_s: float = Field(default=3600.0, gt=0, le=86_400.0,
                                     description="How recent a served item counts.")
    # request handling
    store_timeout_s: float = Field(default=0.05, gt=0, description="Budget of a feature read.")
    rate_limit_per_s: float = Field(
        default=2000.0, gt=0, description="Per API key, or per client address for callers "
        "without a valid key; shared by the replicas through Redis (docs/serving.md).")
    rate_limit_burst: int = Field(default=4000, ge=1)
    rate_limit_redis_url: str | None = Field(
        default=None, description="Redis of the shared buckets (default AGORA_REDIS_URL; in "
        "process when neither is set).")
    rate_limit_key_prefix: str = Field(default="agora:ratelimit",
                                       pattern=r"^[A-Za-z0-9:_.-]{1,64}$")
    rate_limit_redis_timeout_s: float = Field(
        default=0.1, gt=0, description="Budget of one shared-bucket call; past it, or on a "
        "Redis error, the request is counted in process.")
    rate_limit_redis_retry_s: float = Field(
        default=5.0, gt=0, description="After a Redis failure, buckets stay in process this "
        "long before Redis is tried again.")
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    events_max_batch: int = Field(default=500, ge=1)
    cors_origins: list[str] = Field(default_factory=list)
    publish_timeout_s: float = Field(default=10.0, gt=0)
    # the transactional core (docs/core.md)
    database_pool_size: int = Field(default=20, ge=1)
    api_key_cache_s: float = Field(default=30.0, ge=0)

    @property
    def rate_limit_storage_url(self) -> str | None:
        return self.rate_limit_redis_url or self.redis_url


class SweeperSettings(CommonSettings):
    """`agora sweep` (and the sweeper inside `agora relay`): orders left half done."""

    sweep_payment_timeout_s: float = Field(
        default=300.0, gt=0, description="An order `paying` this long is settled from the "
        "gateway's answer; keep it well above the gateway's own call timeout.")
    sweep_reservation_ttl_s: float = Field(
        default=1800.0, gt=0, description="An order never paid this long is cancelled and "
        "its stock released.")
    sweep_batch_size: int = Field(default=100, ge=1, description="Orders per transaction.")
    sweep_interval_s: float = Field(default=5.0, gt=0)

    def sweep_options(self) -> dict[str, float]:
        return {"payment_timeout_s": self.sweep_payment_timeout_s,
                "reservation_ttl_s": self.sweep_reservation_ttl_s,
                "batch_size": self.sweep_batch_size, "interval_s": self.sweep_interval_s}


class RelaySettings(SweeperSettings):
    """`agora relay`: the outbox relay of the core, with the sweeper unless `relay_sweep`
    is false (then run `agora sweep` somewhere)."""

    relay_batch_size: int = Field(default=500, ge=1)
    relay_shards_per_claim: int = Field(default=4, ge=1)
    relay_delivery_timeout_s: float = Field(default=10.0, gt=0)
    relay_backoff_max_s: float = Field(default=5.0, gt=0)
    # after a round smaller than a batch: more rows per claim, at most this much later on Kafka
    relay_linger_s: float = Field(default=0.02, ge=0, le=1)
    # sent outbox rows are kept this long, then purged
    relay_retention_s: float = Field(default=7 * 86_400.0, ge=0)
    relay_sweep: bool = True
    relay_metrics_port: int = Field(default=0, ge=0, description="/metrics; 0: none.")
    relay_metrics_bind: str = "127.0.0.1"


class LaunchSettings(AdminKeySettings):
    """`agora demo` and `agora stack`: what the launcher reads before it starts the processes
    (each child reads its own settings from the environment the launcher hands it)."""

    datasets: Path | None = Field(
        default=None, description="Health datasets (pima-diabetes/, uci-heart-disease/); "
        "default ../shared/datasets or ../datasets beside the project, when present.")
    stack_postgres_url: str = Field(
        default="postgresql://postgres@127.0.0.1:5432/postgres",
        description="`agora stack`: the server its databases are created on.")
    stack_mlflow_database_url: str | None = Field(
        default=None, description="`agora stack`: MLflow's database (default: one created "
        "on stack_postgres_url).")

    def given(self, name: str) -> Any | None:
        """A setting's value when the environment (or the caller) gave one, else None: what
        the launcher then provides itself (a broker, a Redis, the databases)."""
        return getattr(self, name) if name in self.model_fields_set else None


class SimulatorSettings(AdminKeySettings):
    """`agora simulate`."""

    simulator_api_url: str | None = Field(
        default=None, description="The API the simulated users ask for recommendations (with "
        "the admin key) and click on; without it the simulator makes up served lists.")


class TrainerSettings(RegistrySettings):
    """`agora trainer`: retrains from the lake, promotes only what beats the champion."""

    trainer_families: list[str] = Field(
        default_factory=lambda: ["popularity", "item_knn", "ease", "hybrid"],
        description="Model families compared on the holdout each cycle.")
    trainer_interval_s: float = Field(default=3600.0, ge=0, description="0: no schedule.")
    trainer_min_new_events: int = Field(
        default=0, ge=0, description="Retrain after this many new lake rows; 0: off.")
    trainer_poll_s: float = Field(default=10.0, gt=0)
    trainer_holdout_share: float = Field(default=0.2, gt=0, lt=1,
                                         description="The most recent share of events.")
    trainer_half_life_days: float | None = None
    trainer_challenger: bool = Field(
        default=False, description="The best candidate becomes the challenger, not champion.")
    trainer_min_score: float = Field(default=0.0, description="Holdout nDCG@10 floor.")
    trainer_health_data: Path | None = Field(
        default=None, description="Folder with pima-diabetes/ and uci-heart-disease/.")
    trainer_metrics_port: int = Field(default=9500, ge=0, description="/metrics; 0: none.")
    trainer_metrics_bind: str = "127.0.0.1"
