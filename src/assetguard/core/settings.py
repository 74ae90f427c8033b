"""Platform settings: ``assetguard.yaml`` plus ``ASSETGUARD_*`` environment overrides.

Precedence, highest first: environment (``ASSETGUARD_BUS_URL``, nested with ``__`` as in
``ASSETGUARD_SMTP__HOST``), then the YAML file (``--config`` or ``ASSETGUARD_CONFIG``), then defaults.
Unknown keys and wrong types are errors that name the key and the file line.

Example ``assetguard.yaml``::

    database_url: postgresql://postgres@127.0.0.1:5432/assetguard
    smtp:
      host: 127.0.0.1
      port: 1025
      recipients: [ops@example.com]
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assetguard.core.errors import ConfigError
from assetguard.core.yamlfile import load_yaml, pydantic_errors

PLACEHOLDER_SECRETS = {"changeme", "change-me", "secret", "password", "xxx", "todo"}


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def checked_networks(value: list[str]) -> list[str]:
    """``value`` unchanged when every entry is an IP address or network (the CIDR-list settings)."""
    import ipaddress

    for cidr in value:
        try:
            ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            raise ValueError(f"{cidr!r} is not an IP address or network (expected e.g. 10.0.0.0/8 or fd00::/8)") from None
    return value


class ApiSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    public_url: str | None = None  # used in links inside alerts; defaults to http://host:port
    auth_failure_limit: int = Field(10, ge=1, description="failed authentications per minute, per client address "
                                    "and per token id, before failures answer 429")
    trusted_proxies: list[str] = Field(
        default_factory=list, description="reverse proxies (IPs or CIDRs) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed; empty: the connection's peer is the client")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_networks(cls, value: list[str]) -> list[str]:
        return checked_networks(value)


class SmtpSettings(Section):
    host: str | None = None
    port: int = Field(25, ge=1, le=65535)
    username: str | None = None
    password: SecretStr | None = None
    security: Literal["none", "starttls", "tls"] = "none"
    sender: str = "assetguard@localhost"
    recipients: list[str] = Field(default_factory=list, max_length=10)
    timeout: float = Field(10.0, gt=0)


class SlackSettings(Section):
    webhook_url: SecretStr | None = None
    bot_token: SecretStr | None = None
    channel: str | None = None
    api_url: str = "https://slack.com/api"


class WebhookSettings(Section):
    allow_private_networks: list[str] = Field(
        default_factory=list, description="CIDRs that outbound webhooks may reach despite being private"
    )
    timeout: float = Field(10.0, gt=0)


class OutboundSettings(Section):
    """Where outbound targets (webhook, Slack) may connect besides globally routable addresses."""

    allow_cidrs: list[str] = Field(
        default_factory=list, description="networks outbound targets may reach although not globally routable "
        "(e.g. 10.20.0.0/16 for an internal SIEM; 127.0.0.0/8 for local tests)")

    @field_validator("allow_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str]) -> list[str]:
        return checked_networks(value)


class AuditSettings(Section):
    """Signed digests of the audit trail (see ``assetguard audit digest``)."""

    signing_key_path: Path | None = Field(
        None, description="Ed25519 private key (PEM, mode 0600) that signs digests; created on first use; "
        "default data_dir/audit-signing.key. Keep a copy: it is not in the database")
    kms_key_id: str | None = Field(None, description="sign with this AWS KMS key (ECC_NIST_P256, SIGN_VERIFY) "
                                   "instead of the key file")
    digest_every_rows: int = Field(1000, ge=1, description="the scheduler writes a digest once this many rows "
                                   "are not yet covered")
    digest_interval_seconds: float = Field(3600.0, ge=60, description="... or when the oldest uncovered row "
                                           "is this old")


class AwsAccount(Section):
    account_id: str
    role_arn: str | None = None
    regions: list[str] | None = None


class AwsSettings(Section):
    profile: str | None = None
    regions: list[str] = Field(default_factory=lambda: ["us-east-1"])
    accounts: list[AwsAccount] = Field(default_factory=list)
    endpoint_url: str | None = None


class WafSettings(Section):
    listen: str = "127.0.0.1:8000"
    upstream: str = "http://127.0.0.1:8001"
    health_check_path: str | None = Field(
        None, description="GET this path on each upstream (200-399 = healthy); unset: TCP connect check"
    )
    acl: str = "baseline"
    fail_open: bool = False
    log_path: str | None = None
    redis_url: str | None = None
    redis_key_prefix: str = Field(
        "assetguard:", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$",
        description="every Redis key this deployment writes starts with this (WAF rate counts "
        "<prefix>waf:rate:..., failed-auth counts <prefix>auth:fail:...); deployments sharing one Redis "
        "need different prefixes, and every process of one deployment the same")
    geoip_path: str | None = None  # GeoLite2 Country CSV directory or network,country_code CSV
    log_sample_rate: float = Field(1.0, ge=0, le=1, description="share of requests written to the WAF log")
    event_sample_rate: float = Field(0.1, ge=0, le=1, description="share of blocks published on the bus")
    resources: list[str] = Field(default_factory=list, description="files/dirs with IP sets, regex sets, rule groups")
    tls_cert: str | None = None
    tls_key: str | None = None
    managed_dir: str | None = None  # managed rule group documents (default: the shipped ones)
    ipset_dir: str | None = None  # managed:ipset/<name> lists (default: the shipped ones)
    list_sources: dict[str, list[str]] = Field(
        default_factory=dict, description="managed IP lists the leading scheduler refreshes into the database "
        "(job waf.lists.refresh), each from files or http(s) URLs, e.g. {anonymous: "
        "[https://check.torproject.org/exit-addresses]}; names: anonymous, hosting-provider, "
        "amazon-ip-reputation, amazon-reconnaissance, amazon-ddos")
    list_refresh_seconds: float = Field(3600.0, ge=300, description="waf.list_sources are refreshed this often")
    # the proxy's front door (nginx-like defaults; docs/waf.md "Front door")
    header_timeout_seconds: float = Field(60.0, gt=0, description="a request head must arrive whole within this")
    body_timeout_seconds: float = Field(60.0, gt=0, description="longest wait between two reads of a request body")
    keepalive_timeout_seconds: float = Field(75.0, gt=0, description="an idle kept-alive client connection "
                                             "closes after this")
    send_timeout_seconds: float = Field(60.0, gt=0, description="longest wait for a client to take response bytes")
    upstream_connect_timeout_seconds: float = Field(5.0, gt=0)
    upstream_timeout_seconds: float = Field(60.0, gt=0, description="longest wait between two upstream reads or "
                                            "writes")
    max_head_bytes: int = Field(32 * 1024, ge=1024, le=1 << 20, description="request line and header fields")
    max_headers: int = Field(100, ge=8, le=10_000)
    max_body_bytes: int = Field(1 << 20, ge=0, description="largest request body (413 above it); 0 = no limit")
    max_chunk_line_bytes: int = Field(1024, ge=32, le=1 << 16, description="one chunk-size line with extensions")
    max_trailer_bytes: int = Field(8 * 1024, ge=0, le=1 << 20)
    max_connections: int = Field(4096, ge=1, description="client connections per proxy process")
    acl_poll_seconds: float = Field(5.0, ge=0.2, le=300, description="a proxy checks the WAF store for a new "
                                    "version of its ACL this often (a change also wakes it at once on PostgreSQL)")
    heartbeat_seconds: float = Field(5.0, ge=0.2, le=300, description="a proxy reports its ACL version, address "
                                     "and health to the database this often")

    @field_validator("list_sources")
    @classmethod
    def _list_sources(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        from assetguard.waf.managed.lists import LIST_NAMES

        for name, sources in value.items():
            if name not in LIST_NAMES:
                raise ValueError(f"unknown list {name!r}; lists: {', '.join(LIST_NAMES)}")
            if not sources:
                raise ValueError(f"list {name!r} needs at least one source")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        from assetguard.core.urls import check_redis_url

        return check_redis_url(value) if value else value


class TaggingSettings(Section):
    params_backend: Literal["local", "ssm"] = "local"
    ssm_region: str | None = None
    params_prefix: str = "/assetguard/tags"
    overwrite_existing: bool = Field(False, description="let auto-tagging replace tags a resource already has")
    apply_to_aws: bool = Field(True, description="tag editor changes AWS resources in AWS too (off: inventory only, "
                               "e.g. offline or in the demo)")
    tagger_marker: str = Field("assetguard-autotag", description="user agent / session name the tagger uses; "
                               "CloudTrail records carrying it are skipped to prevent loops")
    sqs_queue_url: str | None = None
    cloudtrail_s3_uri: str | None = None


class CostSettings(Section):
    sns_topic_arn: str | None = Field(None, description="SNS topic added as subscriber by `budgets push`")
    evaluate_interval_seconds: float = Field(3600.0, ge=60, description="scheduled budget evaluation interval")
    memory_limit: str = Field("1GB", description="DuckDB memory limit for ingestion (spills to data_dir beyond)")


class EventsSettings(Section):
    """Event worker tuning (delivery leases, concurrency, retry backoff)."""

    lease_seconds: float = Field(60.0, gt=0, description="a claimed delivery is retried by another worker after this")
    max_in_flight: int = Field(64, ge=1, le=10000)
    delivery_threads: int = Field(16, ge=1, le=256)
    backoff_base_seconds: float = Field(1.0, gt=0)
    backoff_cap_seconds: float = Field(300.0, gt=0)
    stream: str = Field("assetguard-events", description="NATS JetStream stream name (bus_url=nats://...)")


class TelemetrySettings(Section):
    enabled: bool = True
    embedded_store: bool = Field(True, description="keep spans and metric roll-ups in the platform database")
    retention_days: int = Field(7, ge=1, le=365)
    max_spans: int = Field(2_000_000, ge=10_000, description="bound on stored spans; oldest dropped first")


class InventorySource(Section):
    """One source the scheduler re-collects; ``options`` are the collector's own (e.g. ``root``, ``paths``)."""

    source: Literal["aws", "host", "sbom", "image", "snapshot"]
    interval_seconds: float | None = Field(None, ge=60, description="default 3600 for aws, 900 for host, 3600 others")
    options: dict[str, Any] = Field(default_factory=dict)


class InventorySettings(Section):
    sources: list[InventorySource] = Field(default_factory=lambda: [InventorySource(source="host")])


class DemoSettings(Section):
    app_port: int = Field(8001, ge=1, le=65535)


class SchedulerSettings(Section):
    """Leadership of the periodic jobs: one scheduler leads a deployment at a time."""

    lease_seconds: float = Field(15.0, ge=2, description="a leader that cannot renew its lease for this long is "
                                 "replaced (SQLite); on PostgreSQL a lost database session ends leadership at once")
    check_seconds: float = Field(5.0, gt=0, description="how often the leader re-verifies its lease, also while a "
                                 "job runs, and how often a follower tries to take over")


class RetentionSettings(Section):
    """How long operational records are kept; the scheduler prunes them in batches (job ``retention.prune``)."""

    stream_max_age_hours: float = Field(72.0, gt=0, description="NATS stream: messages older than this are dropped")
    stream_max_bytes: int = Field(1 << 30, ge=1 << 20, description="NATS stream: oldest messages dropped beyond this")
    outbox_days: float = Field(2.0, gt=0, description="delivered (dispatched) outbox rows")
    deliveries_days: float = Field(14.0, gt=0, description="finished delivery records (delivered or dropped; "
                                   "dead letters are kept until replayed or purged)")
    scheduler_runs_days: float = Field(7.0, gt=0, description="the record of scheduled job runs per time slot")
    batch_rows: int = Field(5000, ge=100, le=100_000, description="rows deleted per transaction (short locks)")


class Settings(BaseSettings):
    """All settings of one assetguard deployment."""

    model_config = SettingsConfigDict(env_prefix="ASSETGUARD_", env_nested_delimiter="__", extra="forbid")

    data_dir: Path = Path(".assetguard")
    database_url: str | None = None
    bus_url: str | None = None
    secret_key: SecretStr | None = None
    secret_key_fallbacks: list[SecretStr] = Field(
        default_factory=list, description="previous secret keys, still tried to decrypt the shared keys while they "
        "are re-encrypted under secret_key (`assetguard keys rewrap`)")
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    connect_timeout_seconds: float = Field(
        30.0, gt=0, description="a worker or WAF proxy that cannot reach its database, bus or Redis for this long "
        "at start exits with one line naming the URL")
    api: ApiSettings = Field(default_factory=ApiSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    aws: AwsSettings = Field(default_factory=AwsSettings)
    waf: WafSettings = Field(default_factory=WafSettings)
    demo: DemoSettings = Field(default_factory=DemoSettings)
    tagging: TaggingSettings = Field(default_factory=TaggingSettings)
    telemetry: TelemetrySettings = Field(default_factory=TelemetrySettings)
    cost: CostSettings = Field(default_factory=CostSettings)
    events: EventsSettings = Field(default_factory=EventsSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)
    outbound: OutboundSettings = Field(default_factory=OutboundSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str | None) -> str | None:
        from assetguard.core.urls import check_database_url

        return check_database_url(value) if value else value

    @field_validator("bus_url")
    @classmethod
    def _bus_url(cls, value: str | None) -> str | None:
        from assetguard.core.urls import check_bus_url

        return check_bus_url(value) if value else value

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            raw = value.get_secret_value()
            if raw.lower() in PLACEHOLDER_SECRETS or len(raw) < 16:
                raise ValueError("secret_key must be a real secret of at least 16 characters, not a placeholder")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the YAML file, which arrives as init kwargs.
        return (env_settings, init_settings)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'assetguard.db').as_posix()}"

    @property
    def public_url(self) -> str:
        return self.api.public_url or f"http://{self.api.host}:{self.api.port}"

    def secret(self) -> bytes:
        """The deployment's secret key, generated once into ``data_dir/secret.key`` when not set."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return path.read_text().strip().encode()


def config_path(explicit: str | Path | None = None) -> Path | None:
    """The config file to read: ``--config``, else ``ASSETGUARD_CONFIG``, else ``./assetguard.yaml`` if present."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("ASSETGUARD_CONFIG")
    if env:
        return Path(env)
    default = Path("assetguard.yaml")
    return default if default.exists() else None


def load_settings(path: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from the config file and environment; errors name the key and line."""
    file = config_path(path)
    data: dict[str, Any] = {}
    where = None
    if file is not None:
        if not file.exists():
            raise ConfigError("config file does not exist", where=str(file))
        try:
            raw, where = load_yaml(file)
        except Exception as exc:  # noqa: BLE001 - re-raised as ConfigError with its place
            raise ConfigError(str(exc)) from None
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError("the top level must be a mapping of settings", where=f"{file}:1")
        data = raw
    data.update(overrides)
    try:
        settings = Settings(**data)
    except PydanticValidationError as exc:
        from_env = [e for e in exc.errors() if _env_name(e.get("loc", ())) is not None]
        if from_env:
            # The value came from ASSETGUARD_*, which overrides the file: name the variable, not a line.
            first = from_env[0]
            raise ConfigError(f"{first.get('msg', 'invalid')}",
                              where=f"environment {_env_name(first.get('loc', ()))}") from None
        raise ConfigError(pydantic_errors(exc, where, str(file) if file else "environment")) from None
    _refuse_masks(settings, where, file)
    return settings


def _refuse_masks(settings: Settings, where: Any, file: Path | None) -> None:
    """A secret shown masked (``***``, as ``config show`` prints it) and copied back is not a secret."""
    from assetguard.core.redact import masked_places
    from assetguard.core.yamlfile import json_path

    for loc in masked_places(settings.model_dump()):
        env = _env_name(loc)
        place = f"environment {env}" if env else where.describe(loc) if where else \
            f"{file or 'settings'} ({json_path(loc)})"
        raise ConfigError(f"{place}: this is a masked secret as `config show` prints it, not the secret; put the "
                          "secret itself here (or leave the key out)")


def _env_name(loc: Any) -> str | None:
    """The ``ASSETGUARD_*`` variable that set the value at ``loc``, if one is set."""
    parts = [str(p) for p in loc if isinstance(p, str)]
    for n in range(len(parts), 0, -1):
        name = "ASSETGUARD_" + "__".join(parts[:n]).upper()
        if any(k.upper() == name for k in os.environ):
            return name
    return None
