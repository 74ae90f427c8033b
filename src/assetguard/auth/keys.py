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
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from assetguard.auth.tables import signing_keys
from assetguard.core.clock import utcnow
from assetguard.core.errors import ConfigError
from assetguard.core.settings import Settings
from assetguard.db.engine import Database, normalise_url

SESSION_KEY = "session"  # console session cookies and CSRF tokens (HMAC-SHA256)
WEBHOOK_KEY = "webhook"  # X-AssetGuard-Signature of webhook targets without their own secret
PARAMETERS_KEY = "parameters"  # SecureString values of the local parameter store (Fernet)
KEY_NAMES = (SESSION_KEY, WEBHOOK_KEY, PARAMETERS_KEY)
SECRET_SETTING = "ASSETGUARD_SECRET_KEY"


def derive_kek(secret: bytes) -> bytes:
    """The Fernet key-encryption key for a deployment secret (HKDF-SHA256, 32 bytes, urlsafe base64)."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
               info=b"assetguard key-encryption key v1").derive(secret)
    return base64.urlsafe_b64encode(raw)


def kek_id(kek: bytes) -> str:
    """A short public fingerprint of a KEK, stored beside each key it encrypted."""
    return hmac.new(kek, b"assetguard kek id", hashlib.sha256).hexdigest()[:16]


def check_kek_setting(settings: Settings, dialect: str | None = None) -> None:
    """ConfigError when the deployment has no key-encryption key: PostgreSQL without ``secret_key``.

    ``dialect`` defaults to the one ``database_url`` names, so ``config check`` needs no connection.
    """
    if dialect is None:
        dialect = normalise_url(settings.resolved_database_url).split(":", 1)[0].split("+", 1)[0]
    if settings.secret_key is None and dialect != "sqlite":
        raise ConfigError(f"{SECRET_SETTING} must be set (the same value on every process) when the "
                          f"database is {dialect}: it encrypts the shared signing keys", where="secret_key")


class KeyStore:
    """The deployment's data keys; each is read (or created) once per process, then cached."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._lock = threading.Lock()
        self._cache: dict[str, bytes] = {}
        self._fernet: Fernet | None = None
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
            self._fernet = Fernet(kek)
        return self._fernet

    def key(self, name: str) -> bytes:
        """The 32-byte data key ``name`` (one of :data:`KEY_NAMES`), created on first use."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        if name not in KEY_NAMES:
            raise ValueError(f"unknown key {name!r}; valid keys: {', '.join(KEY_NAMES)}")
        with self._lock:
            if name not in self._cache:
                self._cache[name] = self._load_or_create(name)
            return self._cache[name]

    def text(self, name: str) -> str:
        """Key ``name`` as 64 hex digits: the form given to people, e.g. a webhook receiver's HMAC secret
        (the signature is keyed with these digits' UTF-8 bytes, as a target's own ``secret`` is)."""
        return self.key(name).hex()

    def _load_or_create(self, name: str) -> bytes:
        fernet = self._kek()
        with self.db.connect() as conn:
            row = conn.execute(select(signing_keys).where(signing_keys.c.name == name)).first()
        if row is None:
            ciphertext = fernet.encrypt(secrets.token_bytes(32)).decode()
            with self.db.begin() as conn:
                self._insert_if_absent(conn, name, ciphertext)
            with self.db.connect() as conn:
                row = conn.execute(select(signing_keys).where(signing_keys.c.name == name)).first()
            assert row is not None, "signing key vanished after insert"
        try:
            return fernet.decrypt(row.ciphertext.encode())
        except InvalidToken:
            hint = (f"every process must use the same {SECRET_SETTING}" if self.settings.secret_key is not None
                    else f"this process uses {self.settings.data_dir / 'secret.key'}; set {SECRET_SETTING} "
                         "to the secret the keys were created with")
            raise ConfigError(f"cannot decrypt the {name!r} signing key in the database: it was encrypted with "
                              f"key-encryption key {row.kek_id}, this process has {self._kek_id}; {hint}",
                              where="secret_key") from None

    def _insert_if_absent(self, conn: Connection, name: str, ciphertext: str) -> None:
        values = {"name": name, "ciphertext": ciphertext, "kek_id": self._kek_id, "created_at": utcnow()}
        if self.db.dialect == "postgresql":
            conn.execute(postgresql.insert(signing_keys).values(**values).on_conflict_do_nothing())
        else:
            conn.execute(sqlite.insert(signing_keys).values(**values).on_conflict_do_nothing())

    def legacy_parameter_secret(self) -> bytes:
        """The secret ``SecureString`` values were encrypted with before they had a data key."""
        return self.kek_source()
