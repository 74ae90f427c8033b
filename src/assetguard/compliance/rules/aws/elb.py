"""Application Load Balancer rules: HTTP → HTTPS redirection and a WAF web ACL in front."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from assetguard.compliance.ci import as_list, get, key
from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


def _is_alb(item: dict[str, Any]) -> bool:
    return str(get(item, "configuration", "type") or "application") == "application"


def _listeners(item: dict[str, Any], ctx: EvaluationContext) -> list[dict[str, Any]]:
    own = [x for x in as_list(get(item, "supplementaryConfiguration", "Listeners")) if isinstance(x, dict)]
    index: dict[str, list[dict[str, Any]]] = ctx.memo("listeners", lambda: _by_lb(ctx))
    return own + index.get(str(item.get("arn")), [])


def _by_lb(ctx: EvaluationContext) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for li in ctx.of_type(LISTENER):
        out.setdefault(str(get(li, "configuration", "loadBalancerArn")), []).append(li.get("configuration") or {})
    return out


@compliance_rule(
    id="alb-http-to-https-redirection-check", title="ALB HTTP listeners redirect to HTTPS", severity="MEDIUM",
    resource_types=(LB,), trigger="periodic", cis=(),
    risk="Clients that start on HTTP send cookies and credentials in clear text.",
    remediation="Make the default action of every HTTP listener a redirect to HTTPS (HTTP_301).")
def alb_http_to_https_redirection_check(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when an HTTP listener's default actions do not redirect to HTTPS."""
    if not _is_alb(item):
        return Result.not_applicable("not an application load balancer")
    listeners = _listeners(item, ctx)
    bad = []
    for li in listeners:
        if str(key(li, "protocol")).upper() != "HTTP":
            continue
        actions = as_list(key(li, "defaultActions"))
        redirects = any(str(key(a, "type")).lower() == "redirect"
                        and str(get(a, "redirectConfig", "protocol") or "").upper() == "HTTPS" for a in actions)
        if not redirects:
            bad.append(str(key(li, "port")))
    if bad:
        return Result.non_compliant(f"HTTP listener(s) on port {', '.join(bad)} do not redirect to HTTPS")
    return Result.compliant() if listeners else Result.not_applicable("no listeners recorded")


class WafParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    wafWebAclIds: tuple[str, ...] = ()


def _acl_for(item: dict[str, Any], ctx: EvaluationContext) -> str | None:
    direct = get(item, "supplementaryConfiguration", "WebACL", "webACLArn") or \
        get(item, "supplementaryConfiguration", "WebACLArn")
    if direct:
        return str(direct)
    arn = str(item.get("arn"))
    for acl in ctx.of_type("AWS::WAFv2::WebACL"):
        associated = as_list(get(acl, "supplementaryConfiguration", "AssociatedResources"))
        associated += [r.get("resourceId") for r in acl.get("relationships") or [] if isinstance(r, dict)]
        if arn in [str(a) for a in associated]:
            return str(acl.get("arn"))
    return None


@compliance_rule(
    id="alb-waf-enabled", title="Application Load Balancers are protected by a WAF web ACL", severity="MEDIUM",
    resource_types=(LB,), trigger="on-change",
    risk="Without a WAF, injection and scanning traffic reaches the application directly.",
    remediation="Associate a WAF web ACL (for example assetguard's baseline ACL) with the load balancer.",
    params=WafParams)
def alb_waf_enabled(item: dict[str, Any], ctx: EvaluationContext, params: WafParams) -> Result:
    """NON_COMPLIANT when no web ACL (or none of ``wafWebAclIds``) is associated with the ALB."""
    if not _is_alb(item):
        return Result.not_applicable("not an application load balancer")
    acl = _acl_for(item, ctx)
    if acl is None:
        return Result.non_compliant("no WAF web ACL associated")
    if params.wafWebAclIds and not any(w in acl for w in params.wafWebAclIds):
        return Result.non_compliant(f"web ACL {acl} is not one of the allowed ACLs")
    return Result.compliant(f"protected by {acl}")
