"""The key that signs audit digests, kept outside the database: an Ed25519 key file, or AWS KMS.

The file holds a PKCS#8 PEM private key with mode 0600. It is created on first use (atomically,
so two processes starting together end up with the same key) and refused when its group or
others may read it. Anyone who can write the database but cannot read this file cannot sign a
digest, which is what makes a rewritten trail detectable::

    signer = Signer.from_file(Path(".assetguard/audit-signing.key"))
    signature = signer.sign(b"payload")
    verify_signature(signer.public_key, signature, b"payload")   # True
    public_pem(signer.public_key)     # give this to an auditor with an export

With ``audit.kms_key_id`` set, an ECC_NIST_P256 KMS key signs instead (``kms:Sign``,
ECDSA_SHA_256; :mod:`assetguard.audit.kms`) and the private key never leaves KMS.
:func:`signer_for` picks the one the settings name.

Rotation (``assetguard audit rotate-key``), as CloudTrail rotates its digest signing keys: every
digest names the key that signed it (``keyId``, a fingerprint of the public key), so old digests
stay verifiable as long as their public keys are kept. :func:`rotate_key_file` appends the
current public key to ``<key file>.retired.pem`` (beside the key, outside the database, so
whoever can write the database cannot add a key of their own) and atomically replaces the key
file with a new one; the old private key is gone. :func:`trusted_public_keys` is the current key
plus the retired ones, which ``audit verify`` trusts and ``audit export`` carries; a retired key
file key is trusted only for the digests up to the last one it signed before the rotation, so a
stale copy of the old file on another host cannot go on signing. A KMS key is
rotated by naming a new KMS key (:func:`retire_public_key` keeps the old one's public key).
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from assetguard.core.clock import utcnow
from assetguard.core.errors import ConfigError

ALGORITHM = "Ed25519"
KEY_FILE = "audit-signing.key"
RETIRED_SUFFIX = ".retired.pem"
# One retired key: a comment line (``# key id <id>, retired <time>[, last digest #<n>]``), then its PEM.
_ENTRY = re.compile(r"(?:^# key id [0-9a-f]+, retired [^\n,]*(?:, last digest #(?P<last>\d+))?\n)?"
                    r"(?P<pem>-----BEGIN PUBLIC KEY-----.*?-----END PUBLIC KEY-----)", re.S | re.M)

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey


class DigestSigner(Protocol):
    """What :func:`~assetguard.audit.digests.write_digest` needs from a signer."""

    key_id: str
    algorithm: str
    public_key: PublicKey

    def sign(self, payload: bytes) -> str: ...  # base64 signature


def signer_for(settings: Any) -> DigestSigner:
    """The deployment's signer: KMS when ``audit.kms_key_id`` is set, else the key file (created on first use)."""
    if settings.audit.kms_key_id:
        from assetguard.audit.kms import KmsSigner

        return KmsSigner.from_settings(settings)
    return Signer.from_file(key_path(settings))


def deployment_public_key(settings: Any) -> PublicKey | None:
    """The public key that verifies this deployment's digests (None before the first key file)."""
    if settings.audit.kms_key_id:
        return signer_for(settings).public_key
    path = key_path(settings)
    return Signer.from_file(path, create=False).public_key if path.exists() else None


def retired_path(settings: Any) -> Path:
    """Where the public halves of retired signing keys are kept: ``<key file>.retired.pem``."""
    path = key_path(settings)
    return path.with_name(path.name + RETIRED_SUFFIX)


def read_retired(settings: Any) -> list[tuple[PublicKey, int | None]]:
    """The retired keys' public halves, each with the number of the last digest it signed before it
    was retired (None: no limit, e.g. a KMS key, which no stale copy can keep using). The file must
    not be writable by group or others: adding a key to it would make forged digests trusted."""
    path = retired_path(settings)
    if not path.exists():
        return []
    mode = path.stat().st_mode
    if mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise ConfigError(f"the retired audit public keys are writable by group or others (mode "
                          f"{stat.S_IMODE(mode):04o}); run `chmod 600 {path}`", where=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read the retired audit public keys: {exc}", where=str(path)) from None
    out: list[tuple[PublicKey, int | None]] = []
    for number, match in enumerate(_ENTRY.finditer(text), 1):
        key = load_public_key(match["pem"].encode(), where=f"{path} (key {number})")
        out.append((key, int(match["last"]) if match["last"] is not None else None))
    return out


def retired_public_keys(settings: Any) -> dict[str, PublicKey]:
    """The retired keys' public halves by key id (empty before the first rotation)."""
    return {key_id(key): key for key, _last in read_retired(settings)}


def retired_limits(settings: Any) -> dict[str, int]:
    """Key id -> the last digest number a retired key file key may have signed."""
    return {key_id(key): last for key, last in read_retired(settings) if last is not None}


def trusted_public_keys(settings: Any) -> dict[str, PublicKey]:
    """Every key this deployment has signed digests with: the current one (if any) and the retired ones."""
    keys = retired_public_keys(settings)
    current = deployment_public_key(settings)
    if current is not None:
        keys[key_id(current)] = current
    return keys


def retire_public_key(settings: Any, public_key: PublicKey, last_digest: int | None = None) -> None:
    """Append ``public_key`` to the retired keys (0600, fsynced) unless it is there already; with
    ``last_digest``, a digest numbered above it that names this key is reported as not trusted
    (a stale copy of a retired key file still signing)."""
    if key_id(public_key) in retired_public_keys(settings):
        return
    path = retired_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    limit = f", last digest #{last_digest}" if last_digest is not None else ""
    entry = (f"# key id {key_id(public_key)}, retired {utcnow().isoformat(timespec='seconds')}{limit}\n"
             f"{public_pem(public_key)}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write(entry)
        fh.flush()
        os.fsync(fh.fileno())


def rotate_key_file(settings: Any, last_digest: int) -> tuple[Signer, Signer]:
    """Retire the key file's key (which signed digests up to ``last_digest``) and put a new one in
    its place; returns ``(old, new)`` signers.

    The old public key is kept (:func:`retire_public_key`) before the file is replaced, and the
    new key is written to a private temporary file and renamed over the old one, so a process
    reading the file sees the old key or the new one, never a partial file.
    """
    path = key_path(settings)
    old = Signer.from_file(path, create=False)
    retire_public_key(settings, old.public_key, last_digest)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_new_pem())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return old, Signer.from_file(path, create=False)


def key_path(settings: Any) -> Path:
    """The configured key file: ``audit.signing_key_path``, else ``data_dir/audit-signing.key``."""
    configured = settings.audit.signing_key_path
    return Path(configured) if configured is not None else Path(settings.data_dir) / KEY_FILE


def key_id(public_key: PublicKey) -> str:
    """A short fingerprint: the first 16 bytes of SHA-256 over the raw Ed25519 key (over the DER
    SubjectPublicKeyInfo for an EC key), in hex."""
    if isinstance(public_key, Ed25519PublicKey):
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    else:
        raw = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public_key: PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_key(data: bytes, *, where: str) -> PublicKey:
    """An Ed25519 or P-256 public key from PEM (an Ed25519 private key file yields its public half)."""
    try:
        if b"PRIVATE KEY" in data:
            private = serialization.load_pem_private_key(data, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private.public_key()
        else:
            public = serialization.load_pem_public_key(data)
            if isinstance(public, Ed25519PublicKey):
                return public
            if isinstance(public, ec.EllipticCurvePublicKey) and isinstance(public.curve, ec.SECP256R1):
                return public
    except (ValueError, TypeError):
        raise ConfigError("not a PEM key (expected an Ed25519 or P-256 public key, as `audit public-key` "
                          "prints)", where=where) from None
    raise ConfigError("not an Ed25519 or P-256 (KMS ECC_NIST_P256) key", where=where)


def verify_signature(public_key: PublicKey, signature_b64: str, payload: bytes) -> bool:
    """Ed25519, or ECDSA with SHA-256 (DER signature, as KMS returns) for a P-256 key."""
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        if isinstance(public_key, Ed25519PublicKey):
            public_key.verify(signature, payload)
        else:
            public_key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError):
        return False
    return True


class Signer:
    """Signs with an Ed25519 private key; ``key_id`` names the public half in every digest."""

    algorithm = ALGORITHM

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._key = private_key
        self.public_key: PublicKey = private_key.public_key()
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


def _new_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption())


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = _new_pem()
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
