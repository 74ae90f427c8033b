"""End to end: budget evaluation → bus → worker → budget-alerts rule → real SMTP server on loopback."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from assetguard.auth.principal import SYSTEM
from assetguard.cost.budget import parse_definitions
from assetguard.cost.budgets import BudgetStore
from assetguard.cost.evaluate import BudgetEvaluator
from assetguard.cost.ingest import CostIngestor
from assetguard.events.rule_store import RuleStore
from assetguard.events.worker import EventWorker
from assetguard.runtime.platform import Platform
from tests.cost.factory import daily_rows, write_focus_csv
from tests.cost.test_evaluate import BUDGET, spend


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_each_firing_emails_its_subscribers_once(platform: Platform, tmp_path: Path,
                                                 smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    platform.settings.smtp.host = "127.0.0.1"
    platform.settings.smtp.port = port
    # smtp-configured needs default recipients; the budget's own subscribers take precedence over them.
    platform.settings.smtp.recipients = ["fallback@example.com"]
    RuleStore(platform).install_defaults()
    for start, end in ((date(2026, 7, 1), date(2026, 8, 1)), (date(2026, 8, 1), date(2026, 9, 1)),
                       (date(2026, 9, 1), date(2026, 10, 1))):
        CostIngestor(platform).ingest(write_focus_csv(tmp_path / f"{start}.csv", daily_rows(start, end, spend)),
                                      evaluate=False)
    BudgetStore(platform).put(parse_definitions(BUDGET, "b.yaml"), actor=SYSTEM)
    worker = EventWorker(platform, install_defaults=False)
    evaluator = BudgetEvaluator(platform)
    mails_by_day: dict[int, list[tuple[list[str], str]]] = {}
    for day in range(1, 31):
        evaluator.evaluate(as_of=date(2026, 9, day), names=["team-month"])
        assert worker.drain(timeout=30)
        with inbox.lock:
            new = inbox.messages[:]
            inbox.messages.clear()
        if new:
            mails_by_day[day] = [(sorted(rcpt), str(msg["Subject"])) for rcpt, msg in new]
    assert len(mails_by_day) == 3
    forecast_day = min(mails_by_day)
    assert forecast_day < 22
    assert mails_by_day[forecast_day] == [(["ops@example.com"], "Budget team-month: forecast spend > 100%")]
    assert mails_by_day[22] == [(["ops@example.com"], "Budget team-month: actual spend > 85%")]
    assert mails_by_day[26] == [(["cfo@example.com", "ops@example.com"], "Budget team-month: actual spend > 100%")]
