"""Audit registrations: the scheduler job that signs digests of the trail."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from assetguard.runtime.scheduler import Job, jobs

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform

log = logging.getLogger(__name__)


def digest_if_due(platform: Platform) -> None:
    """Sign a digest once ``audit.digest_every_rows`` rows, or a row older than
    ``audit.digest_interval_seconds``, are not yet covered."""
    from assetguard.audit.digests import digest_due, write_digest
    from assetguard.audit.signing import signer_for

    settings = platform.settings.audit
    if not digest_due(platform.db, every_rows=settings.digest_every_rows,
                      interval=timedelta(seconds=settings.digest_interval_seconds)):
        return
    written = write_digest(platform.db, signer_for(platform.settings))
    if written is not None:
        log.info("audit digest #%d signed", written.number)


@jobs.register("audit.digest")
def _digest_job() -> Job:
    # Checked every minute; a digest is written only when due (the scheduler runs on the leader only).
    return Job("audit.digest", 60, digest_if_due)
