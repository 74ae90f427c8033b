"""Sign audit digests with an AWS KMS key (``audit.kms_key_id``): the private key never leaves KMS.

The key must be asymmetric, ``KeySpec=ECC_NIST_P256``, ``KeyUsage=SIGN_VERIFY``; digests are
signed with ``kms:Sign`` (``ECDSA_SHA_256``, ``MessageType=RAW``) and carry
``"algorithm": "ECDSA_SHA_256"``. The public key comes from ``kms:GetPublicKey`` once per process,
so verification (and an auditor, with ``assetguard audit public-key``) needs no KMS call per
digest. Permissions: ``kms:Sign`` for the process that writes digests, ``kms:GetPublicKey`` for
those that verify::

    audit:
      kms_key_id: arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
"""

from __future__ import annotations

import base64
import functools
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from assetguard.audit.signing import PublicKey, key_id
from assetguard.core.errors import ConfigError, ProviderError

ALGORITHM = "ECDSA_SHA_256"


class KmsSigner:
    """A :class:`~assetguard.audit.signing.DigestSigner` backed by ``kms:Sign``."""

    algorithm = ALGORITHM

    def __init__(self, client: Any, kms_key_id: str) -> None:
        self._client = client
        self.kms_key_id = kms_key_id
        try:
            answer = client.get_public_key(KeyId=kms_key_id)
        except Exception as exc:  # noqa: BLE001 - botocore's errors, named in one line
            raise ProviderError(f"kms:GetPublicKey for {kms_key_id} failed: {_reason(exc)}") from None
        # Judged by the key material itself (KeySpec is absent from some answers, e.g. moto's).
        public = load_der_public_key(answer["PublicKey"])
        spec = answer.get("KeySpec") or answer.get("CustomerMasterKeySpec") or type(public).__name__
        if (not isinstance(public, ec.EllipticCurvePublicKey) or not isinstance(public.curve, ec.SECP256R1)
                or answer.get("KeyUsage", "SIGN_VERIFY") != "SIGN_VERIFY"):
            raise ConfigError(f"KMS key {kms_key_id} is {spec}/{answer.get('KeyUsage')}; audit digests need an "
                              "ECC_NIST_P256 key with KeyUsage SIGN_VERIFY", where="audit.kms_key_id")
        self.public_key: PublicKey = public
        self.key_id = key_id(public)

    def sign(self, payload: bytes) -> str:
        try:
            answer = self._client.sign(KeyId=self.kms_key_id, Message=payload, MessageType="RAW",
                                       SigningAlgorithm=ALGORITHM)
        except Exception as exc:  # noqa: BLE001 - botocore's errors, named in one line
            raise ProviderError(f"kms:Sign with {self.kms_key_id} failed: {_reason(exc)}") from None
        return base64.b64encode(answer["Signature"]).decode()

    @classmethod
    def from_settings(cls, settings: Any) -> KmsSigner:
        aws = settings.audit.kms_key_id, settings.aws.profile, settings.aws.endpoint_url, settings.aws.regions[0]
        return _cached(*aws)


@functools.lru_cache(maxsize=4)
def _cached(kms_key_id: str, profile: str | None, endpoint_url: str | None, default_region: str) -> KmsSigner:
    import boto3

    # A key ARN names its region; an id or alias uses the first configured region.
    parts = kms_key_id.split(":")
    region = parts[3] if kms_key_id.startswith("arn:") and len(parts) > 3 else default_region
    session = boto3.Session(profile_name=profile) if profile else boto3.Session()
    return KmsSigner(session.client("kms", region_name=region, endpoint_url=endpoint_url), kms_key_id)


def _reason(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', type(exc).__name__)}: {error.get('Message', '')}".strip()
    return type(exc).__name__
