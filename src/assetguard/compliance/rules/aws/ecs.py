"""ECS task definition rules: non-root user, read-only root filesystem, no privileged containers."""

from __future__ import annotations

from typing import Any

from assetguard.compliance.ci import as_list, get, key, truthy
from assetguard.compliance.context import EvaluationContext
from assetguard.compliance.rule import NoParams, Result, compliance_rule

TASKDEF = "AWS::ECS::TaskDefinition"
ROOT_USERS = {"root", "0", "0:0", "root:root", "0:root", "root:0"}


def _containers(item: dict[str, Any]) -> list[dict[str, Any]] | None:
    if str(get(item, "configuration", "status") or "ACTIVE") == "INACTIVE":
        return None
    return [c for c in as_list(get(item, "configuration", "containerDefinitions")) if isinstance(c, dict)]


@compliance_rule(
    id="ecs-task-definition-nonroot-user", title="ECS task definitions run containers as a non-root user",
    severity="MEDIUM", resource_types=(TASKDEF,), trigger="on-change",
    risk="A container escape from a root process yields root on the host.",
    remediation="Set the user parameter of every container definition to a non-root user.")
def ecs_task_definition_nonroot_user(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a container's ``user`` is missing or root (uid 0)."""
    containers = _containers(item)
    if containers is None:
        return Result.not_applicable("task definition is INACTIVE")
    bad = [str(key(c, "name")) for c in containers if not key(c, "user") or str(key(c, "user")) in ROOT_USERS]
    return Result.non_compliant(f"runs as root: {', '.join(bad)}") if bad else Result.compliant()


@compliance_rule(
    id="ecs-containers-readonly-access", title="ECS containers have read-only root filesystems",
    severity="LOW", resource_types=(TASKDEF,), trigger="on-change",
    risk="A writable root filesystem lets an attacker persist tools inside the container.",
    remediation="Set readonlyRootFilesystem to true and mount volumes for writable paths.")
def ecs_containers_readonly_access(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a container's ``readonlyRootFilesystem`` is not true."""
    containers = _containers(item)
    if containers is None:
        return Result.not_applicable("task definition is INACTIVE")
    bad = [str(key(c, "name")) for c in containers if not truthy(key(c, "readonlyRootFilesystem"))]
    return Result.non_compliant(f"writable root filesystem: {', '.join(bad)}") if bad else Result.compliant()


@compliance_rule(
    id="ecs-containers-nonprivileged", title="ECS containers are not privileged", severity="HIGH",
    resource_types=(TASKDEF,), trigger="on-change",
    risk="Privileged containers have full access to the host's devices and kernel.",
    remediation="Remove privileged: true from the container definitions.")
def ecs_containers_nonprivileged(item: dict[str, Any], ctx: EvaluationContext, params: NoParams) -> Result:
    """NON_COMPLIANT when a container has ``privileged`` true."""
    containers = _containers(item)
    if containers is None:
        return Result.not_applicable("task definition is INACTIVE")
    bad = [str(key(c, "name")) for c in containers if truthy(key(c, "privileged"))]
    return Result.non_compliant(f"privileged: {', '.join(bad)}") if bad else Result.compliant()
