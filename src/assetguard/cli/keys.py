"""``assetguard keys``: the deployment's shared keys (kept encrypted in the database).

    assetguard keys show webhook                     # the current webhook HMAC secret, for a receiver
    assetguard keys list                             # every version of every key, and its state
    assetguard keys rotate session                   # old sessions keep working until they expire
    assetguard keys rotate webhook --overlap 48h     # both signatures sent for 48 hours
    assetguard keys rotate params                    # SecureString values re-encrypted
    OLD=... assetguard keys rewrap --old-secret-env OLD   # under a new ASSETGUARD_SECRET_KEY
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Annotated

import typer

from assetguard.auth.keys import DEFAULT_OVERLAP, KEY_NAMES, PARAMETERS_KEY, WEBHOOK_KEY, key_name
from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, platform
from assetguard.core.errors import ValidationError

NAME = "keys"
app = typer.Typer(help="The deployment's shared keys, stored encrypted in the database: show the one a webhook "
                  "receiver needs, list versions, rotate a key, rewrap them all under a new secret key.",
                  no_args_is_help=True)

SHOWABLE = (WEBHOOK_KEY,)  # the session and parameter keys never leave the platform
_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _duration(text: str) -> timedelta:
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValidationError(f"{text!r} is not a duration like 90m, 12h or 2d", where="--overlap")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


@app.command()
def show(ctx: typer.Context,
         name: Annotated[str, typer.Argument(help="webhook: the HMAC secret that verifies X-AssetGuard-Signature "
                                                  "for webhook targets without their own secret")]) -> None:
    """Print a shared key's current version (created on first use), for a receiver that must verify
    what assetguard signs."""
    if name not in SHOWABLE:
        raise typer.BadParameter(f"{name!r} cannot be shown; showable keys: {', '.join(SHOWABLE)}",
                                 param_hint="NAME")
    typer.echo(platform(ctx).keys.text(name))


@app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every version of every key: when it was made, the key-encryption key it is stored under, and
    whether it is current, still verifies (until when), is kept for decryption, or has expired."""
    keys = platform(ctx).keys
    for name in KEY_NAMES:
        for row in keys.describe(name):
            typer.echo(f"{name:<11} v{row['version']:<4} {row['created_at'].isoformat(timespec='seconds')}  "
                       f"kek {row['kek_id']}  {row['state']}")


@app.command()
def rotate(ctx: typer.Context,
           name: Annotated[str, typer.Argument(help="session, webhook or params")],
           overlap: Annotated[str | None, typer.Option(
               help="how long the previous version keeps verifying, e.g. 12h, 2d (default: session 12h, "
                    "the session lifetime; webhook 24h; params keeps every version)")] = None) -> None:
    """Make a new version of a key current; every process uses it within seconds, without restart.

    session: sessions signed before keep working until they expire. webhook: deliveries carry the
    old and the new signature during the overlap. params: every SecureString value is re-encrypted
    under the new version in the same transaction. The rotation is recorded in the audit trail.
    """
    resolved = key_name(name)
    if overlap is not None and resolved == PARAMETERS_KEY:
        raise ValidationError("params keeps every version for decryption; --overlap does not apply", where="--overlap")
    window = _duration(overlap) if overlap is not None else DEFAULT_OVERLAP[resolved]
    p = platform(ctx)
    rewritten: list[int] = []
    hook = None
    if resolved == PARAMETERS_KEY:
        from assetguard.tagging.params import reencrypt_secure_values

        def hook(conn, new):  # type: ignore[no-untyped-def]
            rewritten.append(reencrypt_secure_values(p, conn, new))

    new = p.keys.rotate(resolved, actor=cli_principal(), overlap=window, conn_hook=hook)
    previous = f"version {new.version - 1} decrypts indefinitely" if window is None else \
        f"version {new.version - 1} verifies until {(new.created_at + window).isoformat(timespec='seconds')}"
    console.print(f"{resolved}: version {new.version} is current; {previous}", highlight=False, soft_wrap=True)
    if rewritten:
        console.print(f"re-encrypted {rewritten[0]} SecureString value(s) under version {new.version}")
    if resolved == WEBHOOK_KEY:
        console.print("give receivers the new secret (`assetguard keys show webhook`) before the overlap ends")


@app.command()
def rewrap(ctx: typer.Context,
           old_secret_env: Annotated[str | None, typer.Option(
               help="name of an environment variable holding the previous secret key (else "
                    "secret_key_fallbacks are used)")] = None) -> None:
    """Re-encrypt every stored key version under this process's secret key (ASSETGUARD_SECRET_KEY).

    Rotating the secret key: set the new one as ASSETGUARD_SECRET_KEY and give the old one with
    --old-secret-env (or in ASSETGUARD_SECRET_KEY_FALLBACKS); run once for the whole deployment.
    Nothing changes if any stored version cannot be decrypted. Recorded in the audit trail.
    """
    old: list[bytes] = []
    if old_secret_env is not None:
        value = os.environ.get(old_secret_env)
        if not value:
            raise ValidationError(f"environment variable {old_secret_env} is not set or empty",
                                  where="--old-secret-env")
        old.append(value.encode())
    p = platform(ctx)
    counts = p.keys.rewrap(actor=cli_principal(), old_secrets=old)
    console.print(f"re-encrypted {counts['rewrapped']} key version(s) under key-encryption key "
                  f"{p.keys.current_kek_id}; {counts['unchanged']} already were", highlight=False, soft_wrap=True)
