"""Stored budget definitions: put (create or replace), list, get, delete — each audited.

    store = BudgetStore(platform)
    store.put(load_definitions(Path("budgets.yaml")), actor=cli_principal())
    [d.name for d in store.list()]      # ['monthly-total', ...]
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from assetguard.auth.principal import Principal
from assetguard.core.clock import utcnow
from assetguard.core.errors import NotFoundError
from assetguard.cost.budget import BudgetDefinition
from assetguard.cost.filters import budget_filter
from assetguard.cost.tables import cost_budget, cost_budget_state

if TYPE_CHECKING:
    from assetguard.runtime.platform import Platform


class BudgetStore:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def put(self, definitions: list[BudgetDefinition], *, actor: Principal) -> list[str]:
        """Create or replace each budget (all or none); returns ``created:NAME`` / ``updated:NAME``."""
        for d in definitions:
            budget_filter(d.Budget)  # compile now: an unsupported filter is a put-time error
        out = []
        now = utcnow()
        with self.platform.db.begin() as conn:
            for d in definitions:
                stored = d.stored()
                old = conn.execute(select(cost_budget.c.definition).where(cost_budget.c.name == d.name)).first()
                if old is None:
                    conn.execute(insert(cost_budget).values(name=d.name, definition=stored, created_at=now,
                                                            updated_at=now))
                    out.append(f"created:{d.name}")
                else:
                    conn.execute(update(cost_budget).where(cost_budget.c.name == d.name)
                                 .values(definition=stored, updated_at=now))
                    out.append(f"updated:{d.name}")
                self.platform.audit.record(conn, actor, "cost.budget.put", f"budget/{d.name}",
                                           before=old.definition if old else None, after=stored)
        return out

    def list(self) -> list[BudgetDefinition]:
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(cost_budget.c.definition).order_by(cost_budget.c.name)).all()
        return [BudgetDefinition.model_validate(r.definition) for r in rows]

    def get(self, name: str) -> BudgetDefinition:
        with self.platform.db.connect() as conn:
            row = conn.execute(select(cost_budget.c.definition).where(cost_budget.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no budget named {name!r}")
        return BudgetDefinition.model_validate(row.definition)

    def delete(self, name: str, *, actor: Principal) -> None:
        with self.platform.db.begin() as conn:
            row = conn.execute(select(cost_budget.c.definition).where(cost_budget.c.name == name)).first()
            if row is None:
                raise NotFoundError(f"no budget named {name!r}")
            conn.execute(delete(cost_budget).where(cost_budget.c.name == name))
            conn.execute(delete(cost_budget_state).where(cost_budget_state.c.budget == name))
            self.platform.audit.record(conn, actor, "cost.budget.delete", f"budget/{name}", before=row.definition)

    def states(self, name: str) -> builtins.list[dict[str, Any]]:
        with self.platform.db.connect() as conn:
            rows = conn.execute(select(cost_budget_state).where(cost_budget_state.c.budget == name)
                                .order_by(cost_budget_state.c.period_start, cost_budget_state.c.notification))
            return [dict(r._mapping) for r in rows]
