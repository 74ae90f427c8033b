"""Lambda rules: the function's resource policy does not allow public invocation."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.ci import get, has_restricting_condition, is_public_principal, policy_statements
from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule


@compliance_rule(
    id="lambda-function-public-access-prohibited", title="Lambda function policies prohibit public access",
    severity="CRITICAL", resource_types=("AWS::Lambda::Function",), trigger="on-change",
    risk="Anyone can invoke the function, running code and spending money in the account.",
    remediation="Remove policy statements with Principal * (or add aws:SourceAccount / aws:SourceArn conditions).")
def lambda_function_public_access_prohibited(item: dict[str, Any], ctx: EvaluationContext,
                                             params: NoParams) -> Result:
    """NON_COMPLIANT when an Allow statement has a public principal and no restricting condition."""
    policy = get(item, "supplementaryConfiguration", "Policy") or get(item, "configuration", "policy")
    for st in policy_statements(policy):
        if st.get("Effect") == "Allow" and is_public_principal(st.get("Principal")) \
                and not has_restricting_condition(st):
            return Result.non_compliant(f"statement {st.get('Sid', '?')} allows public access")
    return Result.compliant()
