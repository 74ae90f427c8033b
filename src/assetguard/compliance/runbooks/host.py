"""Host runbooks: ``PermitRootLogin no`` for sshd, and file permissions. Both back up what they change.

They act on the host's root directory (``env.root``, else the item's ``collectedFrom``), so tests
run them on a fixture tree. Backups go to ``env.backup_dir`` (default ``<root>/var/backups/assetguard``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from assetguard.compliance.runbooks.base import NoParams, Runbook, RunbookEnv, RunbookOutput, runbooks
from assetguard.core.clock import utcnow
from assetguard.core.errors import ValidationError

HOST = "AssetGuard::Host::Linux"


def _backup_dir(env: RunbookEnv, root: Path) -> Path:
    path = env.backup_dir or root / "var/backups/assetguard"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stamp() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%S%fZ")


@runbooks.register("sshd-permit-root-login-no")
class SshdPermitRootLoginNo(Runbook):
    """Make ``PermitRootLogin no`` the effective sshd setting (first value wins, so it goes on top).

    Other PermitRootLogin lines before any ``Match`` block are commented out. The original file is
    copied to the backup directory first. Reload sshd afterwards (not done here).

    remediation: {rule: linux-ssh-root-login-disabled, runbook: sshd-permit-root-login-no, approval: manual}
    """

    name = "sshd-permit-root-login-no"
    resource_types = (HOST,)

    def run(self, item: dict[str, Any], params: NoParams, env: RunbookEnv, dry_run: bool) -> RunbookOutput:
        root = env.host_root(item)
        path = root / "etc/ssh/sshd_config"
        if not path.exists():
            raise ValidationError("no etc/ssh/sshd_config under the host root", where=str(path))
        lines = path.read_text().splitlines()
        effective = None
        for line in lines:
            m = re.match(r"^\s*PermitRootLogin\s+(\S+)", line, re.IGNORECASE)
            if re.match(r"^\s*Match\s", line, re.IGNORECASE):
                break
            if m:
                effective = m.group(1)
                break
        if effective is not None and effective.lower() == "no":
            return RunbookOutput(False, [])
        # sshd takes no trailing comments on a value line, so the note goes on its own line.
        new_lines = ["# set by assetguard (KISA U-01)", "PermitRootLogin no"]
        in_match = False
        for line in lines:
            if re.match(r"^\s*Match\s", line, re.IGNORECASE):
                in_match = True
            if not in_match and re.match(r"^\s*PermitRootLogin\s", line, re.IGNORECASE):
                new_lines.append(f"# {line}  # disabled by assetguard")
            else:
                new_lines.append(line)
        backup = _backup_dir(env, root) / f"sshd_config.{_stamp()}"
        if not dry_run:
            shutil.copy2(path, backup)
            mode = stat.S_IMODE(path.stat().st_mode)
            tmp = path.with_suffix(".assetguard-tmp")
            tmp.write_text("\n".join(new_lines) + "\n")
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        return RunbookOutput(True, [f"PermitRootLogin {effective or 'default'} -> no in /etc/ssh/sshd_config"],
                             backup=None if dry_run else str(backup))


class FilePermissionParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # path (as on the host) -> octal mode to enforce; defaults follow KISA U-07/U-08/U-09.
    modes: dict[str, str] = Field(default_factory=lambda: {"/etc/passwd": "644", "/etc/shadow": "400",
                                                           "/etc/hosts": "600"})
    remove_world_write: list[str] = Field(default_factory=list)
    remove_setid: list[str] = Field(default_factory=list)
    owner_uid: int = 0


@runbooks.register("linux-file-permissions")
class LinuxFilePermissions(Runbook):
    """Tighten modes (never loosen), strip world-write and SUID/SGID bits, chown to root.

    The previous owner and mode of each changed file are written to a JSON backup first.
    With no explicit lists, the files the failing rule named (from the host facts) are fixed.

    remediation: {rule: linux-shadow-file-permissions, runbook: linux-file-permissions, approval: manual}
    """

    name = "linux-file-permissions"
    Params = FilePermissionParams
    path_params = ("modes", "remove_world_write", "remove_setid")
    resource_types = (HOST,)

    def run(self, item: dict[str, Any], params: FilePermissionParams, env: RunbookEnv,
            dry_run: bool) -> RunbookOutput:
        root = env.host_root(item)
        facts = (item.get("configuration") or {}).get("hostSecurity") or {}
        world = params.remove_world_write or list(facts.get("worldWritable") or [])
        from assetguard.compliance.rules.linux.files import RISKY_SUID

        setid = params.remove_setid or [p for p in facts.get("suid") or [] if p in RISKY_SUID]
        # path -> [new mode, chown uid or None, descriptions]; several fixes to one file combine.
        plan: dict[Path, list[Any]] = {}

        def want(path: Path, remove: int, note: str, chown: int | None = None) -> None:
            current = stat.S_IMODE(path.stat().st_mode)
            entry = plan.setdefault(path, [current, None, []])
            new_mode = entry[0] & ~remove
            if new_mode != entry[0] or chown is not None:
                entry[0] = new_mode
                entry[1] = chown if chown is not None else entry[1]
                entry[2].append(note)

        for shown, mode_text in params.modes.items():
            path = root / shown.lstrip("/")
            if not path.exists() or path.is_symlink():
                continue
            st = path.stat()
            allowed = int(mode_text, 8)
            chown = params.owner_uid if st.st_uid != params.owner_uid else None
            want(path, ~allowed & 0o7777, f"{shown}: mode at most {allowed:04o}"
                 + (f", owner {st.st_uid} -> {params.owner_uid}" if chown is not None else ""), chown)
        for shown in world:
            path = root / shown.lstrip("/").rstrip("/")
            if path.exists() and not path.is_symlink():
                want(path, stat.S_IWOTH, f"{shown}: remove o+w")
        for shown in setid:
            path = root / shown.lstrip("/")
            if path.exists() and not path.is_symlink():
                want(path, stat.S_ISUID | stat.S_ISGID, f"{shown}: remove SUID/SGID")
        plan = {p: e for p, e in plan.items() if e[2]}
        if not plan:
            return RunbookOutput(False, [])
        backup = _backup_dir(env, root) / f"permissions.{_stamp()}.json"
        if not dry_run:
            record = [{"path": "/" + str(p.relative_to(root)), "mode": f"{stat.S_IMODE(p.stat().st_mode):04o}",
                       "uid": p.stat().st_uid, "gid": p.stat().st_gid} for p in plan]
            backup.write_text(json.dumps(record, indent=2))
            for path, (mode, chown, _notes) in plan.items():
                if chown is not None:
                    os.chown(path, chown, -1)
                os.chmod(path, mode)
        actions = [f"{note} ({'/' + str(p.relative_to(root))} -> {e[0]:04o})" for p, e in plan.items() for note in e[2]]
        return RunbookOutput(True, actions, backup=None if dry_run else str(backup))
