"""Register the inventory collectors and the scheduler jobs that re-collect configured sources."""

from __future__ import annotations

from assetguard.inventory.collectors import image as _image  # noqa: F401 - registers "image"
from assetguard.inventory.collectors import sbom as _sbom  # noqa: F401 - registers "sbom"
from assetguard.inventory.collectors import snapshot as _snapshot  # noqa: F401 - registers "snapshot"
from assetguard.inventory.collectors.aws import collector as _aws  # noqa: F401 - registers "aws"
from assetguard.inventory.collectors.host import collector as _host  # noqa: F401 - registers "host"
from assetguard.runtime.scheduler import Job, jobs


@jobs.register("inventory.collect")
def _collect_job() -> Job:
    from assetguard.inventory.schedule import run_due_collections

    # First check a minute after start, so a short-lived `assetguard up` does not walk the host.
    return Job("inventory.collect", 60, run_due_collections)
