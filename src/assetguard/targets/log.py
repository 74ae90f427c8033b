"""``log``: write one line per delivery to the ``assetguard.targets.log`` logger.

Only the rule, event id, source and detail-type are logged (payloads may hold secrets).

Example target::

    - id: log
      type: log
      config: {level: warning}
"""

from __future__ import annotations

import logging
from typing import Literal

from assetguard.targets.base import Delivery, Target, TargetConfig, targets

log = logging.getLogger("assetguard.targets.log")
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


@targets.register("log")
class LogTarget(Target):
    type = "log"

    class Config(TargetConfig):
        level: Literal["debug", "info", "warning", "error"] = "info"

    def deliver(self, delivery: Delivery) -> str | None:
        assert isinstance(self.config, LogTarget.Config)
        e = delivery.event
        log.log(LEVELS[self.config.level], "rule %s matched event %s (%s / %s)", delivery.rule, e.get("id"),
                e.get("source"), e.get("detail-type"))
        return "logged"
