"""Build fixture root directories (Debian-like, Alpine-like, rpm-based) for the host and image tests."""

from __future__ import annotations

import json
import os
import sqlite3
import struct
from pathlib import Path

DPKG_STATUS = """\
Package: openssl
Status: install ok installed
Priority: optional
Architecture: amd64
Version: 3.0.11-1~deb12u2
Description: Secure Sockets Layer toolkit
 continuation line

Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl (3.0.11-1~deb12u2)
Version: 3.0.11-1~deb12u2

Package: bsdutils
Status: install ok installed
Architecture: amd64
Source: util-linux
Version: 1:2.38.1-5+b1

Package: removed-pkg
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0
"""

APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4_git20230717-r4
A:x86_64
o:musl

C:Q1def=
P:libcrypto3
V:3.1.4-r5
A:x86_64
o:openssl

"""

SSHD_MAIN = """\
# main config
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin no
PasswordAuthentication yes
Port 22
Match User backup
    PasswordAuthentication no
    PermitRootLogin yes
"""


def write(root: Path, rel: str, text: str, mode: int | None = None) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        os.chmod(path, mode)
    return path


def python_dist(root: Path, site: str, name: str, version: str) -> None:
    write(root, f"{site}/{name.replace('-', '_')}-{version}.dist-info/METADATA",
          f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: x\n\nlong description\n")


def npm_pkg(root: Path, base: str, name: str, version: str) -> None:
    write(root, f"{base}/{name}/package.json", json.dumps({"name": name, "version": version}))


def debian_root(root: Path) -> Path:
    write(root, "etc/os-release", 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
          'VERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n')
    write(root, "etc/hostname", "web-1\n")
    write(root, "etc/machine-id", "0123456789abcdef0123456789abcdef\n")
    (root / "lib/modules/6.1.0-13-amd64").mkdir(parents=True)
    (root / "lib/modules/5.10.0-1-amd64").mkdir(parents=True)
    write(root, "var/lib/dpkg/status", DPKG_STATUS)
    python_dist(root, "usr/lib/python3/dist-packages", "requests", "2.28.1")
    python_dist(root, "opt/app/venv/lib/python3.11/site-packages", "Django", "4.2.1")
    npm_pkg(root, "opt/app/node_modules", "lodash", "4.17.20")
    npm_pkg(root, "opt/app/node_modules", "@babel/core", "7.22.0")
    npm_pkg(root, "opt/app/node_modules/@babel/core/node_modules", "semver", "6.3.0")
    write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
          "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
          "toor:x:0:0:backdoor:/root:/bin/sh\n"
          "alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"
          "nopw:x:1001:1001::/home/nopw:/bin/bash\n", 0o644)
    write(root, "etc/shadow", "root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
          "toor:$6$x$y:19000::::::\nalice:!:19000::::::\nnopw::19000::::::\n", 0o640)
    write(root, "etc/group", "root:x:0:\nshadow:x:42:\nsudo:x:27:alice\n", 0o644)
    write(root, "etc/hosts", "127.0.0.1 localhost\n", 0o666)
    write(root, "etc/crontab", "* * * * * root true\n", 0o644)
    write(root, "etc/cron.d/backup", "0 3 * * * root /usr/local/bin/backup\n", 0o777)
    write(root, "etc/ssh/sshd_config", SSHD_MAIN)
    write(root, "etc/ssh/sshd_config.d/10-hardening.conf", "PasswordAuthentication no\nMaxAuthTries 3\nport=2222\n")
    write(root, "etc/login.defs", "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nPASS_WARN_AGE 7\nENCRYPT_METHOD YESCRYPT\n"
          "# PASS_MIN_LEN 5\n")
    write(root, "etc/security/pwquality.conf", "minlen = 14\ndcredit = -1\n# ucredit = -1\nenforce_for_root\n")
    write(root, "etc/security/faillock.conf", "deny = 5\nunlock_time = 900\n")
    write(root, "etc/pam.d/common-auth",
          "auth required pam_faillock.so preauth\nauth [success=1 default=ignore] pam_unix.so nullok\n")
    write(root, "etc/pam.d/common-password", "password requisite pam_pwquality.so retry=3 minlen=12\n")
    write(root, "usr/bin/passwd", "#!/bin/sh\n", 0o4755)
    write(root, "usr/bin/wall", "#!/bin/sh\n", 0o2755)
    write(root, "usr/bin/ls", "#!/bin/sh\n", 0o755)
    write(root, "usr/share/doc/open.txt", "x\n", 0o666)
    (root / "usr/tmp-open").mkdir(parents=True)
    os.chmod(root / "usr/tmp-open", 0o777)
    (root / "usr/tmp-sticky").mkdir(parents=True)
    os.chmod(root / "usr/tmp-sticky", 0o1777)
    # 0.0.0.0:22 LISTEN, 127.0.0.1:5432 LISTEN, one ESTABLISHED; [::]:80 LISTEN
    write(root, "proc/net/tcp",
          "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
          "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1\n"
          "   1: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   105        0 2\n"
          "   2: 0100007F:1538 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000   105        0 3\n")
    write(root, "proc/net/tcp6",
          "  sl  local_address                         remote_address                        st\n"
          "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 0 0 0 0 0 0 4\n")
    return root


def alpine_root(root: Path) -> Path:
    write(root, "etc/os-release", 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
          'PRETTY_NAME="Alpine Linux v3.19"\n')
    write(root, "etc/hostname", "alpine-box\n")
    write(root, "lib/apk/db/installed", APK_INSTALLED)
    python_dist(root, "usr/lib/python3.11/site-packages", "urllib3", "1.26.5")
    write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/ash\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n")
    write(root, "etc/shadow", "root:::0:::::\nnobody:!::0:::::\n")
    write(root, "etc/group", "root:x:0:root\n")
    return root


def rpm_header(tags: list[tuple[int, int, bytes]]) -> bytes:
    """Encode an rpm header blob (the rpmdb.sqlite Packages.blob format)."""
    index = b""
    store = b""
    for tag, kind, data in tags:
        if kind == 4:
            store += b"\0" * (-len(store) % 4)
        index += struct.pack(">iIiI", tag, kind, len(store), 1)
        store += data
    return struct.pack(">II", len(tags), len(store)) + index + store


def rpm_root(root: Path) -> Path:
    write(root, "etc/os-release", 'NAME="Rocky Linux"\nID="rocky"\nVERSION_ID="9.3"\nID_LIKE="rhel centos fedora"\n')
    path = root / "var/lib/rpm/rpmdb.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)")
    blob = rpm_header([(1000, 6, b"openssl-libs\0"), (1001, 6, b"3.0.7\0"), (1002, 6, b"25.el9_3\0"),
                       (1003, 4, struct.pack(">i", 1)), (1022, 6, b"x86_64\0"),
                       (1044, 6, b"openssl-3.0.7-25.el9_3.src.rpm\0")])
    key = rpm_header([(1000, 6, b"gpg-pubkey\0"), (1001, 6, b"abc\0"), (1002, 6, b"1\0")])
    conn.executemany("INSERT INTO Packages (blob) VALUES (?)", [(blob,), (key,)])
    conn.commit()
    conn.close()
    return root
