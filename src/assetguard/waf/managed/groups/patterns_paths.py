"""Path traversal and local file inclusion patterns for AssetGuardInjectionRuleSet.

Servers and frameworks decode a path more ways than a browser encodes one. The rules undo URL
encoding twice (``URL_DECODE_UNI`` ×2) and the patterns read what is left the way a lenient
decoder would:

* a dot is ``.``, a third-level ``%2e``, overlong UTF-8 (``%c0%ae``, ``%e0%80%ae``, ``%c0.``) or
  full-width (``%uff0e``, U+FF0E);
* a separator is ``/`` or ``\\``, a third-level ``%2f``/``%5c``, overlong UTF-8 (``%c0%af``,
  ``%c1%9c``, ``%e0%80%af``), the division slash and set minus that IIS best-fit maps to ``/`` and
  ``\\`` (``%u2215``/``%u2216``; ``URL_DECODE_UNI`` keeps their low bytes 0x15/0x16, UTF-8
  U+2215/U+2216) or full-width (U+FF0F, U+FF3C);
* a NUL inside a step is dropped (``..%00/``), Tomcat's ``..;param/`` is a step, and ``....//``
  and ``..././`` are steps a one-pass ``../`` filter turns back into ``../``.

A value is judged by where it leads, not by a word list: two steps escape any directory an
application serves files from; one step from the start of a value escapes its base directory
towards a system or application secret; a spelling no client produces (overlong UTF-8, best-fit
slashes, ``..;/``, ``....//``) is evasion by itself. A separate rule reads each value after
``NORMALIZE_PATH_WIN`` (``a/../../b`` becomes ``../b``, ``//etc/./passwd`` becomes ``/etc/passwd``):
a value that is a path and still climbs above where it started, or resolves to a sensitive file,
is blocked. Prose that mentions ``/etc/hosts`` or links ``../images/a.png`` passes: the value is a
sentence or a single step towards an ordinary file.
"""

from __future__ import annotations

_DOT = r"(?:\.|%2e|\xc0[\xae.]|\xe0\x80\xae|\xef\xbc\x8e)"
_SEP = (
    r"(?:[/\\\x15\x16\xc8]|%2f|%5c|\xc0(?:[\xaf/\\]|%[0-9a-z]{2})|\xc1[\x9c\x1c\xaf]|\xe0\x80\xaf|\xe2\x88[\x95\x96]"
    r"|\xef\xbc[\x8f\xbc])"
)
# One step up: two or more dots (a NUL or Tomcat path parameter may follow), then separators.
_STEP = _DOT + r"\x00?" + _DOT + r"+\x00?(?:;[^/\\?#&]{0,32})?" + _SEP + r"+"
# Where a sensitive target lives, relative to the root of a file system or an application ("/"
# is either separator, written as S).
_TARGETS = (
    r"etcS(?:passwd|shadow|group|gshadow|hosts|sudoers|crontab|issue|hostname|fstab|mtab|environment|profile)",
    r"etcS(?:ssh|security|mysql|nginx|apache2?|httpd|php\d?)S|procS(?:self|\d+|thread-self)S|procSversion\b",
    r"rootS|homeS\w[\w.-]*S\.|varS(?:log|lib|mail|spool|www|run)S|usrSlocalS(?:etc|tomcat)|\.sshS|\.awsScredentials",
    r"\.(?:bash|zsh|mysql|psql)_history|\.(?:bashrc|profile|netrc|pgpass|git-credentials)\b",
    r"windowsS(?:win\.ini|system\.ini|system32|repair|panther|debug)|winntS|boot\.ini|inetpubS|xamppS",
    r"web-infS|meta-infS|web\.config|wp-config\.php|appSetcSenv\.php|tomcat-users\.xml|configSdatabase\.yml",
    r"\.env\b|\.gitS|\.ht(?:access|passwd)",
)


def _targets(prefix: str, sep: str = r"[/\\]+(?:\.[/\\]+)*", suffix: str = "") -> str:
    """``prefix`` followed by any target, as top-level alternatives short enough for AWS."""
    return "|".join(prefix + "(?:" + t.replace("S", sep) + ")" + suffix for t in _TARGETS)


PATHS: dict[str, str] = {
    # Two or more steps in a row (after a separator, the value's start or a delimiter).
    "traversal_steps": r"(?:^|[/\\=:\s\"'(,;&]|%2f|%5c)(?:" + _STEP + "){2}",
    # One step from the start of a value towards a system or application secret.
    "traversal_target": _targets(r"(?:^|[=\s\"'(,&:])(?:\./)?(?:" + _STEP + ")+", r"[/\\]+"),
    # Spellings of a step that only evasion produces, as text: Tomcat's "..;/", what a one-pass
    # "../" filter leaves ("....//", "..././"), dots or separators still URL-encoded after two decodes.
    "traversal_evasion": (
        r"\.\.;[^/\\?#&]{0,32}[/\\]|(?:^|[/\\=])\.{3,}[/\\]{2}|(?:^|[/\\=])\.\.\.?[/\\]\.[/\\]"
        r"|(?:%(?:25)*2e|\.)%(?:25)*2e(?:%(?:25)*(?:2f|5c)|[/\\])|%(?:25)*2e\.(?:%(?:25)*(?:2f|5c)|[/\\])"
        r"|\.\.%(?:25)*(?:2f|5c)|\.\.%c[01]%[0-9a-z]{2}|\.\.%u(?:221[56]|ff0f|ff3c|efc8|f025)"
    ),
    # Byte sequences no client sends inside a dot-dot: overlong UTF-8 dots and separators, and the
    # best-fit or full-width slashes after "..". Values only: a raw body may carry binary files.
    "traversal_evasion_bytes": (
        r"(?:\xc0[\xae\x2e]|\xe0\x80\xae|\xf0\x80\x80\xae)(?:\.|\xc0[\xae\x2e])|(?:\.|\xc0\xae)(?:\xc0\xaf|\xc1\x9c"
        r"|\xc1\x1c|\xe0\x80\xaf)|\.\.(?:[\x15\x16\xc0\xc1\xc8]|\xe0\x80|\xe2\x88[\x95\x96]|\xef\xbc[\x8f\xbc])"
        r"|\xef\xbc\x8e\xef\xbc\x8e"
    ),
    # After NORMALIZE_PATH_WIN: the whole value is a path that still climbs out of where it started.
    "normalized_escape": r"^(?:\.\./)+\.\.(?:/|$)|" + _targets(r"^\.\./\S*", "/"),
    # After NORMALIZE_PATH_WIN: the whole value is a path, inside where it started, to an
    # application secret (images/../.git/config is .git/config).
    "normalized_app_secret": (
        r"^(?:\.\./)*(?:\.git/|\.env\b|web-inf/|meta-inf/|\.ht(?:access|passwd)|wp-config\.php|web\.config"
        r"|\.ssh/|\.aws/|config/database\.yml|app/etc/env\.php)\S*$|^%(?:systemroot|windir|userprofile)%/\S*$"
    ),
    # After NORMALIZE_PATH_WIN: the whole value is a path from a root (absolute, drive, UNC, file:
    # or ~) to a secret.
    "normalized_target": (
        _targets(r"^(?:file:|[a-z]:|/\?/[a-z]:|/localhost(?:/[a-z]\$)?|~[a-z_]*|%(?:systemroot|windir)%)?/+(?:\.\./)*", "/")
    ),
    # A value of a form or multipart body that is a path from a root to a secret (raw body: the
    # value starts after "=", "&", a part's blank line or a quote).
    "value_target": (
        _targets(
            r"(?:^|[=&\"]|\n\n|\r\n\r\n)\s*(?:file:[/\\]*|(?:[/\\]{2}[?.][/\\])?[a-z]:|~[a-z_]*)?[/\\]+(?:[.;]?[/\\]+)*"
        )
    ),
    # A URI path segment that names a secret.
    "path_target": _targets(r"[/\\]", suffix=r"(?:$|\S)"),  # a file, not a sentence sent as a path
    # A value that opens a stream wrapper only PHP or a file-reading library understands.
    "wrapper": (
        r"(?:^|[=\s\"'(,&/])(?:php://(?:filter|input|fd|memory|temp)\b|(?:zip|phar|expect|glob"
        r"|compress\.(?:zlib|bzip2)|ssh2\.\w+|rar|ogg)://)|"
        + _targets(r"(?:^|[=\s\"'(,&])file:/{1,3}(?:localhost/)?(?:[a-z]:)?/?")
    ),
}
