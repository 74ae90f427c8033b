"""Signing and encryption keys shared by every process, kept in the database, encrypted at rest.

Every process of a deployment must sign console sessions and CSRF tokens, webhook deliveries and
encrypt ``SecureString`` parameters with the same keys, whatever host it runs on. So these keys
are random data keys stored in the ``signing_keys`` table, each encrypted (Fernet) with a
key-encryption key (KEK) that never enters the database:

- ``secret_key`` (``ASSETGUARD_SECRET_KEY``) when set: the KEK is derived from it (HKDF-SHA256).
  Every process of a deployment must then have the same value.
- Otherwise, with SQLite (the embedded single-host mode), from the data directory's
  ``secret.key`` file, generated on first use (0600), as before.
- Otherwise (PostgreSQL: processes on several hosts) there is no safe KEK, and the platform
  refuses to start with one line naming ``ASSETGUARD_SECRET_KEY``.

The first process that needs a key creates it: insert-if-absent under the primary key, then
read back, so concurrent starters all use the one row that won::

    keys = KeyStore(settings, db)
    keys.check()                        # ConfigError when no KEK can be had (PostgreSQL, no secret_key)
    hmac.new(keys.key(SESSION_KEY), payload, "sha256")

A row encrypted under another KEK (a process started with a different ``secret_key``) is a
ConfigError naming both key ids, never a silent new key.

Rotation (``assetguard keys rotate session|webhook|params``), after AWS KMS key rotation and
Django's ``SECRET_KEY_FALLBACKS``: a new random version becomes current, and the versions before
it stay usable for *verification* (or decryption) for a grace period stored with the new version:

- ``session``: 12 hours (the session lifetime), so every console session signed before the
  rotation keeps working until it expires; a cookie names the version that signed it;
- ``webhook``: 24 hours by default, during which each delivery carries one signature per valid
  version (``X-AssetGuard-Signature: sha256=<current>, sha256=<previous>``), so a receiver can
  switch to the new secret at any time in that window;
- ``parameters``: indefinitely; the rotation re-encrypts every stored ``SecureString`` value
  under the new version (:func:`assetguard.tagging.params.reencrypt_secure_values`).

Every process sees a rotation without restart: the versions are in the database, and each
process checks for a newer one at most every :data:`REFRESH_SECONDS` (and at once when it is
shown a version it does not know, e.g. a session cookie signed by a newer key).

The KEK itself is rotated by re-encrypting every stored version (``assetguard keys rewrap``):
with the new ``secret_key`` set and the old one in ``secret_key_fallbacks`` (or named with
``--old-secret-env``); ``secret_key_fallbacks`` are also tried whenever a key is decrypted, so
processes can be moved to the new secret one at a time (docs/security.md, docs/scale-out.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from assetguard.auth.principal import Principal
from assetguard.auth.tables import signing_key_versions, signing_keys
from assetguard.core.clock import utcnow
from assetguard.core.errors import ConfigError, ConflictError, ValidationError
from assetguard.core.settings import Settings
from assetguard.db.engine import Database, normalise_url

SESSION_KEY = "session"  # console session cookies and CSRF tokens (HMAC-SHA256)
WEBHOOK_KEY = "webhook"  # X-AssetGuard-Signature of webhook targets without their own secret
PARAMETERS_KEY = "parameters"  # SecureString values of the local parameter store (Fernet)
KEY_NAMES = (SESSION_KEY, WEBHOOK_KEY, PARAMETERS_KEY)
KEY_ALIASES = {"params": PARAMETERS_KEY}  # the name ``keys rotate`` also accepts
SECRET_SETTING = "ASSETGUARD_SECRET_KEY"
REFRESH_SECONDS = 5.0  # how stale a process's view of the current versions may be
FORCED_REFRESH_SECONDS = 1.0  # at most one unprompted reload per second (an unknown version shown)
# How long the versions before a new one keep verifying; None: indefinitely (decryption).
DEFAULT_OVERLAP: dict[str, timedelta | None] = {
    SESSION_KEY: timedelta(hours=12),  # assetguard.api.auth.SESSION_TTL
    WEBHOOK_KEY: timedelta(hours=24),
    PARAMETERS_KEY: None,
}

log = logging.getLogger(__name__)


def derive_kek(secret: bytes) -> bytes:
    """The Fernet key-encryption key for a deployment secret (HKDF-SHA256, 32 bytes, urlsafe base64)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"assetguard key-encryption key v1").derive(secret)
    return base64.urlsafe_b64encode(raw)


def kek_id(kek: bytes) -> str:
    """A short public fingerprint of a KEK, stored beside each key it encrypted."""
    return hmac.new(kek, b"assetguard kek id", hashlib.sha256).hexdigest()[:16]


def key_name(name: str) -> str:
    """The key a user names (``params`` is ``parameters``); ValidationError for any other name."""
    resolved = KEY_ALIASES.get(name, name)
    if resolved not in KEY_NAMES:
        raise ValidationError(f"unknown key {name!r}; valid keys: session, webhook, params", where="NAME")
    return resolved


def check_kek_setting(settings: Settings, dialect: str | None = None) -> None:
    """ConfigError when the deployment has no key-encryption key: PostgreSQL without ``secret_key``.

    ``dialect`` defaults to the one ``database_url`` names, so ``config check`` needs no connection.
    """
    if dialect is None:
        dialect = normalise_url(settings.resolved_database_url).split(":", 1)[0].split("+", 1)[0]
    if settings.secret_key is None and dialect != "sqlite":
        raise ConfigError(f"{SECRET_SETTING} must be set (the same value on every process) when the "
                          f"database is {dialect}: it encrypts the shared signing keys", where="secret_key")


@dataclass(frozen=True)
class KeyVersion:
    """One version of a data key. ``valid_until``: None for the current version (and for older
    parameter keys, kept indefinitely), else when it stops verifying."""

    name: str
    version: int
    key: bytes
    created_at: datetime
    valid_until: datetime | None = None

    @property
    def text(self) -> str:
        """The key as 64 hex digits (what ``keys show`` prints, and what a receiver's HMAC is keyed with)."""
        return self.key.hex()

    def usable(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


@dataclass
class _Ring:
    """A process's decrypted versions of one key; ``current`` is the highest version."""

    versions: dict[int, KeyVersion]
    current: int
    checked: float  # time.monotonic() of the last look at the database
    forced: float = 0.0


class KeyStore:
    """The deployment's data keys, every version; read (or created) on first use, then cached and
    re-checked against the database at most every :data:`REFRESH_SECONDS`."""

    def __init__(self, settings: Settings, db: Database, audit: Any = None) -> None:
        self.settings = settings
        self.db = db
        self.audit = audit  # AuditTrail: rotations and rewraps are recorded
        self._lock = threading.Lock()
        self._rings: dict[str, _Ring] = {}
        self._fernet: Fernet | None = None
        self._fallbacks: list[tuple[str, Fernet]] = []
        self._kek_id = ""

    def kek_source(self) -> bytes:
        """The secret the KEK is derived from: ``secret_key``, else (SQLite only) ``data_dir/secret.key``."""
        check_kek_setting(self.settings, self.db.dialect)
        return self.settings.secret()

    def check(self) -> None:
        """Fail now, with one line, when this process has no key-encryption key."""
        self._kek()

    def _kek(self) -> Fernet:
        if self._fernet is None:
            kek = derive_kek(self.kek_source())
            self._kek_id = kek_id(kek)
            self._fallbacks = [(kek_id(k), Fernet(k)) for k in
                               (derive_kek(s.get_secret_value().encode()) for s in self.settings.secret_key_fallbacks)]
            self._fernet = Fernet(kek)
        return self._fernet

    @property
    def current_kek_id(self) -> str:
        self._kek()
        return self._kek_id

    # ------------------------------------------------------------------ reading
    def key(self, name: str) -> bytes:
        """The current 32-byte data key ``name`` (one of :data:`KEY_NAMES`), created on first use."""
        return self.current(name).key

    def text(self, name: str) -> str:
        """The current key ``name`` as 64 hex digits: the form given to people, e.g. a webhook receiver's
        HMAC secret (the signature is keyed with these digits' UTF-8 bytes, as a target's own ``secret`` is)."""
        return self.current(name).text

    def current(self, name: str) -> KeyVersion:
        """The version that signs and encrypts now."""
        ring = self._ring(name)
        return ring.versions[ring.current]

    def valid(self, name: str) -> list[KeyVersion]:
        """Every version that still verifies (or decrypts), the current one first."""
        ring = self._ring(name)
        now = utcnow()
        return [v for _n, v in sorted(ring.versions.items(), reverse=True) if v.usable(now)]

    def version(self, name: str, number: int) -> KeyVersion | None:
        """Version ``number`` if it still verifies; a version newer than this process knows (made by a
        rotation elsewhere) is looked up at once, at most once a second."""
        ring = self._ring(name)
        if number > ring.current and time.monotonic() - ring.forced >= FORCED_REFRESH_SECONDS:
            ring.forced = time.monotonic()
            ring = self._ring(name, force=True)
        found = ring.versions.get(number)
        return found if found is not None and found.usable(utcnow()) else None

    def _ring(self, name: str, *, force: bool = False) -> _Ring:
        ring = self._rings.get(name)
        if ring is not None and not force and time.monotonic() - ring.checked < REFRESH_SECONDS:
            return ring
        if name not in KEY_NAMES:
            raise ValueError(f"unknown key {name!r}; valid keys: {', '.join(KEY_NAMES)}")
        with self._lock:
            ring = self._rings.get(name)
            if ring is not None and not force and time.monotonic() - ring.checked < REFRESH_SECONDS:
                return ring
            if ring is not None and not force:
                with self.db.connect() as conn:
                    newest = conn.execute(select(func.max(signing_key_versions.c.version))
                                          .where(signing_key_versions.c.name == name)).scalar()
                if (newest or 1) == ring.current:
                    ring.checked = time.monotonic()
                    return ring
            self._rings[name] = self._load(name, ring)
            return self._rings[name]

    def _load(self, name: str, old: _Ring | None) -> _Ring:
        """Read every version of ``name`` (creating version 1 when absent); a version this process
        already holds is not decrypted again, so a rewrap under a new secret does not disturb it."""
        fernet = self._kek()
        rows = self._rows(name)
        if not rows:
            ciphertext = fernet.encrypt(secrets.token_bytes(32)).decode()
            with self.db.begin() as conn:
                self._insert_if_absent(conn, name, ciphertext)
            rows = self._rows(name)
            assert rows, "signing key vanished after insert"
        known = old.versions if old is not None else {}
        versions: dict[int, KeyVersion] = {}
        for i, row in enumerate(rows):
            successor = rows[i + 1] if i + 1 < len(rows) else None
            valid_until = successor["previous_valid_until"] if successor is not None else None
            held = known.get(row["version"])
            if held is not None:
                versions[row["version"]] = KeyVersion(name, held.version, held.key, held.created_at, valid_until)
                continue
            try:
                key = self._decrypt(name, row)
            except ConfigError:
                if old is None or row["version"] == 1:
                    raise
                # A running process keeps the versions it has (e.g. a rotation made under a new secret).
                log.error("cannot decrypt version %s of the %r signing key (key-encryption key %s); keeping "
                          "version %s until this process has the new secret_key", row["version"], name,
                          row["kek_id"], old.current)
                break
            versions[row["version"]] = KeyVersion(name, row["version"], key, row["created_at"], valid_until)
        return _Ring(versions, max(versions), time.monotonic())

    def _rows(self, name: str) -> list[dict[str, Any]]:
        with self.db.connect() as conn:
            first = conn.execute(select(signing_keys).where(signing_keys.c.name == name)).first()
            rest = conn.execute(select(signing_key_versions).where(signing_key_versions.c.name == name)
                                .order_by(signing_key_versions.c.version)).all()
        if first is None:
            return []
        rows = [{"version": 1, "ciphertext": first.ciphertext, "kek_id": first.kek_id,
                 "created_at": first.created_at, "previous_valid_until": None}]
        return rows + [dict(r._mapping) for r in rest]

    def _decrypt(self, name: str, row: dict[str, Any]) -> bytes:
        fernet = self._kek()
        for candidate in (fernet, *(f for _id, f in self._fallbacks)):
            try:
                return candidate.decrypt(row["ciphertext"].encode())
            except InvalidToken:
                continue
        hint = (f"every process must use the same {SECRET_SETTING} (or have the old one in "
                "ASSETGUARD_SECRET_KEY_FALLBACKS while `assetguard keys rewrap` runs)"
                if self.settings.secret_key is not None
                else f"this process uses {self.settings.data_dir / 'secret.key'}; set {SECRET_SETTING} "
                     "to the secret the keys were created with")
        tried = ", ".join([self._kek_id, *(i for i, _f in self._fallbacks)])
        which = f"the {name!r} signing key" + (f" (version {row['version']})" if row["version"] != 1 else "")
        raise ConfigError(f"cannot decrypt {which} in the database: it was encrypted with key-encryption key "
                          f"{row['kek_id']}, this process has {tried}; {hint}", where="secret_key")

    def _insert_if_absent(self, conn: Connection, name: str, ciphertext: str) -> None:
        values = {"name": name, "ciphertext": ciphertext, "kek_id": self._kek_id, "created_at": utcnow()}
        if self.db.dialect == "postgresql":
            conn.execute(postgresql.insert(signing_keys).values(**values).on_conflict_do_nothing())
        else:
            conn.execute(sqlite.insert(signing_keys).values(**values).on_conflict_do_nothing())

    def legacy_parameter_secret(self) -> bytes:
        """The secret ``SecureString`` values were encrypted with before they had a data key."""
        return self.kek_source()

    # ------------------------------------------------------------------ rotation
    def describe(self, name: str) -> list[dict[str, Any]]:
        """Every stored version of ``name`` (newest first) with its state, for ``keys list``; no key material."""
        rows = self._rows(name)
        now = utcnow()
        out = []
        for i, row in enumerate(rows):
            successor = rows[i + 1] if i + 1 < len(rows) else None
            until = successor["previous_valid_until"] if successor is not None else None
            if successor is None:
                state = "current"
            elif until is None:
                state = "decrypts (kept)"
            elif now < until:
                state = f"verifies until {until.isoformat(timespec='seconds')}"
            else:
                state = "expired"
            out.append({"name": name, "version": row["version"], "created_at": row["created_at"],
                        "kek_id": row["kek_id"], "state": state})
        return list(reversed(out))

    def rotate(self, name: str, *, actor: Principal, overlap: timedelta | None = None,
               conn_hook: Any = None) -> KeyVersion:
        """Make a new current version of ``name``; the previous ones verify for ``overlap`` more (default
        :data:`DEFAULT_OVERLAP`; always indefinitely for ``parameters``). Recorded in the audit trail.

        ``conn_hook(conn, new_version)`` runs in the same transaction (the parameter store
        re-encrypts its values there). Two rotations at once: one wins, the other is a ConflictError.
        """
        name = key_name(name)
        previous = self.current(name)  # creates version 1 when there is none yet
        if name == PARAMETERS_KEY:
            overlap = None
        elif overlap is None:
            overlap = DEFAULT_OVERLAP[name]
        now = utcnow()
        fernet = self._kek()
        key = secrets.token_bytes(32)
        until = now + overlap if overlap is not None else None
        try:
            with self.db.begin() as conn:
                newest = conn.execute(select(func.max(signing_key_versions.c.version))
                                      .where(signing_key_versions.c.name == name)).scalar()
                number = (newest or 1) + 1
                conn.execute(signing_key_versions.insert().values(
                    name=name, version=number, ciphertext=fernet.encrypt(key).decode(), kek_id=self._kek_id,
                    created_at=now, previous_valid_until=until))
                new = KeyVersion(name, number, key, now)
                if conn_hook is not None:
                    conn_hook(conn, new)
                if self.audit is not None:
                    self.audit.record(conn, actor, "keys.rotate", f"key/{name}",
                                      before={"version": number - 1},
                                      after={"version": number, "kek_id": self._kek_id,
                                             "previous_valid_until": until.isoformat() if until else None})
        except IntegrityError:
            raise ConflictError(f"the {name!r} key was rotated by another process at the same time; "
                                "see `assetguard keys list`") from None
        log.info("rotated the %r key: version %s is current (version %s verifies until %s)", name, number,
                 previous.version, until.isoformat() if until else "indefinitely")
        self._rings.pop(name, None)
        return new

    def rewrap(self, *, actor: Principal, old_secrets: Sequence[bytes] = ()) -> dict[str, int]:
        """Re-encrypt every stored version of every key under this process's KEK (from ``secret_key``),
        decrypting with it, ``secret_key_fallbacks`` or ``old_secrets``. Returns
        ``{"rewrapped": n, "unchanged": m}``; a version no candidate decrypts is a ConfigError and
        nothing is changed."""
        fernet = self._kek()
        candidates = [(self._kek_id, fernet), *self._fallbacks,
                      *((kek_id(k), Fernet(k)) for k in (derive_kek(s) for s in old_secrets))]
        counts = {"rewrapped": 0, "unchanged": 0}
        sources: set[str] = set()
        with self.db.begin() as conn:
            for table, version_of in ((signing_keys, lambda r: 1), (signing_key_versions, lambda r: r.version)):
                for row in conn.execute(select(table)).all():
                    if row.kek_id == self._kek_id:
                        counts["unchanged"] += 1
                        continue
                    plain = None
                    for cid, candidate in candidates:
                        try:
                            plain = candidate.decrypt(row.ciphertext.encode())
                        except InvalidToken:
                            continue
                        sources.add(cid)
                        break
                    if plain is None:
                        raise ConfigError(f"version {version_of(row)} of the {row.name!r} key was encrypted with "
                                          f"key-encryption key {row.kek_id}, which none of the given secrets "
                                          f"derives ({', '.join(c for c, _f in candidates)}); nothing was changed",
                                          where="--old-secret-env")
                    where = table.c.name == row.name
                    if table is signing_key_versions:
                        where = where & (table.c.version == row.version)
                    conn.execute(update(table).where(where).values(ciphertext=fernet.encrypt(plain).decode(),
                                                                   kek_id=self._kek_id))
                    counts["rewrapped"] += 1
            if self.audit is not None and counts["rewrapped"]:
                self.audit.record(conn, actor, "keys.rewrap", "key/*",
                                  before={"kek_ids": sorted(sources)}, after={"kek_id": self._kek_id, **counts})
        self._rings.clear()
        return counts
