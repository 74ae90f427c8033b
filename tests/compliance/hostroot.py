"""Build fixture root directories of a weak and a hardened Linux host."""

from __future__ import annotations

import os
from pathlib import Path

PASSWD_OK = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n" \
            "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
GROUP = "root:x:0:\ndaemon:x:1:\nalice:x:1000:\n"


def write(root: Path, rel: str, text: str, mode: int = 0o644) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def hardened(root: Path) -> Path:
    write(root, "etc/ssh/sshd_config", "Port 22\nPermitRootLogin no\nInclude /etc/ssh/sshd_config.d/*.conf\n")
    write(root, "etc/ssh/sshd_config.d/10-extra.conf", "PasswordAuthentication no\n")
    write(root, "etc/passwd", PASSWD_OK)
    write(root, "etc/group", GROUP)
    write(root, "etc/shadow", "root:$6$abc:19000:1:90:7:::\ndaemon:*:19000::::::\nalice:$6$def:19000:1:90:7:::\n", 0o400)
    write(root, "etc/hosts", "127.0.0.1 localhost\n", 0o600)
    write(root, "etc/services", "ssh 22/tcp\n")
    write(root, "etc/rsyslog.conf", "*.* /var/log/syslog\n", 0o640)
    write(root, "etc/login.defs", "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nPASS_MIN_LEN 8\nUMASK 022\n")
    write(root, "etc/security/pwquality.conf", "minlen = 8\ndcredit = -1\nucredit = -1\nlcredit = -1\nocredit = -1\n")
    write(root, "etc/pam.d/common-password", "password requisite pam_pwquality.so retry=3\n")
    write(root, "etc/pam.d/common-auth", "auth required pam_faillock.so preauth deny=5 unlock_time=600\n")
    write(root, "etc/pam.d/su", "auth required pam_wheel.so use_uid\n")
    write(root, "etc/profile", 'PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n'
                               "umask 022\nTMOUT=600\nexport TMOUT\n")
    write(root, "usr/bin/passwd", "#!/bin/sh\n", 0o4755)  # SUID but not on KISA's list
    write(root, "usr/bin/newgrp", "#!/bin/sh\n", 0o755)
    return root


def weak(root: Path) -> Path:
    write(root, "etc/ssh/sshd_config", "Port 22\n#PermitRootLogin no\nPermitRootLogin yes\n")
    write(root, "etc/passwd", PASSWD_OK + "toor:x:0:0::/root:/bin/bash\nbob::1001:1001::/home/bob:/bin/bash\n"
                                          "carol:x:1000:1000::/home/carol:/bin/bash\n")
    write(root, "etc/group", GROUP)
    write(root, "etc/shadow", "root:$6$abc:19000::::::\nbob::19000::::::\n", 0o644)
    write(root, "etc/hosts", "127.0.0.1 localhost\n", 0o666)
    write(root, "etc/login.defs", "PASS_MAX_DAYS 99999\nPASS_MIN_DAYS 0\nPASS_MIN_LEN 5\nUMASK 002\n")
    write(root, "etc/pam.d/common-password", "password requisite pam_unix.so obscure sha512\n")
    write(root, "etc/pam.d/common-auth", "auth [success=1 default=ignore] pam_unix.so nullok\n")
    write(root, "etc/pam.d/su", "# auth required pam_wheel.so use_uid\n")
    write(root, "etc/profile", 'PATH=".:/usr/bin:/bin:"\n')
    write(root, "etc/hosts.equiv", "+\n")
    write(root, "etc/cron.d/job", "* * * * * root /tmp/x\n", 0o666)
    write(root, "usr/bin/newgrp", "#!/bin/sh\n", 0o4755)
    orphan = write(root, "opt/app/data", "x\n")
    os.chown(orphan, 4242, 4242)
    return root
