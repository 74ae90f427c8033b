"""API token management (admin only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from assetguard.api.auth import AdminDep, PlatformDep
from assetguard.auth.principal import Role

router = APIRouter(prefix="/tokens", tags=["auth"])


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: Role


@router.get("")
def list_tokens(_p: AdminDep, platform: PlatformDep) -> list[dict[str, Any]]:
    return [t.public() for t in platform.tokens.list()]


@router.post("", status_code=201)
def create_token(body: TokenCreate, principal: AdminDep, platform: PlatformDep) -> dict[str, Any]:
    """Create a token; the plaintext ``token`` is returned once and never again."""
    info, plaintext = platform.tokens.create(body.name, body.role, actor=principal)
    return {**info.public(), "token": plaintext}


@router.delete("/{name}")
def revoke_token(name: str, principal: AdminDep, platform: PlatformDep) -> dict[str, Any]:
    return platform.tokens.revoke(name, actor=principal).public()
