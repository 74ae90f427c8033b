"""Tagging plugins: the ``autotag`` event target (used by the shipped rule ``autotag``)."""

from __future__ import annotations

from assetguard.tagging.autotag import AutoTagger
from assetguard.tagging.cloudtrail import check_record
from assetguard.targets.base import Delivery, DeliveryError, Target, TargetConfig, targets


@targets.register("autotag")
class AutotagTarget(Target):
    """Tags the resources a CloudTrail create call made (the event's ``detail`` is the record).

    Example target in a rule::

        - id: autotag
          type: autotag
          config: {dry_run: false}
    """

    type = "autotag"

    class Config(TargetConfig):
        dry_run: bool = False

    def deliver(self, delivery: Delivery) -> str | None:
        record = check_record(delivery.event.get("detail"), f"event {delivery.event.get('id')}.detail")
        tagger = self.platform.singleton("tagging.autotagger",
                                         lambda: AutoTagger(self.platform, dry_run=self.config.dry_run))  # type: ignore[attr-defined]
        plan = tagger.plan(dict(record))
        if plan.skipped:
            return f"skipped: {plan.skipped}"
        results = tagger.apply([plan])
        failed = [r for r in results if r.status == "failed"]
        if failed:
            raise DeliveryError("; ".join(f"{r.arn}: {r.error}" for r in failed)[:500], code="TaggingFailed")
        return f"tagged {sum(r.status == 'tagged' for r in results)} resource(s)"


from assetguard.runtime.scheduler import Job, jobs  # noqa: E402 - registration below the target


@jobs.register("aws.events.sqs")
def _sqs_job() -> Job:
    from assetguard.tagging.aws_events import drain_configured_queue

    return Job("aws.events.sqs", 20, drain_configured_queue, run_at_start=True)
