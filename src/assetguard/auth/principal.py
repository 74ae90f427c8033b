"""Who is acting: a token, the CLI operator, or the platform itself."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLE_RANK: dict[str, int] = {"viewer": 1, "operator": 2, "admin": 3}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated actor. ``kind`` is ``token``, ``cli`` or ``system``."""

    name: str
    role: Role
    kind: str = "token"
    token_id: str | None = None

    def allows(self, needed: Role) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[needed]

    def as_identity(self) -> dict[str, str]:
        """CloudTrail-style ``userIdentity``."""
        ident = {"type": self.kind, "principalId": self.token_id or self.name, "userName": self.name,
                 "role": self.role}
        return ident


SYSTEM = Principal("assetguard", "admin", kind="system")


def cli_principal() -> Principal:
    """The local operator running the CLI: full rights, named after the OS user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Principal(f"cli:{user}", "admin", kind="cli")
