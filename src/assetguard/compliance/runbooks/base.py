"""The runbook plugin interface (Systems Manager Automation, locally) and its registry.

A runbook declares its ``name``, a pydantic ``Params`` model, the AWS ``permissions`` it needs,
the matching AWS-owned SSM Automation document (``ssm_document``, run instead when configured)
and the resource types it fixes. ``run(item, params, env, dry_run)`` inspects the live resource,
works out what must change, and changes it unless ``dry_run``. Runbooks are idempotent: a second
run finds nothing to do and returns ``changed=False``::

    @runbooks.register("kms-key-rotation")
    class EnableKeyRotation(Runbook):
        '''Enable automatic rotation of a customer managed KMS key.

        remediation: {rule: cmk-backing-key-rotation-enabled, runbook: kms-key-rotation, approval: auto}
        '''
        name = "kms-key-rotation"
        permissions = ("kms:GetKeyRotationStatus", "kms:EnableKeyRotation")
        ssm_document = "AWSConfigRemediation-EnableKeyRotation"
        resource_types = ("AWS::KMS::Key",)

        def run(self, item, params, env, dry_run): ...
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from assetguard.core.registry import Registry


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class RunbookOutput:
    """What a run did (or, in a dry run, would do)."""

    changed: bool
    actions: list[str] = field(default_factory=list)
    backup: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"changed": self.changed, "actions": self.actions, "backup": self.backup}


@dataclass
class RunbookEnv:
    """Where a runbook acts: boto3 clients for AWS, a root directory and backup dir for hosts."""

    profile: str | None = None
    endpoint_url: str | None = None
    root: Path | None = None
    backup_dir: Path | None = None
    _session: Any = None

    def client(self, service: str, region: str | None) -> Any:
        import boto3

        if self._session is None:
            self._session = boto3.Session(profile_name=self.profile) if self.profile else boto3.Session()
        region = region if region and region != "global" else "us-east-1"
        return self._session.client(service, region_name=region, endpoint_url=self.endpoint_url)

    def host_root(self, item: dict[str, Any]) -> Path:
        """The root directory of a host item: ``env.root``, else where the collector read it from."""
        if self.root is not None:
            return self.root
        source = (item.get("supplementaryConfiguration") or {}).get("collectedFrom")
        return Path("/" if source in (None, "live") else str(source))


class Runbook:
    name: ClassVar[str] = ""
    Params: ClassVar[type[BaseModel]] = NoParams
    permissions: ClassVar[tuple[str, ...]] = ()
    ssm_document: ClassVar[str | None] = None
    resource_types: ClassVar[tuple[str, ...]] = ()
    # Other resource types the rule reads, re-collected after a run (flow logs for a VPC ...).
    refresh_types: ClassVar[tuple[str, ...]] = ()
    # Parameters that name files on the host. The API does not take them (it never takes a server
    # path): they are set with the CLI on the server, or left to their defaults.
    path_params: ClassVar[tuple[str, ...]] = ()

    def run(self, item: dict[str, Any], params: Any, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        raise NotImplementedError

    def ssm_parameters(self, item: dict[str, Any], params: Any) -> dict[str, list[str]]:
        """Parameters for ``start_automation_execution`` of :attr:`ssm_document`."""
        return {}


runbooks: Registry[type[Runbook]] = Registry("compliance.runbook")


def load_all_runbooks() -> Registry[type[Runbook]]:
    from assetguard.compliance.runbooks import aws_account, aws_network, aws_storage, host  # noqa: F401

    return runbooks
