"""``assetguard audit``: sign, verify and export the audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from assetguard.audit.digests import load_digests, write_digest
from assetguard.audit.signing import (
    PublicKey,
    key_id,
    key_path,
    load_public_key,
    public_pem,
    retire_public_key,
    retired_path,
    rotate_key_file,
    signer_for,
)
from assetguard.audit.trail import VerifyReport, verify_export
from assetguard.auth.principal import cli_principal
from assetguard.cli.context import console, err_console, platform, state
from assetguard.core.errors import ConfigError, ValidationError

NAME = "audit"
app = typer.Typer(help="The tamper-evident audit trail: sign it (digest), verify it, export it as CloudTrail-shaped records, print the signing public-key, rotate-key.",
                  no_args_is_help=True)

PublicKeyOpt = Annotated[list[Path] | None, typer.Option(
    "--public-key", help="trusted Ed25519 public key (PEM); repeat for keys used before a rotation")]


def _read(path: Path, what: str) -> str:
    """The file as UTF-8 text; a missing file or other bytes are one-line errors naming it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read the {what}: {exc.strerror}", where=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"the {what} is not UTF-8 text: byte 0x{data[exc.start:exc.start + 1].hex()} at "
                              f"offset {exc.start}; pass the file `audit export` wrote", where=str(path)) from None


def _pinned(paths: list[Path] | None) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    for path in paths or []:
        key = load_public_key(_read(path, "public key").encode(), where=str(path))
        keys[key_id(key)] = key
    return keys


def _own_key(ctx: typer.Context) -> PublicKey | None:
    """The public half of this deployment's signing key, if it has one (never created here)."""
    return platform(ctx).audit.own_public_key()


def _print(report: VerifyReport, what: str) -> None:
    for note in report.notes:
        console.print(note, highlight=False)
    if report.ok:
        console.print(f"{what} intact: {report.rows} rows verified, {report.digests} signed digest(s)", highlight=False)
        return
    for problem in report.problems:
        err_console.print(f"[red]TAMPERED[/red] {problem}", highlight=False, soft_wrap=True)
    err_console.print(f"{len(report.problems)} problem(s) in {report.rows} rows and {report.digests} digest(s)")
    raise typer.Exit(1)


@app.command()
def verify(ctx: typer.Context, public_key: PublicKeyOpt = None,
           export: Annotated[Path | None, typer.Option(
               "--export", help="verify this `audit export` file offline instead of the database")] = None) -> None:
    """Check the hash chain and every signed digest; exit 1 naming each row or digest tampered with.

    Trusted keys: each --public-key, plus (for the database) this deployment's own signing key.
    Rows written after the newest digest are listed as not yet covered (not an error).
    """
    keys = _pinned(public_key)
    if export is not None:
        lines = _read(export, "export").splitlines()
        report, used = verify_export(lines, keys or None, where=str(export))
        if not keys:
            ids = ", ".join(used) or "none"
            err_console.print(f"warning: trusting the public key inside the export (key id {ids}); pass "
                              "--public-key with the key you were given to pin it", highlight=False, soft_wrap=True)
        _print(report, "audit export")
        return
    _print(platform(ctx).audit.verify(keys), "audit trail")  # plus the deployment's own key


@app.command()
def digest(ctx: typer.Context) -> None:
    """Sign a digest of the rows written since the last one now (the scheduler also does, periodically)."""
    signer = signer_for(state(ctx).settings())
    written = write_digest(platform(ctx).db, signer)
    if written is None:
        console.print("no new audit rows since the last digest: nothing to sign")
        return
    data = written.data()
    console.print(f"digest #{written.number} signed: rows {data['firstSeq']}-{data['lastSeq']} "
                  f"(key {signer.key_id})", highlight=False)


@app.command("public-key")
def public_key_cmd(ctx: typer.Context,
                   all_keys: Annotated[bool, typer.Option(
                       "--all", help="also the keys retired by `audit rotate-key` (older digests name them)")]
                   = False) -> None:
    """Print the public key that verifies this deployment's digests (PEM), to hand to an auditor."""
    key = _own_key(ctx)
    if key is None:
        raise ConfigError("no audit signing key yet (`assetguard audit digest` creates it)",
                          where=str(key_path(state(ctx).settings())))
    sys.stdout.write(public_pem(key))
    if all_keys:
        for retired in platform(ctx).audit.retired_public_keys().values():
            if key_id(retired) != key_id(key):
                sys.stdout.write(public_pem(retired))


@app.command("rotate-key")
def rotate_key(ctx: typer.Context,
               kms_key_id: Annotated[str | None, typer.Option(
                   "--kms-key-id", help="with audit.kms_key_id: the new ECC_NIST_P256 SIGN_VERIFY KMS key")] = None
               ) -> None:
    """Start signing digests with a new key; the old public key is kept, so older digests still verify.

    First a digest of the rows so far is signed with the old key. A key file is then replaced by a
    new Ed25519 key and its public half appended to <key file>.retired.pem; with audit.kms_key_id,
    --kms-key-id names the new KMS key (set audit.kms_key_id to it on every process afterwards).
    Recorded in the audit trail; the next digest is signed with the new key.
    """
    settings = state(ctx).settings()
    p = platform(ctx)
    old = signer_for(settings)
    written = write_digest(p.db, old)
    if written is not None:
        console.print(f"digest #{written.number} signed with the old key {old.key_id}", highlight=False)
    last_digest = max((d.number for d in load_digests(p.db)), default=0)
    if settings.audit.kms_key_id:
        if not kms_key_id:
            raise ValidationError(f"digests are signed by KMS key {settings.audit.kms_key_id}: create a new "
                                  "ECC_NIST_P256 SIGN_VERIFY key and pass it as --kms-key-id", where="--kms-key-id")
        from assetguard.audit.kms import KmsSigner

        new_id = KmsSigner.from_settings(settings.model_copy(update={"audit": settings.audit.model_copy(
            update={"kms_key_id": kms_key_id})})).key_id  # GetPublicKey: the new key is usable
        retire_public_key(settings, old.public_key)
        after = {"key_id": new_id, "kms_key_id": kms_key_id}
    else:
        if kms_key_id:
            raise ValidationError("--kms-key-id is for digests signed by KMS (audit.kms_key_id is not set)",
                                  where="--kms-key-id")
        _old, new = rotate_key_file(settings, last_digest)
        new_id = new.key_id
        after = {"key_id": new_id}
    with p.db.begin() as conn:
        p.audit.record(conn, cli_principal(), "audit.rotate_key", f"audit-signing-key/{new_id}",
                       before={"key_id": old.key_id}, after=after)
    console.print(f"audit signing key rotated: {old.key_id} -> {new_id}; the old public key is kept in "
                  f"{retired_path(settings)}", highlight=False, soft_wrap=True)
    if kms_key_id:
        console.print(f"now set audit.kms_key_id to {kms_key_id} on every process", highlight=False, soft_wrap=True)
    console.print("hand auditors the new public key: `assetguard audit public-key --all`", highlight=False)


@app.command()
def export(ctx: typer.Context,
           output: Annotated[Path | None, typer.Option("--output", "-o", help="file (default stdout)")] = None) -> None:
    """Write the trail as JSON Lines shaped like CloudTrail records, then its digests and public keys
    (the current one and any retired by `audit rotate-key`)."""
    trail = platform(ctx).audit
    key = _own_key(ctx)
    retired, limits = trail.retired_public_keys(), trail.retired_limits()
    if output is None:
        trail.export(sys.stdout, key, retired, limits)
        return
    with output.open("w", encoding="utf-8") as fh:
        n = trail.export(fh, key, retired, limits)
    console.print(f"wrote {n} records to {output}")
