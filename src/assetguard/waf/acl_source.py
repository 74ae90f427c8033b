"""Web ACLs by name: the WAF store first, then the built-in set; compiled with the rule groups, IP
sets and regex pattern sets of the store.

This is the only way the API, the console and a proxy find an ACL. A name is checked against the
WAF name pattern before anything else and is used only as a database key or as a key of the
built-in set; it never reaches the file system. (Only the CLI reads files a user names; see
``documents.load_acl_document``.)

A compiled ACL comes with an :class:`AclFingerprint`: the ACL's version and etag and the etag of
every store document it used. ``changed(store, fingerprint)`` tells, with one query and no
compilation, whether compiling again would give something else.

Example::

    compiled, fp = compile_named_acl(settings.waf, store, "shop")
    fp.version, fp.etag
    changed(store, fp)        # False until "shop" or one of its rule groups / sets is saved again
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.core.errors import NotFoundError, ValidationError
from assetguard.waf.documents import AclResources, _ref_name, builtin_acl_document
from assetguard.waf.engine import CompiledACL, compile_acl
from assetguard.waf.ratelimit import RateCounter
from assetguard.waf.store import KINDS, NAME_RE, RESOURCE_KINDS, WafStore, check_name, etag_of

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings

_VIS = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "probe"}


@dataclass(frozen=True)
class AclFingerprint:
    name: str
    version: int  # 0: a built-in ACL
    etag: str  # of the ACL document
    deps: tuple[tuple[str, str, str], ...] = ()  # (store kind, name, etag) of every store document used

    @property
    def builtin(self) -> bool:
        return self.version == 0

    @property
    def digest(self) -> str:
        """One hash over the ACL and everything it used: equal digests, equal compiled ACLs."""
        text = "\n".join([self.etag, *(f"{k}/{n}={e}" for k, n, e in self.deps)])
        return hashlib.sha256(text.encode()).hexdigest()


class StoreResources(AclResources):
    """Rule groups, IP sets and regex pattern sets from the WAF store (by name, or by an ARN whose
    name part is the name), then from the deployment's configured resource files (``waf.resources``,
    chosen by the operator, never by a request)."""

    def __init__(self, store: WafStore | None, configured: AclResources | None = None) -> None:
        super().__init__(base_dir=None)
        self.store = store
        self.configured = configured
        self.used: dict[tuple[str, str], str] = {}

    def _find(self, kind: str, ref: Any, where: str) -> dict[str, Any]:
        if not isinstance(ref, str) or not ref:
            raise ValidationError("ARN must be a non-empty string", where=where)
        name = _ref_name(ref, self.SEGMENTS[kind])
        cached = self.docs[kind].get(name)
        if cached is not None:
            return cached
        store_kind = RESOURCE_KINDS[kind]
        if self.store is not None and NAME_RE.fullmatch(name):
            stored = self.store.get(store_kind, name)
            if stored is not None and stored.document is not None:
                self.used[(store_kind, name)] = stored.etag
                self.add(kind, {**stored.document, "Name": name}, f"{store_kind} {name} v{stored.version}")
                return self.docs[kind][name]
            self.used[(store_kind, name)] = ""  # absent now: saving it later changes the fingerprint
        if self.configured is not None:
            try:
                return self.configured._find(kind, ref, where)
            except NotFoundError:
                pass
        raise NotFoundError(f"{kind} {name!r} is not in the WAF store; save it with PUT /waf/{store_kind}s/"
                            f"{name if NAME_RE.fullmatch(name) else '<name>'}", where=where)

    def source_of(self, doc: dict[str, Any]) -> str:
        source = self.sources.get(id(doc))
        if source is None and self.configured is not None:
            return self.configured.source_of(doc)
        return source or "document"


def _configured(waf: WafSettings) -> AclResources | None:
    return AclResources.from_paths([Path(p) for p in waf.resources]) if waf.resources else None


def _compile(waf: WafSettings, doc: dict[str, Any], source: str, resources: StoreResources,
             rate_counter: RateCounter | None) -> CompiledACL:
    from assetguard.waf.ipsets import IPSetStore
    from assetguard.waf.ratelimit import redis_counter

    counter = rate_counter or (redis_counter(waf.redis_url, waf.redis_key_prefix) if waf.redis_url else None)
    ipsets: IPSetStore | None = None
    if resources.store is not None:  # managed lists: the versions saved in the store, else the files
        from assetguard.waf.managed.list_store import stored_lists

        lists = stored_lists(waf, resources.store)
        lists.sync()
        ipsets = lists.ipsets
    elif waf.ipset_dir:
        ipsets = IPSetStore(Path(waf.ipset_dir))
    return compile_acl(doc, source=source, resources=resources, rate_counter=counter, ipsets=ipsets,
                       geoip_path=Path(waf.geoip_path) if waf.geoip_path else None,
                       managed_dir=Path(waf.managed_dir) if waf.managed_dir else None)


def find_acl(store: WafStore | None, name: str, version: int | None = None) -> tuple[dict[str, Any], int, str]:
    """``(document, version, etag)`` of the stored ACL ``name`` (0 for a built-in one)."""
    check_name(name, where="acl")
    if store is not None:
        stored = store.get("acl", name, version)
        if stored is not None and stored.document is not None:
            return stored.document, stored.version, stored.etag
        if version is not None:
            raise NotFoundError(f"web ACL {name!r} has no version {version}")
    document = builtin_acl_document(name)
    if document is None:
        raise NotFoundError(f"no web ACL {name!r} in the WAF store or the built-in set")
    return document, 0, etag_of(document)


def compile_named_acl(waf: WafSettings, store: WafStore | None, name: str, *,
                      rate_counter: RateCounter | None = None) -> tuple[CompiledACL, AclFingerprint]:
    """Compile the current version of ``name`` (see :func:`find_acl`)."""
    document, version, etag = find_acl(store, name)
    resources = StoreResources(store, _configured(waf))
    source = f"acl {name} v{version}" if version else f"built-in acl {name}"
    compiled = _compile(waf, document, source, resources, rate_counter)
    deps = tuple(sorted((kind, dep, tag) for (kind, dep), tag in resources.used.items()))
    return compiled, AclFingerprint(name, version, etag, deps)


def compile_document(waf: WafSettings, store: WafStore | None, document: dict[str, Any], source: str,
                     rate_counter: RateCounter | None = None) -> CompiledACL:
    """Compile an ACL document that is not saved yet, against the store's resources."""
    return _compile(waf, document, source, StoreResources(store, _configured(waf)), rate_counter)


def changed(store: WafStore, fingerprint: AclFingerprint) -> bool:
    """Would compiling ``fingerprint.name`` again give a different ACL? One query, no compilation."""
    keys = [("acl", fingerprint.name), *((kind, name) for kind, name, _ in fingerprint.deps)]
    now = store.etags(keys)
    acl_etag = now[("acl", fingerprint.name)]
    if fingerprint.builtin:
        if acl_etag is not None:  # a stored ACL cannot take a built-in name, but be exact
            return True
    elif acl_etag != fingerprint.etag:
        return True
    return any((now[(kind, name)] or "") != etag for kind, name, etag in fingerprint.deps)


def validate_resource(waf: WafSettings, store: WafStore | None, kind: str, name: str,
                      document: dict[str, Any]) -> None:
    """Check a rule group, IP set or regex pattern set exactly as the engine will use it, by compiling
    a one-rule ACL that references it. ``document["Name"]`` must be absent or equal ``name``."""
    check_name(name)
    if kind not in KINDS or kind == "acl":
        raise ValidationError(f"not a resource kind: {kind!r}", where="kind")
    if "Name" in document and document["Name"] != name:
        raise ValidationError("Name must equal the name in the path", where="Name")
    resources = StoreResources(store, _configured(waf))
    wafv2 = KINDS[kind]
    source = f"{kind} {name}"
    resources.add(wafv2, {**document, "Name": name}, source)
    if kind == "ip-set":
        statement: dict[str, Any] = {"IPSetReferenceStatement": {"ARN": name}}
    elif kind == "regex-pattern-set":
        statement = {"RegexPatternSetReferenceStatement": {
            "ARN": name, "FieldToMatch": {"UriPath": {}}, "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
    else:
        statement = {"RuleGroupReferenceStatement": {"ARN": name}}
    probe: dict[str, Any] = {"Name": "probe", "DefaultAction": {"Allow": {}}, "VisibilityConfig": _VIS, "Rules": [
        {"Name": "probe", "Priority": 0, "Statement": statement, "VisibilityConfig": _VIS,
         **({"OverrideAction": {"None": {}}} if kind == "rule-group" else {"Action": {"Count": {}}})}]}
    try:
        _compile(waf, probe, source, resources, None)
    except ValidationError as exc:
        if exc.where and exc.where.startswith(source):
            raise
        raise ValidationError(exc.message, where=source) from None
