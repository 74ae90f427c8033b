"""The Ed25519 key that signs audit digests, kept in a file outside the database.

The file holds a PKCS#8 PEM private key with mode 0600. It is created on first use (atomically,
so two processes starting together end up with the same key) and refused when its group or
others may read it. Anyone who can write the database but cannot read this file cannot sign a
digest, which is what makes a rewritten trail detectable::

    signer = Signer.from_file(Path(".assetguard/audit-signing.key"))
    signature = signer.sign(b"payload")
    verify_signature(signer.public_key, signature, b"payload")   # True
    public_pem(signer.public_key)     # give this to an auditor with an export
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from assetguard.core.errors import ConfigError

ALGORITHM = "Ed25519"
KEY_FILE = "audit-signing.key"


def key_path(settings: Any) -> Path:
    """The configured key file: ``audit.signing_key_path``, else ``data_dir/audit-signing.key``."""
    configured = settings.audit.signing_key_path
    return Path(configured) if configured is not None else Path(settings.data_dir) / KEY_FILE


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint: the first 16 bytes of SHA-256 over the raw public key, in hex."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(data: bytes, *, where: str) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (a private key file yields its public half)."""
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return public
    except (ValueError, TypeError):
        raise ConfigError("not a PEM key (expected an Ed25519 public key, as `audit export` writes)",
                          where=where) from None
    raise ConfigError("not an Ed25519 key", where=where)


def verify_signature(public_key: Ed25519PublicKey, signature_b64: str, payload: bytes) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), payload)
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """Signs with the private key; ``key_id`` names the public half in every digest."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id(self.public_key)

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode()

    @classmethod
    def from_file(cls, path: Path, *, create: bool = True) -> Signer:
        """Load the key at ``path``, creating it (mode 0600) when missing and ``create`` is set."""
        if not path.exists():
            if not create:
                raise ConfigError("the audit signing key does not exist (`assetguard audit digest` creates it)",
                                  where=str(path))
            _create(path)
        _check_mode(path)
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError):
            raise ConfigError("not a PEM private key", where=str(path)) from None
        except OSError as exc:
            raise ConfigError(f"cannot read the audit signing key: {exc.strerror}", where=str(path)) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError("the audit signing key must be an Ed25519 key", where=str(path))
        return cls(key)


def _check_mode(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"the audit signing key is readable or writable by group or others (mode "
                          f"{stat.S_IMODE(mode):04o}); run `chmod 600 {path}`", where=str(path))


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                     serialization.NoEncryption())
    # Written to a private temporary file, then linked into place: the name appears complete and
    # 0600 or not at all, and a process that loses the race keeps the winner's key.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(tmp)
