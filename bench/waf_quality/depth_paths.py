"""Path traversal and local file inclusion payloads built from the techniques, with legitimate paths.

Traversal: a ``..`` step spelled the ways servers and frameworks still decode it (plain, ``\\``,
``%2e``/``%2f``/``%5c`` once, twice and three times, overlong UTF-8 ``%c0%ae``/``%c0%af``/``%c1%9c``,
``%u002e``/``%u2215``/``%u2216``/full-width forms, ``..;/`` for Tomcat, ``....//`` and ``..././``
for filters that strip ``../`` once, mixed ``/`` and ``\\``), repeated to a depth, optionally
behind a legitimate-looking prefix and ahead of a NUL or an extension, towards a sensitive file.

Local file inclusion: a sensitive file named directly (``/etc/passwd``, ``/proc/self/environ``,
``C:\\windows\\win.ini``, ``~/.ssh/id_rsa``), through ``file://`` or PHP wrappers
(``php://filter/.../resource=``, ``zip://``, ``phar://``, ``expect://``), with redundant slashes and
``/./`` segments.

Legitimate: relative and absolute application paths in parameters (``reports/2026/q3.pdf``),
version strings, dates and numbers with dots, ellipses in prose, dotted names, and CMS articles
whose HTML links to ``../images/a.png`` or whose text mentions system paths in a sentence.
"""

from __future__ import annotations

import json
import random
from urllib.parse import quote_plus

LINUX_TARGETS = (
    "etc/passwd",
    "etc/shadow",
    "etc/hosts",
    "etc/group",
    "proc/self/environ",
    "proc/self/cmdline",
    "proc/self/fd/2",
    "root/.ssh/id_rsa",
    "home/deploy/.ssh/id_rsa",
    "root/.bash_history",
    "var/log/nginx/access.log",
)
WINDOWS_TARGETS = (
    "windows/win.ini",
    "boot.ini",
    "windows/system32/drivers/etc/hosts",
    "inetpub/wwwroot/web.config",
    "windows/system32/config/sam",
)
APP_TARGETS = ("WEB-INF/web.xml", ".env", "config/database.yml", "web.config", ".git/config", "app/etc/env.php")

# One "../" step, spelled as a decoder on the way to the file system reads it.
STEPS = (
    "../",
    "..\\",
    "..%2f",
    "%2e%2e%2f",
    "%2e%2e/",
    "..%5c",
    "%2e%2e%5c",
    "%252e%252e%252f",
    "..%252f",
    "%25252e%25252e%25252f",
    "%c0%ae%c0%ae%c0%af",
    "%c0%ae%c0%ae/",
    "..%c0%af",
    "..%c1%9c",
    "..%c0%2f",
    "..%c1%af",
    "..%c0%9v",
    "..%uefc8",
    "%e0%80%ae%e0%80%ae/",
    "%u002e%u002e%u2215",
    "..%u2216",
    "%uff0e%uff0e%u2215",
    "..;/",
    "....//",
    "..././",
    "....\\\\",
    ".%2e/",
    "%2e./",
    "..\\/",
    "../\\",
    "..//",
    "..%00/",
)
PREFIXES = ("", "", "/var/www/html/", "images/", "./", "static/", "/")
SUFFIXES = ("", "", "", "%00", "%00.png", ".", "?")


def traversal_values(seed: int = 2026, n: int = 240) -> list[str]:
    """``n`` traversal payloads: every step spelling at least once, then a seeded sample."""
    rng = random.Random(seed)
    targets = LINUX_TARGETS + WINDOWS_TARGETS + APP_TARGETS
    out: list[str] = []
    for step in STEPS:  # each spelling towards a Linux and a Windows file
        out.append(step * 6 + LINUX_TARGETS[len(out) % len(LINUX_TARGETS)])
        windows = WINDOWS_TARGETS[len(out) % len(WINDOWS_TARGETS)]
        out.append(step * 4 + (windows.replace("/", "\\") if "\\" in step else windows))
    while len(out) < n:
        step, prefix, suffix = rng.choice(STEPS), rng.choice(PREFIXES), rng.choice(SUFFIXES)
        target = rng.choice(targets)
        depth = rng.randint(1, 9) if target in APP_TARGETS else rng.randint(2, 9)
        if prefix.startswith("/"):
            depth += prefix.count("/")
        out.append(prefix + step * depth + target + suffix)
    return list(dict.fromkeys(out))


def lfi_values() -> list[str]:
    """Sensitive files named directly, through file:// and PHP wrappers, with redundant segments."""
    out: list[str] = []
    for target in LINUX_TARGETS:
        out += ["/" + target, "file:///" + target, "//" + target.replace("/", "//"), "/./" + target.replace("/", "/./")]
        out += ["/" + target + "%00", "/" + target + "%00.jpg"]
    for target in WINDOWS_TARGETS:
        back = target.replace("/", "\\")
        out += ["%SYSTEMROOT%\\" + back.split("\\", 1)[-1] if back.startswith("windows") else "c:\\" + back,
                "c:\\" + back, "C:/" + target, "file:///c:/" + target, "\\\\?\\C:\\" + back, "C:\\\\" + back.replace("\\", "\\\\")]
    out += [
        "\\\\localhost\\c$\\windows\\win.ini",
        "file://localhost/etc/shadow",
        "file:/etc/passwd",
        "php://filter/convert.base64-encode/resource=index.php",
        "php://filter/read=string.rot13/resource=/etc/passwd",
        "php://filter/convert.iconv.utf-8.utf-16/resource=config.php",
        "php://filter/resource=../../../../etc/hosts",
        "PHP://FILTER/convert.base64-encode/resource=wp-config.php",
        "pHp://input",
        "php://fd/3",
        "zip://uploads/avatar.zip%23shell.php",
        "phar://uploads/avatar.jpg/shell.php",
        "expect://id",
        "glob:///var/www/*",
        "compress.zlib:///etc/passwd",
        "~/.ssh/id_rsa",
        "~root/.ssh/authorized_keys",
        "/home/ubuntu/.aws/credentials",
        "/proc/1/environ",
        "/proc/self/fd/0",
        "/proc/version",
        "/var/lib/mysql/mysql/user.MYD",
        "/WEB-INF/web.xml",
        "/usr/local/tomcat/conf/tomcat-users.xml",
        "C:\\xampp\\apache\\conf\\httpd.conf",
        "/etc/passwd/.",
        "/etc//shadow",
        "/etc/./passwd",
        "/etc/nginx/../passwd",
        "/var/www/html/../../../etc/passwd",
    ]
    return list(dict.fromkeys(out))


_LEGIT_VALUES = (
    "reports/2026/q3.pdf",
    "docs/guide/getting-started.md",
    "images/2026/12/team-photo.jpg",
    "./notes.txt",
    "assets/css/site.min.css",
    "downloads/assetguard-1.2.3.tar.gz",
    "v2.10.1",
    "1.2.3-rc.1",
    "07.12.2026",
    "2026.12.07",
    "3.14159",
    "Loading...",
    "Wait... what? That's it...",
    "and so on . . . until the end",
    "user.profile.name",
    "com.example.app",
    "/user/settings",
    "/content/2026/12/why-we-moved",
    "/content/search?q=lamp",
    "uploads/report_final.v2.docx",
    "archive/2025/11/../12/summary.pdf",
    "src/assetguard/waf/engine.py",
    "C:\\Users\\ada\\Documents\\Budget 2026.xlsx",
    "D:/projects/site/index.html",
    "web.config or appsettings.json?",
    "file.name.with.dots.tar.gz",
    "..hidden is not a path",
    "a/b/c/d",
    "https://docs.example.com/guide/../faq.html",
)


# Prose that names system paths: sent in bodies only (the AWS-named Linux and Common groups block
# /etc/... and C:\\Windows in query arguments and /etc/passwd anywhere in a body, as AWS documents).
LEGIT_PROSE = (
    "The config lives in /etc/nginx/sites-available on most servers.",
    "Never commit your .env file; keep secrets in a vault instead.",
    "On Linux, /etc/hosts maps names and /proc/self/status shows a process's own limits.",
    "Run cat ~/.bashrc to see your aliases, and keep ~/.ssh/config short.",
    "See ../README.md for the details, or ../docs/setup.md for the install.",
    "Set root to /var/www/html and restart; logs go to /var/log/nginx/.",
    "IIS reads web.config from the site root; boot.ini was replaced by BCD in Vista.",
    "Use php://stdin in CLI scripts and file:// URLs only for local previews.",
)


def legit_values() -> list[str]:
    """Values a legitimate client puts in one parameter, header, cookie or JSON string."""
    return list(_LEGIT_VALUES)


def legit_requests() -> list[tuple[str, str, str, str]]:
    """Whole legitimate requests ``(kind, method, uri, body)``: parameters that are paths, CMS posts."""
    html = (
        '<p>Our new office:</p><img src="../images/office.png" alt="office">'
        '<p>See <a href="../content/2026/moving">the moving notes</a> and the '
        '<a href="./faq.html">FAQ</a>. Version 2.4.1 ships on 12.01.2027.</p>'
    )
    out: list[tuple[str, str, str, str]] = [
        ("path-param", "GET", "/user/files?file=reports/2026/q3.pdf", ""),
        ("path-param", "GET", "/user/files?file=reports%2F2026%2Fq3.pdf&download=1", ""),
        ("path-param", "GET", "/content/img?src=images/2026/12/a.png&w=640", ""),
        ("path-param", "GET", "/user/login?next=/user/settings", ""),
        ("path-param", "GET", "/user/login?next=%2Fcontent%2F2026%2F12%2Fpost", ""),
        ("path-param", "GET", "/content/docs/guide/intro.md", ""),
        ("path-param", "GET", "/content/releases/v2.10.1/notes", ""),
        ("path-param", "GET", "/content/archive/07.12.2026", ""),
        ("cms-html", "POST", "/content/posts", "title=Moving&body=" + quote_plus(html)),
        ("cms-html", "POST", "/content/posts", '{"title": "Moving", "body": ' + _json_str(html) + "}"),
        ("cms-prose", "POST", "/content/posts", '{"title": "Hardening", "body": "Check who can read /etc/shadow '
         'and /proc/self/environ; never serve files from ~/.ssh. On Windows, C:\\\\Windows\\\\win.ini is '
         'harmless but boot.ini matters."}'),
        ("cms-prose", "POST", "/content/posts", "title=Paths&body=" + quote_plus(
            "Relative links such as ../images/a.png resolve against the page; /etc/hosts maps names.")),
    ]
    return out


def _json_str(text: str) -> str:
    return json.dumps(text)

