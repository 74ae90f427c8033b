"""Parameter store with SSM Parameter Store semantics: local (platform database) or ``ssm`` (boto3).

Tag defaults live here, e.g. ``/assetguard/tags/default/Owner`` or
``/assetguard/tags/by-account/123456789012/CostCenter``::

    store = LocalParameterStore(platform)
    store.put("/assetguard/tags/default/Owner", "platform-team", actor=cli_principal())
    store.get("/assetguard/tags/default/Owner").value            # 'platform-team'
    store.get("/assetguard/tags/default/Owner:1")                 # a version selector
    [p.name for p in store.get_by_path("/assetguard/tags", recursive=True)]

Types are ``String``, ``StringList`` (comma-separated) and ``SecureString`` (encrypted at rest,
Fernet, with the deployment's ``parameters`` key from :mod:`assetguard.auth.keys`, which every
process shares through the database). Values written before that key existed were encrypted with
a key derived from the secret key itself; they still decrypt, and the next version of each is
written with the shared key. ``assetguard keys rotate params`` makes a new version of that key
current and re-encrypts every stored value under it in the same transaction
(:func:`reencrypt_secure_values`); older versions are kept, so a value another process wrote
with the previous version in the seconds before it saw the rotation still decrypts. Every change
is versioned and audited.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Connection, delete, func, select, update

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import (
    ConflictError,
    NotFoundError,
    ProviderError,
    ValidationError,
    provider_error,
)
from assetguard.core.redact import MASKS, REDACTED
from assetguard.tagging.tables import parameter_labels, parameter_versions

ParameterType = Literal["String", "StringList", "SecureString"]
TYPES = ("String", "StringList", "SecureString")
MAX_VERSIONS = 100
MAX_VALUE = 4096
_NAME = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
_LABEL = re.compile(r"^[a-zA-Z0-9_.\-]{1,100}$")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    value: str
    version: int
    last_modified: datetime | None = None
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    modified_by: str | None = None

    def public(self) -> dict[str, Any]:
        return {"Name": self.name, "Type": self.type, "Value": self.value, "Version": self.version,
                "LastModifiedDate": self.last_modified.isoformat() if self.last_modified else None,
                "Description": self.description, "Labels": self.labels, "LastModifiedUser": self.modified_by}


def _name_pattern() -> str:
    """What :func:`validate_name` accepts for ``"/" + text.lstrip("/")``, as one regular expression over
    ``text`` (no lookahead, so JSON Schema, pydantic and the fuzzers read it alike)."""
    c = "[a-zA-Z0-9_.-]"
    not_a, not_w, not_s, not_m = "[b-rt-zB-RT-Z0-9_.-]", "[a-vx-zA-VX-Z0-9_.-]", "[a-rt-zA-RT-Z0-9_.-]", \
        "[a-ln-zA-LN-Z0-9_.-]"
    first = (f"({not_a}{c}*|[aA]|[aA]{not_w}{c}*|[aA][wW]|[aA][wW]{not_s}{c}*"
             f"|[sS]|[sS]{not_s}{c}*|[sS][sS]|[sS][sS]{not_m}{c}*)?")
    return f"^/*{first}(/{c}*){{0,14}}$"


# The path parameter of /params/{name}: 1-1010 characters (the leading '/' makes 1011), at most 15 levels,
# not starting with aws or ssm in any case.
NAME_PATH_PATTERN = _name_pattern()


def validate_name(name: str) -> None:
    """SSM naming rules: allowed characters, ≤ 1011 chars, ≤ 15 hierarchy levels, no aws/ssm prefix."""
    where = f"parameter {name!r}"
    if not name or len(name) > 1011:
        raise ValidationError("name must be 1-1011 characters", where=where)
    if not _NAME.match(name):
        raise ValidationError("name may contain only a-zA-Z0-9_.-/", where=where)
    if "/" in name and not name.startswith("/"):
        raise ValidationError("a hierarchical name must begin with '/'", where=where)
    if name.count("/") > 15:
        raise ValidationError("at most 15 hierarchy levels", where=where)
    first = name.lstrip("/").split("/")[0].lower()
    if first.startswith(("aws", "ssm")):
        raise ValidationError("names may not begin with 'aws' or 'ssm'", where=where)


def validate_value(value: str, type_: str, name: str) -> None:
    if type_ not in TYPES:
        raise ValidationError(f"type must be one of {', '.join(TYPES)}", where=f"parameter {name!r}")
    if not value:
        raise ValidationError("value must not be empty", where=f"parameter {name!r}")
    if len(value.encode()) > MAX_VALUE:
        raise ValidationError(f"value exceeds {MAX_VALUE} bytes (standard tier)", where=f"parameter {name!r}")
    if type_ == "SecureString" and value in MASKS:
        raise ValidationError(f"{value!r} is how a SecureString is shown, not its value: send the secret itself",
                              where=f"parameter {name!r}")


def split_selector(name: str) -> tuple[str, str | None]:
    """``/a/b:3`` → (``/a/b``, ``3``); ``/a/b:prod`` → (``/a/b``, ``prod``)."""
    base, sep, selector = name.rpartition(":")
    if sep and base:
        return base, selector
    return name, None


class ParameterStore(Protocol):
    def put(self, name: str, value: str, type_: str = "String", *, overwrite: bool = False,
            description: str | None = None, actor: Principal) -> int: ...

    def get(self, name: str, *, decrypt: bool = True) -> Parameter: ...

    def get_by_path(self, path: str, *, recursive: bool = True, decrypt: bool = True) -> list[Parameter]: ...

    def delete(self, name: str, *, actor: Principal) -> None: ...

    def label(self, name: str, version: int, labels: list[str], *, actor: Principal) -> None: ...

    def history(self, name: str, *, decrypt: bool = False) -> list[Parameter]: ...


def _fernet(secret: bytes) -> Fernet:
    """The key SecureString values had before the shared ``parameters`` key (derived from the secret key)."""
    key = hashlib.sha256(b"assetguard-parameter-store:" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _store_fernet(platform: Any, first: Any = None) -> MultiFernet:
    """Encrypt with the current ``parameters`` key version (or ``first``, a version being made current);
    decrypt with any version or, for the oldest values, the legacy key."""
    from assetguard.auth.keys import PARAMETERS_KEY

    keys = platform.keys
    versions = ([first] if first is not None else []) + keys.valid(PARAMETERS_KEY)
    shared = [Fernet(base64.urlsafe_b64encode(v.key)) for v in versions]
    return MultiFernet([*shared, _fernet(keys.legacy_parameter_secret())])


def reencrypt_secure_values(platform: Any, conn: Connection, new_version: Any) -> int:
    """Re-encrypt every stored ``SecureString`` version under ``new_version`` of the ``parameters``
    key, inside ``conn``'s transaction (the rotation's); returns how many values were rewritten."""
    cipher = _store_fernet(platform, first=new_version)
    rows = conn.execute(select(parameter_versions.c.name, parameter_versions.c.version, parameter_versions.c.value)
                        .where(parameter_versions.c.type == "SecureString")).all()
    for row in rows:
        try:
            value = cipher.rotate(row.value.encode()).decode()
        except InvalidToken:
            raise ProviderError(f"cannot re-encrypt parameter {row.name!r} version {row.version}: no parameter "
                                "key decrypts it; nothing was rotated") from None
        conn.execute(update(parameter_versions).where(parameter_versions.c.name == row.name,
                                                      parameter_versions.c.version == row.version)
                     .values(value=value))
    return len(rows)


def _in_path(name: str, path: str, recursive: bool) -> bool:
    prefix = path.rstrip("/") + "/"
    if not name.startswith(prefix):
        return False
    return recursive or "/" not in name[len(prefix):]


class LocalParameterStore:
    """Parameters in the platform database."""

    def __init__(self, platform: Any) -> None:
        self.db = platform.db
        self.audit = platform.audit
        self._platform = platform
        self._cipher: MultiFernet | None = None
        self._cipher_version = 0

    @property
    def _fernet(self) -> MultiFernet:
        # Made on first SecureString use: plain parameters need no key (nor a secret_key on PostgreSQL),
        # and again when another process has rotated the key.
        from assetguard.auth.keys import PARAMETERS_KEY

        current = self._platform.keys.current(PARAMETERS_KEY).version
        if self._cipher is None or current != self._cipher_version:
            self._cipher = _store_fernet(self._platform)
            self._cipher_version = current
        return self._cipher

    def put(self, name: str, value: str, type_: str = "String", *, overwrite: bool = False,
            description: str | None = None, actor: Principal) -> int:
        validate_name(name)
        validate_value(value, type_, name)
        stored = self._fernet.encrypt(value.encode()).decode() if type_ == "SecureString" else value
        with self.db.begin() as conn:
            latest = conn.execute(select(func.max(parameter_versions.c.version))
                                  .where(parameter_versions.c.name == name)).scalar()
            if latest is not None and not overwrite:
                raise ConflictError(f"parameter {name} already exists; pass overwrite to create version {latest + 1}")
            prev = None
            if latest is not None:
                prev = conn.execute(select(parameter_versions.c.type).where(
                    parameter_versions.c.name == name, parameter_versions.c.version == latest)).scalar()
            version = (latest or 0) + 1
            conn.execute(parameter_versions.insert().values(
                name=name, version=version, type=type_, value=stored, description=description,
                modified_at=utcnow(), modified_by=actor.name))
            self._trim(conn, name)
            shown = REDACTED if type_ == "SecureString" else value
            self.audit.record(conn, actor, "params.put", f"parameter:{name}",
                              before={"version": latest, "type": prev} if latest else None,
                              after={"version": version, "type": type_, "value": shown})
        return version

    def _trim(self, conn: Any, name: str) -> None:
        versions = [r.version for r in conn.execute(select(parameter_versions.c.version).where(
            parameter_versions.c.name == name).order_by(parameter_versions.c.version))]
        labelled = {r.version for r in conn.execute(select(parameter_labels.c.version).where(
            parameter_labels.c.name == name))}
        excess = len(versions) - MAX_VERSIONS
        for v in versions:
            if excess <= 0:
                break
            if v in labelled:
                raise ConflictError(f"parameter {name} has {MAX_VERSIONS} versions and the oldest is labelled; "
                                    "move or delete its label first")
            conn.execute(delete(parameter_versions).where(parameter_versions.c.name == name,
                                                          parameter_versions.c.version == v))
            excess -= 1

    def _row_to_param(self, row: Any, labels: list[str], decrypt: bool) -> Parameter:
        value = row.value
        if row.type == "SecureString":
            if decrypt:
                try:
                    value = self._fernet.decrypt(value.encode()).decode()
                except InvalidToken:
                    raise ProviderError(f"cannot decrypt {row.name}: the secret key changed") from None
        return Parameter(row.name, row.type, value, row.version, row.modified_at, row.description, labels,
                         row.modified_by)

    def _labels(self, conn: Any, name: str) -> dict[int, list[str]]:
        out: dict[int, list[str]] = {}
        for r in conn.execute(select(parameter_labels).where(parameter_labels.c.name == name)):
            out.setdefault(r.version, []).append(r.label)
        return out

    def get(self, name: str, *, decrypt: bool = True) -> Parameter:
        base, selector = split_selector(name)
        with self.db.connect() as conn:
            labels = self._labels(conn, base)
            stmt = select(parameter_versions).where(parameter_versions.c.name == base)
            if selector is None:
                stmt = stmt.order_by(parameter_versions.c.version.desc()).limit(1)
            elif selector.isdigit():
                stmt = stmt.where(parameter_versions.c.version == int(selector))
            else:
                version = next((v for v, ls in labels.items() if selector in ls), None)
                if version is None:
                    raise NotFoundError(f"parameter {base} has no label {selector!r}")
                stmt = stmt.where(parameter_versions.c.version == version)
            row = conn.execute(stmt).first()
        if row is None:
            raise NotFoundError(f"parameter {name} not found")
        return self._row_to_param(row, sorted(labels.get(row.version, [])), decrypt)

    def get_by_path(self, path: str, *, recursive: bool = True, decrypt: bool = True) -> list[Parameter]:
        if not path.startswith("/"):
            raise ValidationError("a path must begin with '/'", where=f"path {path!r}")
        prefix = path.rstrip("/") + "/"
        latest = (select(parameter_versions.c.name, func.max(parameter_versions.c.version).label("v"))
                  .where(parameter_versions.c.name.startswith(prefix, autoescape=True))
                  .group_by(parameter_versions.c.name).subquery())
        stmt = (select(parameter_versions).join(latest, (parameter_versions.c.name == latest.c.name)
                                                & (parameter_versions.c.version == latest.c.v))
                .order_by(parameter_versions.c.name))
        with self.db.connect() as conn:
            rows = [r for r in conn.execute(stmt) if _in_path(r.name, path, recursive)]
            labels = {r.name: self._labels(conn, r.name) for r in rows}
        return [self._row_to_param(r, sorted(labels[r.name].get(r.version, [])), decrypt) for r in rows]

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.db.begin() as conn:
            n = conn.execute(delete(parameter_versions).where(parameter_versions.c.name == name)).rowcount
            if not n:
                raise NotFoundError(f"parameter {name} not found")
            conn.execute(delete(parameter_labels).where(parameter_labels.c.name == name))
            self.audit.record(conn, actor, "params.delete", f"parameter:{name}", before={"versions": n})

    def label(self, name: str, version: int, labels: list[str], *, actor: Principal) -> None:
        for label in labels:
            if not _LABEL.match(label) or label[0].isdigit() or label.lower().startswith(("aws", "ssm")):
                raise ValidationError("labels are 1-100 of a-zA-Z0-9_.-, not starting with a digit, aws or ssm",
                                      where=f"label {label!r}")
        with self.db.begin() as conn:
            exists = conn.execute(select(parameter_versions.c.version).where(
                parameter_versions.c.name == name, parameter_versions.c.version == version)).first()
            if not exists:
                raise NotFoundError(f"parameter {name} has no version {version}")
            current = self._labels(conn, name).get(version, [])
            if len(set(current) | set(labels)) > 10:
                raise ValidationError("a parameter version can have at most 10 labels", where=f"parameter {name}")
            for label in labels:  # a label names one version at a time: it moves
                conn.execute(delete(parameter_labels).where(parameter_labels.c.name == name,
                                                            parameter_labels.c.label == label))
                conn.execute(parameter_labels.insert().values(name=name, label=label, version=version))
            self.audit.record(conn, actor, "params.label", f"parameter:{name}",
                              after={"version": version, "labels": labels})

    def history(self, name: str, *, decrypt: bool = False) -> list[Parameter]:
        with self.db.connect() as conn:
            labels = self._labels(conn, name)
            rows = list(conn.execute(select(parameter_versions).where(parameter_versions.c.name == name)
                                     .order_by(parameter_versions.c.version)))
        if not rows:
            raise NotFoundError(f"parameter {name} not found")
        return [self._row_to_param(r, sorted(labels.get(r.version, [])), decrypt) for r in rows]


class SsmParameterStore:
    """AWS SSM Parameter Store through boto3 (``settings.tagging.params_backend: ssm``)."""

    permissions = ("ssm:PutParameter", "ssm:GetParameter", "ssm:GetParametersByPath", "ssm:DeleteParameter",
                   "ssm:LabelParameterVersion", "ssm:GetParameterHistory", "kms:Decrypt")

    def __init__(self, client: Any, audit: Any = None, db: Any = None) -> None:
        self.client = client
        self.audit = audit
        self.db = db

    def _call(self, op: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, op)(**kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            msg = exc.response.get("Error", {}).get("Message", str(exc))
            if code in ("ParameterNotFound", "ParameterVersionNotFound"):
                raise NotFoundError(f"{kwargs.get('Name', '')}: {msg}") from None
            if code == "ParameterAlreadyExists":
                raise ConflictError(f"{kwargs.get('Name', '')}: {msg}") from None
            if code in ("ValidationException", "InvalidParameter"):
                raise ValidationError(msg) from None
            raise ProviderError(f"ssm {op}: {code}: {msg}") from None
        except BotoCoreError as exc:
            raise provider_error(f"ssm {op}", exc) from None

    def _audit(self, actor: Principal, action: str, name: str, after: Any) -> None:
        if self.audit is not None and self.db is not None:
            with self.db.begin() as conn:
                self.audit.record(conn, actor, action, f"ssm-parameter:{name}", after=after)

    @staticmethod
    def _param(p: dict[str, Any]) -> Parameter:
        return Parameter(p["Name"], p["Type"], p.get("Value", ""), int(p.get("Version", 0)),
                         p.get("LastModifiedDate"), p.get("Description"), list(p.get("Labels", [])),
                         p.get("LastModifiedUser"))

    def put(self, name: str, value: str, type_: str = "String", *, overwrite: bool = False,
            description: str | None = None, actor: Principal) -> int:
        validate_name(name)
        validate_value(value, type_, name)
        kwargs: dict[str, Any] = {"Name": name, "Value": value, "Type": type_, "Overwrite": overwrite}
        if description:
            kwargs["Description"] = description
        version = int(self._call("put_parameter", **kwargs)["Version"])
        self._audit(actor, "params.put", name, {"version": version, "type": type_,
                                                "value": REDACTED if type_ == "SecureString" else value})
        return version

    def get(self, name: str, *, decrypt: bool = True) -> Parameter:
        return self._param(self._call("get_parameter", Name=name, WithDecryption=decrypt)["Parameter"])

    def get_by_path(self, path: str, *, recursive: bool = True, decrypt: bool = True) -> list[Parameter]:
        out: list[Parameter] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Path": path, "Recursive": recursive, "WithDecryption": decrypt}
            if token:
                kwargs["NextToken"] = token
            page = self._call("get_parameters_by_path", **kwargs)
            out.extend(self._param(p) for p in page.get("Parameters", []))
            token = page.get("NextToken")
            if not token:
                return sorted(out, key=lambda p: p.name)

    def delete(self, name: str, *, actor: Principal) -> None:
        self._call("delete_parameter", Name=name)
        self._audit(actor, "params.delete", name, None)

    def label(self, name: str, version: int, labels: list[str], *, actor: Principal) -> None:
        self._call("label_parameter_version", Name=name, ParameterVersion=version, Labels=labels)
        self._audit(actor, "params.label", name, {"version": version, "labels": labels})

    def history(self, name: str, *, decrypt: bool = False) -> list[Parameter]:
        out: list[Parameter] = []
        token = None
        while True:
            kwargs: dict[str, Any] = {"Name": name, "WithDecryption": decrypt}
            if token:
                kwargs["NextToken"] = token
            page = self._call("get_parameter_history", **kwargs)
            out.extend(self._param(p) for p in page.get("Parameters", []))
            token = page.get("NextToken")
            if not token:
                return out


def parameter_store(platform: Any) -> ParameterStore:
    """The configured backend: ``local`` (default) or ``ssm``."""
    cfg = getattr(platform.settings, "tagging", None)
    if cfg is not None and cfg.params_backend == "ssm":
        import boto3

        session = boto3.Session(profile_name=platform.settings.aws.profile)
        client = session.client("ssm", region_name=cfg.ssm_region or platform.settings.aws.regions[0])
        return SsmParameterStore(client, platform.audit, platform.db)
    return LocalParameterStore(platform)
