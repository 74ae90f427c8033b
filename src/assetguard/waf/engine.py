"""Compile a web ACL once, then evaluate requests against it.

Evaluation follows AWS WAF: rules in ascending Priority; a rule group runs inline (its own rules
in priority order, ExcludedRules and RuleActionOverrides applied, ScopeDownStatement first);
Count adds the rule's labels and continues; the first Allow or Block ends evaluation; labels are
visible only to rules evaluated later; otherwise the DefaultAction applies
(``terminatingRuleId = "Default_Action"``). CAPTCHA and Challenge are rejected at load time.

Example::

    acl = load_compiled_acl("baseline")
    verdict = acl.evaluate(HttpRequest("GET", "/user/1", [("User-Agent", "curl/8")]))
    verdict.action, verdict.terminating_rule_id, verdict.labels
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assetguard.core.errors import ValidationError
from assetguard.waf.acl_model import (
    ParsedAction,
    parse_action,
    parse_override_action,
    qualify_label,
    validate_rule_group,
    validate_web_acl,
)
from assetguard.waf.compiled import DEFAULT_ACCOUNT, CompileContext, Compiled, EvalState, evict_oldest
from assetguard.waf.documents import AclResources, load_acl_document, resolve_acl_path
from assetguard.waf.fields import BODY_LIMITS
from assetguard.waf.ipsets import IPSetStore, default_store
from assetguard.waf.managed.loader import load_managed_group
from assetguard.waf.prefilter import PrefilterPlan, build_plan, exact_leaves
from assetguard.waf.ratelimit import MemoryRateCounter, RateCounter
from assetguard.waf.request import HttpRequest
from assetguard.waf.statements import bit_function, compile_statement, gate_statements, need_bits

if TYPE_CHECKING:
    from assetguard.core.settings import WafSettings

log = logging.getLogger(__name__)

# Distinct sets of possible needed bits remembered per rule list (see RuleIndex).
RULE_INDEX_SIZE = 4096
MEDIA_TYPES = {"TEXT_PLAIN": "text/plain", "TEXT_HTML": "text/html", "APPLICATION_JSON": "application/json"}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one evaluation (what an AWS WAF log record reports)."""

    action: str  # ALLOW | BLOCK
    terminating_rule_id: str
    terminating_rule_type: str = "REGULAR"  # REGULAR | RATE_BASED | MANAGED_RULE_GROUP | GROUP
    labels: tuple[str, ...] = ()
    rule_group_id: str | None = None
    group_rule_id: str | None = None
    non_terminating: tuple[tuple[str, str], ...] = ()
    response_code: int = 0
    response_body: str | None = None
    response_content_type: str | None = None
    response_headers: tuple[tuple[str, str], ...] = ()
    insert_headers: tuple[tuple[str, str], ...] = ()
    group_trace: tuple[dict[str, Any], ...] = ()

    def to_record(self) -> dict[str, Any]:
        """The offline-evaluation output line: ``{"action", "terminatingRuleId", "labels"}``."""
        return {"action": self.action, "terminatingRuleId": self.terminating_rule_id, "labels": list(self.labels)}


@dataclass
class CompiledRule:
    name: str
    priority: int
    statement: Compiled | None
    action: ParsedAction | None
    labels: tuple[str, ...]
    group: CompiledGroup | None = None
    override_count: bool = False
    rule_type: str = "REGULAR"
    need: int = 0  # prefilter bits of which one must be possible for the rule to match (0: always run)
    fast: Callable[[int], bool] | None = None  # the statement over the plan's sure bits (statements.bit_function)
    fast_mask: int = 0  # the bits ``fast`` reads: usable when none of them is possible-but-unsure

    @property
    def wcu(self) -> int:
        if self.group is not None:
            return self.group.wcu
        assert self.statement is not None
        return self.statement.wcu


@dataclass
class CompiledGroup:
    """A rule group as used by one rule: its rules, overrides and scope-down."""

    group_id: str
    rules: list[CompiledRule]
    capacity: int
    scope_down: Compiled | None = None
    managed: bool = True
    need: int = 0  # 0 unless every rule has a need: then their union (no bit possible = skip the group)
    _index: RuleIndex | None = field(default=None, repr=False)

    @property
    def wcu(self) -> int:
        return self.capacity + (self.scope_down.wcu if self.scope_down is not None else 0)


class RuleIndex:
    """``index(possible)``: the rules that can match, in order - those without a need and those
    with a possible needed bit - remembered per distinct set of possible needed bits, so a request
    loops over the few rules it can trigger instead of testing every rule's need.

    Built on first use, after the needs are set (they do not change afterwards).
    """

    __slots__ = ("rules", "mask", "memo")

    def __init__(self, rules: list[CompiledRule]) -> None:
        self.rules = tuple(rules)
        self.mask = 0
        for rule in rules:
            self.mask |= rule.need
        self.memo: dict[int, tuple[CompiledRule, ...]] = {}

    def __call__(self, possible: int) -> tuple[CompiledRule, ...]:
        key = possible & self.mask
        found = self.memo.get(key)
        if found is None:
            found = tuple(rule for rule in self.rules if not rule.need or key & rule.need)
            if len(self.memo) >= RULE_INDEX_SIZE:
                evict_oldest(self.memo)
            self.memo[key] = found
        return found


@dataclass
class CompiledACL:
    """A compiled web ACL: ``evaluate(request) -> Verdict``."""

    name: str
    document: dict[str, Any]
    rules: list[CompiledRule]
    default_action: ParsedAction
    body_limit: int
    source: str
    context: CompileContext = field(repr=False)
    plan: PrefilterPlan | None = field(default=None, repr=False)
    # Verdicts without labels or traces are the same object each time (Verdict is frozen).
    _verdicts: dict[tuple[Any, ...], Verdict] = field(default_factory=dict, repr=False)
    _index: RuleIndex | None = field(default=None, repr=False)

    @property
    def capacity(self) -> int:
        return sum(rule.wcu for rule in self.rules)

    def evaluate(self, request: HttpRequest, *, now: float | None = None) -> Verdict:
        plan = self.plan
        if plan is None:
            possible = -1
            state = EvalState(now)
        else:
            possible = plan.possible(request)
            state = EvalState(now, possible, possible & ~plan.unconfirmed)
        index = self._index
        if index is None:
            index = self._index = RuleIndex(self.rules)
        for rule in index(possible):  # a rule none of whose needed patterns can match is left out
            if rule.group is not None:
                verdict = self._run_group(rule, request, state)
                if verdict is not None:
                    return verdict
                continue
            fast = rule.fast
            if fast is not None and not (possible & rule.fast_mask) & ~state.sure:
                if not fast(state.sure):
                    continue
            elif not rule.statement.match(request, state):  # type: ignore[union-attr]
                continue
            assert rule.action is not None
            for label in rule.labels:
                state.add_label(label)
            if rule.action.kind == "COUNT":
                state.non_terminating.append((rule.name, "COUNT"))
                continue
            return self._verdict(rule.action, rule.name, rule.rule_type, state)
        return self._verdict(self.default_action, "Default_Action", "REGULAR", state)

    def _run_group(self, rule: CompiledRule, request: HttpRequest, state: EvalState) -> Verdict | None:
        group = rule.group
        assert group is not None
        if group.scope_down is not None and not group.scope_down.match(request, state):
            return None
        possible = state.possible
        sure = state.sure
        index = group._index
        if index is None:
            index = group._index = RuleIndex(group.rules)
        for inner in index(possible):
            fast = inner.fast
            if fast is not None and not (possible & inner.fast_mask) & ~sure:
                if not fast(sure):
                    continue
            elif not inner.statement.match(request, state):  # type: ignore[union-attr]
                continue
            assert inner.action is not None
            for label in inner.labels:
                state.add_label(label)
            action = inner.action
            if action.kind == "COUNT" or rule.override_count:
                state.non_terminating.append((inner.name, "COUNT"))
                state.group_trace.append({"ruleGroupId": group.group_id, "ruleId": inner.name, "action": "COUNT"})
                continue
            state.group_trace.append({"ruleGroupId": group.group_id, "ruleId": inner.name, "action": action.kind})
            return self._verdict(action, rule.name, "MANAGED_RULE_GROUP" if group.managed else "GROUP", state,
                                 group_id=group.group_id, group_rule=inner.name)
        return None

    def _verdict(self, action: ParsedAction, rule_id: str, rule_type: str, state: EvalState,
                 group_id: str | None = None, group_rule: str | None = None) -> Verdict:
        plain = not state.labels and not state.non_terminating and not state.group_trace
        if plain:
            known = self._verdicts.get((id(action), rule_id, rule_type, group_id, group_rule))
            if known is not None:
                return known
        body = None
        content_type = None
        if action.body_key is not None:
            body, content_type = self.context.response_bodies[action.body_key]
        verdict = Verdict(action=action.kind, terminating_rule_id=rule_id, terminating_rule_type=rule_type,
                          labels=tuple(state.labels), rule_group_id=group_id, group_rule_id=group_rule,
                          non_terminating=tuple(state.non_terminating),
                          response_code=action.status if action.kind == "BLOCK" else 0,
                          response_body=body, response_content_type=content_type,
                          response_headers=action.response_headers, insert_headers=action.insert_headers,
                          group_trace=tuple(state.group_trace))
        if plain:  # bounded: one per (action, rule) of this ACL
            self._verdicts[(id(action), rule_id, rule_type, group_id, group_rule)] = verdict
        return verdict


def _account_of(doc: dict[str, Any]) -> str:
    arn = doc.get("ARN")
    if isinstance(arn, str) and arn.startswith("arn:"):
        parts = arn.split(":")
        if len(parts) > 4 and parts[4]:
            return parts[4]
    return DEFAULT_ACCOUNT


def _body_limit(doc: dict[str, Any]) -> int:
    config = doc.get("AssociationConfig")
    if not isinstance(config, dict):
        return BODY_LIMITS["KB_8"]
    bodies = config.get("RequestBody")
    if not isinstance(bodies, dict):
        raise ValidationError("RequestBody must be an object", where="AssociationConfig.RequestBody")
    limits = []
    for resource, spec in bodies.items():
        value = spec.get("DefaultSizeInspectionLimit") if isinstance(spec, dict) else None
        if value not in BODY_LIMITS:
            raise ValidationError(f"DefaultSizeInspectionLimit must be one of {', '.join(BODY_LIMITS)}",
                                  where=f"AssociationConfig.RequestBody.{resource}.DefaultSizeInspectionLimit")
        limits.append(BODY_LIMITS[value])
    return max(limits) if limits else BODY_LIMITS["KB_8"]


def _compile_rules(rules_doc: list[Any], ctx: CompileContext, where: str, label_ns: str,
                   allow_groups: bool) -> list[CompiledRule]:
    compiled: list[CompiledRule] = []
    for i, rule in enumerate(rules_doc):
        at = f"{where}[{i}]"
        name, priority = rule["Name"], rule["Priority"]
        labels = tuple(qualify_label(label["Name"], label_ns) for label in rule.get("RuleLabels") or [])
        statement = rule["Statement"]
        kind = next(iter(statement))
        if kind in ("ManagedRuleGroupStatement", "RuleGroupReferenceStatement"):
            if not allow_groups:
                raise ValidationError(f"{kind} cannot be used inside a rule group", where=f"{at}.Statement")
            override = parse_override_action(rule, at)
            group = _compile_group(kind, statement[kind], ctx, f"{at}.Statement.{kind}")
            compiled.append(CompiledRule(name, priority, None, None, labels, group, override == "COUNT",
                                         "MANAGED_RULE_GROUP" if kind == "ManagedRuleGroupStatement" else "GROUP"))
            continue
        action = parse_action(rule.get("Action"), f"{at}.Action", ctx)
        scope_id = ctx.scope_id
        ctx.scope_id = f"{scope_id}/{name}"
        try:
            stmt = compile_statement(statement, ctx, f"{at}.Statement", top_level=allow_groups)
        finally:
            ctx.scope_id = scope_id
        compiled.append(CompiledRule(name, priority, stmt, action, labels,
                                     rule_type="RATE_BASED" if kind == "RateBasedStatement" else "REGULAR"))
    compiled.sort(key=lambda r: r.priority)
    return compiled


def _compile_group(kind: str, spec: dict[str, Any], ctx: CompileContext, at: str) -> CompiledGroup:
    if kind == "ManagedRuleGroupStatement":
        vendor, name = spec.get("VendorName"), spec.get("Name")
        if not isinstance(vendor, str) or not isinstance(name, str):
            raise ValidationError("VendorName and Name are required", where=at)
        doc = load_managed_group(vendor, name, spec.get("Version"), ctx.managed_dir)
        source = f"managed group {name}"
        namespace = str(doc["LabelNamespace"])
        group_id = f"{vendor}#{name}"
        managed = True
    else:
        doc = ctx.resources.rule_group(spec.get("ARN"), f"{at}.ARN")
        source = ctx.resources.source_of(doc)
        name = str(doc.get("Name"))
        namespace = f"awswaf:{ctx.account}:rulegroup:{name}:"
        group_id = str(doc.get("ARN") or name)
        managed = False
    validate_rule_group(doc, source)
    excluded = spec.get("ExcludedRules") or []
    overrides = spec.get("RuleActionOverrides") or []
    if not isinstance(excluded, list) or not isinstance(overrides, list):
        raise ValidationError("ExcludedRules and RuleActionOverrides must be lists", where=at)
    scope_id = ctx.scope_id
    ctx.scope_id = f"{scope_id}/{group_id}"
    try:
        rules = _compile_rules(doc["Rules"], ctx, f"{source} Rules", namespace, allow_groups=False)
    finally:
        ctx.scope_id = scope_id
    by_name = {r.name: r for r in rules}
    for i, item in enumerate(excluded):
        rule_name = item.get("Name") if isinstance(item, dict) else None
        if rule_name not in by_name:
            raise ValidationError(f"no rule {rule_name!r} in {group_id}; rules: {', '.join(by_name)}",
                                  where=f"{at}.ExcludedRules[{i}].Name")
        by_name[rule_name].action = ParsedAction("COUNT")
    for i, item in enumerate(overrides):
        rule_name = item.get("Name") if isinstance(item, dict) else None
        if rule_name not in by_name:
            raise ValidationError(f"no rule {rule_name!r} in {group_id}; rules: {', '.join(by_name)}",
                                  where=f"{at}.RuleActionOverrides[{i}].Name")
        assert isinstance(item, dict)
        by_name[rule_name].action = parse_action(item.get("ActionToUse"), f"{at}.RuleActionOverrides[{i}].ActionToUse", ctx)
    scope_down = None
    if "ScopeDownStatement" in spec:
        scope_down = compile_statement(spec["ScopeDownStatement"], ctx, f"{at}.ScopeDownStatement")
    capacity = int(doc.get("Capacity", 0))
    return CompiledGroup(group_id, rules, capacity, scope_down, managed)


def compile_acl(doc: dict[str, Any], *, source: str = "web ACL", resources: AclResources | None = None,
                ipsets: IPSetStore | None = None, rate_counter: RateCounter | None = None,
                geoip_path: Path | None = None, managed_dir: Path | None = None) -> CompiledACL:
    """Validate and compile an ACL document; every error names its JSON path."""
    validate_web_acl(doc, source)
    try:
        ctx = CompileContext(resources=resources or AclResources(), ipsets=ipsets or default_store(),
                             rate_counter=rate_counter or MemoryRateCounter(), body_limit=_body_limit(doc),
                             geoip_path=geoip_path, managed_dir=managed_dir, account=_account_of(doc),
                             scope_id=str(doc["Name"]))
        for key, body in (doc.get("CustomResponseBodies") or {}).items():
            ctx.response_bodies[key] = (body["Content"], MEDIA_TYPES[body["ContentType"]])
        label_ns = f"awswaf:{ctx.account}:webacl:{doc['Name']}:"
        default_action = parse_action(doc["DefaultAction"], "DefaultAction", ctx, default=True)
        rules = _compile_rules(doc.get("Rules") or [], ctx, "Rules", label_ns, allow_groups=True)
        plan = build_plan(ctx, exact_leaves(_unconditional_roots(rules)))
    except ValidationError as exc:
        if exc.where and exc.where.startswith(("Rules", "DefaultAction", "AssociationConfig")):
            raise ValidationError(exc.message, where=f"{source} ({exc.where})") from None
        raise
    if plan is not None:
        _set_needs(rules)
    return CompiledACL(str(doc["Name"]), doc, rules, default_action, ctx.body_limit, source, ctx, plan)


def _set_fast(rule: CompiledRule) -> None:
    if rule.rule_type != "REGULAR" or rule.statement is None:
        return
    built = bit_function(rule.statement)
    if built is not None:
        rule.fast, rule.fast_mask = built


def _unconditional_roots(rules: list[CompiledRule]) -> list[Compiled]:
    """Statements that run whenever evaluation reaches their rule (see ``prefilter.exact_leaves``)."""
    roots: list[Compiled] = []
    for rule in rules:
        group = rule.group
        if group is None:
            if rule.rule_type == "REGULAR" and rule.statement is not None:
                roots.append(rule.statement)
        elif group.scope_down is not None:
            roots.append(group.scope_down)
        else:
            roots.extend(inner.statement for inner in group.rules if inner.statement is not None
                         and inner.rule_type == "REGULAR")
    return roots


def _set_needs(rules: list[CompiledRule]) -> None:
    """Each rule's (and group's) prefilter need: evaluation skips them when no needed bit is possible.
    A group with a scope-down statement is never skipped whole (the scope-down runs first)."""
    for rule in rules:
        group = rule.group
        if group is None:
            assert rule.statement is not None
            gate_statements(rule.statement)
            rule.need = need_bits(rule.statement)
            _set_fast(rule)
            continue
        if group.scope_down is not None:
            gate_statements(group.scope_down)
        for inner in group.rules:
            assert inner.statement is not None
            gate_statements(inner.statement)
            inner.need = need_bits(inner.statement)
            _set_fast(inner)
        if group.scope_down is None and group.rules and all(inner.need for inner in group.rules):
            group.need = 0
            for inner in group.rules:
                group.need |= inner.need
        rule.need = group.need


def load_compiled_acl(name_or_path: str | Path, *, resources: list[Path] | None = None,
                      ipsets: IPSetStore | None = None, rate_counter: RateCounter | None = None,
                      geoip_path: Path | None = None, managed_dir: Path | None = None) -> CompiledACL:
    """Load a built-in ACL (``baseline``, ``recommended``) or a file; compile it. (Stored ACLs are
    compiled by name through :mod:`assetguard.waf.acl_source`.)

    ``resources`` are files or directories holding referenced IP sets, regex pattern sets and
    rule groups; the ACL file's own directory is searched as well.
    """
    path = resolve_acl_path(name_or_path)
    doc = load_acl_document(path)
    res = AclResources.from_paths(resources or [], base_dir=path.parent)
    return compile_acl(doc, source=str(path), resources=res, ipsets=ipsets, rate_counter=rate_counter,
                       geoip_path=geoip_path, managed_dir=managed_dir)


def load_compiled_acl_from_settings(waf: WafSettings, acl: str | Path | None = None,
                                    resources: list[Path] | None = None,
                                    rate_counter: RateCounter | None = None,
                                    ipsets: IPSetStore | None = None) -> CompiledACL:
    """Compile ``acl`` (default ``waf.acl``) with the deployment's WAF settings: resources, GeoIP
    database, managed group and IP set directories (or ``ipsets``), and Redis rate counters when
    configured (or ``rate_counter``)."""
    from assetguard.waf.ipsets import IPSetStore
    from assetguard.waf.ratelimit import redis_counter

    paths = [*(Path(p) for p in waf.resources), *(resources or [])]
    counter = rate_counter or (redis_counter(waf.redis_url, waf.redis_key_prefix) if waf.redis_url else None)
    if ipsets is None and waf.ipset_dir:
        ipsets = IPSetStore(Path(waf.ipset_dir))
    return load_compiled_acl(acl or waf.acl, resources=paths, rate_counter=counter, ipsets=ipsets,
                             geoip_path=Path(waf.geoip_path) if waf.geoip_path else None,
                             managed_dir=Path(waf.managed_dir) if waf.managed_dir else None)
