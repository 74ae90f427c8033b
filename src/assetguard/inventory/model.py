"""The configuration item (AWS Config's shape) and the software package inside it.

Every asset, cloud or not, is one :class:`ConfigurationItem`; services pass it around as the
dict ``item.model_dump(by_alias=True, mode="json")``::

    ci = ConfigurationItem(resource_type="AWS::S3::Bucket", resource_id="logs", arn="arn:aws:s3:::logs",
                           aws_region="us-east-1", account_id="123456789012",
                           supplementary_configuration={"BucketVersioningConfiguration": {"status": "Off"}})
    ci.model_dump(by_alias=True, mode="json")["resourceType"]   # 'AWS::S3::Bucket'

Packages live in ``configuration["packages"]`` as :class:`Package` dicts, which is where the
vulnerability scanner reads them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

ItemStatus = Literal["OK", "ResourceDiscovered", "ResourceNotRecorded", "ResourceDeleted",
                     "ResourceDeletedNotRecorded"]
DELETED_STATUSES = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded"})

HOST_TYPE = "AssetGuard::Host::Linux"
IMAGE_TYPE = "AssetGuard::Container::Image"
SBOM_TYPE = "AssetGuard::Software::SBOM"

# Keys that describe *when/which version* rather than *what*: excluded from the content hash,
# so an unchanged re-collection hashes identically.
# AWS types listed once per account rather than per region.
ACCOUNT_WIDE_TYPES = frozenset({"AWS::S3::Bucket"})

VOLATILE_KEYS = frozenset({"configurationItemCaptureTime", "configurationItemStatus", "configurationStateId",
                           "configurationItemMD5Hash", "version"})


class _Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Relationship(_Camel):
    """An edge to another resource, e.g. ``{"resourceType": "AWS::EC2::VPC", "resourceId": "vpc-1",
    "relationshipName": "Is contained in Vpc"}``."""

    resource_type: str
    resource_id: str | None = None
    resource_name: str | None = None
    relationship_name: str


class PackageSource(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    version: str | None = None


class Package(BaseModel):
    """One installed software package; ``ecosystem`` is the OSV ecosystem string.

    >>> Package(name="openssl", version="3.0.11-1~deb12u2", ecosystem="Debian:12",
    ...         purl="pkg:deb/debian/openssl@3.0.11-1~deb12u2", location="/var/lib/dpkg/status").name
    'openssl'
    """

    model_config = ConfigDict(extra="forbid")
    name: str
    version: str
    ecosystem: str
    purl: str | None = None
    source: PackageSource | None = None
    location: str | None = None


class ConfigurationItem(_Camel):
    """One asset at one point in time, in the AWS Config configuration-item shape."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    version: str = "1.3"
    account_id: str | None = None
    configuration_item_capture_time: datetime | None = None
    configuration_item_status: ItemStatus = "OK"
    configuration_state_id: str | None = None
    arn: str = Field(min_length=1, max_length=2048)
    resource_type: str = Field(min_length=1)
    resource_id: str = Field(min_length=1)
    resource_name: str | None = None
    aws_region: str | None = None
    availability_zone: str | None = None
    resource_creation_time: datetime | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    relationships: list[Relationship] = Field(default_factory=list)
    configuration: dict[str, Any] = Field(default_factory=dict)
    supplementary_configuration: dict[str, Any] = Field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True, mode="json")


def content_hash(item: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of what the item *says* (capture time, status, state id excluded)."""
    body = {k: v for k, v in item.items() if k not in VOLATILE_KEYS}
    # No ``default=``: a value that is not plain JSON raises TypeError instead of hashing its str().
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def scope_key(item: dict[str, Any]) -> str:
    """The slice of the world an item belongs to, for deciding what disappeared.

    AWS resources: ``account|region|resourceType`` (a collector that listed S3 buckets in one
    account covers that key). Non-AWS assets: their own ARN (collecting one host says nothing
    about another).
    """
    rtype = item.get("resourceType", "")
    if item.get("accountId") and rtype.startswith("AWS::"):
        # Buckets are listed account-wide (one ListBuckets call), so their slice has no region.
        region = "" if rtype in ACCOUNT_WIDE_TYPES else item.get("awsRegion") or ""
        return f"{item['accountId']}|{region}|{rtype}"
    return str(item["arn"])


def purl_for(ptype: str, name: str, version: str, namespace: str | None = None,
             qualifiers: dict[str, str] | None = None) -> str:
    """Build a package URL (``pkg:type/namespace/name@version?k=v``), percent-encoding parts."""
    parts = ["pkg:", ptype, "/"]
    if namespace:
        parts += ["/".join(quote(seg, safe="") for seg in namespace.split("/")), "/"]
    parts += [quote(name, safe=""), "@", quote(version, safe="+~:")]
    if qualifiers:
        parts += ["?", "&".join(f"{k}={quote(v, safe='')}" for k, v in sorted(qualifiers.items()) if v)]
    return "".join(parts)


def python_package(name: str, version: str, location: str) -> dict[str, Any]:
    normalised = name.lower().replace("_", "-").replace(".", "-")
    return Package(name=name, version=version, ecosystem="PyPI", purl=purl_for("pypi", normalised, version),
                   location=location).model_dump()


def npm_package(name: str, version: str, location: str) -> dict[str, Any]:
    namespace, _, short = name.rpartition("/") if name.startswith("@") else ("", "", name)
    return Package(name=name, version=version, ecosystem="npm", purl=purl_for("npm", short, version, namespace or None),
                   location=location).model_dump()
