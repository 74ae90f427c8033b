"""Command-injection patterns of the POSIX and Windows groups (``build.py`` uses them).

The attack class is "a value the application passes to a shell". Prose that *talks about*
commands must pass, so every pattern asks for two things: a command in **command position**
(start of the value, or right after a shell separator ``; | && ` $( <( =``) and a shape only a
command line has (a flag, a path, a redirection, an evasion trick, or a name that is nothing
but a command).

Command names are facts, gathered from Debian's coreutils, util-linux, procps, net-tools,
iproute2, busybox applet lists, common admin tools, and Microsoft's "Windows commands" A-Z
reference. They are grouped by how much a name alone proves:

* ``ADMIN``: names that are not English words and that a web form never carries except as a
  command (``whoami``, ``ifconfig``, ``visudo``, ``ansible-playbook``); in command position
  they are enough.
* ``WRAPPERS``: commands that run another command (``time``, ``nohup``, ``strace``); a wrapper
  followed by a known command is a command line.
* the shared ``_STRONG_CMDS`` / ``_WEAK_CMDS`` of :mod:`.patterns` for the rest.

Texts are URL-decoded twice, entity-decoded and lower-cased (``URL2_LOWER``), or in addition
normalised by ``CMD_LINE`` (quotes, backslashes and carets deleted, ``;`` and ``,`` turned into
spaces); each key says which. Patterns stay in the AWS regex subset, alternatives under 500
characters (``chunks`` splits at top-level ``|``).
"""

from __future__ import annotations

from assetguard.waf.managed.groups.patterns import _STRONG_CMDS, _WEAK_CMDS, top_level_alternatives

# Administration, reconnaissance and tooling commands whose names are not words of prose.
ADMIN = (
    "whoami|ifconfig|iwconfig|uname|nslookup|printenv|getent|ssh-(?:keygen|agent|add)|mkfifo|mknod|tcpdump|nmap"
    "|strace|ltrace|useradd|adduser|usermod|userdel|chpasswd|setfacl|getfacl|sestatus|setenforce|getenforce"
    "|iptables|ip6tables|modprobe|insmod|rmmod|lsmod|dmesg|sysctl|hostnamectl|timedatectl|journalctl|loginctl",
    "crontab|xxd|hexdump|gunzip|unxz|bunzip2|zcat|xzcat|bzcat|chattr|lsattr|lsof|netstat|nohup|setsid|taskset"
    "|unshare|nsenter|shred|chsh|groupadd|gpasswd|mysqldump|pg_dump|smbclient|ldapsearch|busybox|socat|ncat"
    "|netcat|pipx|aptitude",
)
# Tools whose names only an operator types (provisioning agents, privilege and log tools): in
# command position any argument will do (``cscli alerts list``, ``ansible all -m ping``).
ADMIN_ANY = (
    "visudo|vipw|ansible(?:-[a-z]+)?|chef-[a-z]+|cscli|lastb|ssh-copy-id|ssh-keyscan|uconv"
    "|rmt(?:-[a-z]+)?|zstdcat|unzstd|bsdtar|bsdcpio|aa-[a-z]+|cpulimit|flock|lwp-(?:download|request|mirror)"
    "|unlzma|lzcat|pkexec|runuser|sudoedit|tftp|rpcclient|easy_install|jrunscript|stdbuf|capsh|aria2c|basenc"
    "|chfn|newgrp|pwck|grpck|faillog|tcptraceroute",
)
WRAPPERS = (
    "time|nohup|strace|ltrace|ionice|timeout|stdbuf|setsid|chroot|xargs|flock|cpulimit|busybox|unbuffer"
    "|torify|proxychains4?|firejail|fakeroot"
)
# Commands after a wrapper: every list.
# Interpreters, compilers and developer tools: people search for them, so they need a flag,
# a path or a separator to count (``python -m venv`` is a search; ``;python3 -c ...`` is not).
DEV = (
    "python[23]?(?:\\.\\d+)?|perl5?|ruby|php[578]?|lua|node|nodejs|deno|gcc(?:-?\\d+(?:\\.\\d+)*)?|g\\+\\+"
    "|c89|c99|clang|tcc|gdb|wget|curl|pip[23]?(?:\\.\\d+)?|gem|cpanm?|composer|passwd|base64|base32|openssl"
    "|gpg|sqlite3|knife|jshell|irb|tclsh"
)
# Names that are also field values (format=lastlog, field=lastlogin): only after a separator.
_VALUE_WORDS = "w|vi|ex|vim|view|rvim|who|top|cut|fold|column|comm|less|lastlog|lastlogin"
_ALL_CMDS = (*ADMIN, *ADMIN_ANY, *_STRONG_CMDS, _WEAK_CMDS, DEV, _VALUE_WORDS)

# A command word ends at a blank, the end, a redirection, a separator or a quote.
_END = r"(?:\s|$|[;|&`)<>\"'])"
# Command position in a single value (argument, JSON value, header).
_POS = r"(?:^|[;|&`({]|\$\(|[<>]\()\s*[\"']?"
# In a raw body values start after '=' or '="' too (form fields, XML attributes).
_POS_BODY = r"(?:^|[;|`({=]|&&|\$\(|[<>]\()\s*[\"']?"


def _split(lists: tuple[str, ...], size: int) -> tuple[str, ...]:
    """The names of ``lists`` regrouped into alternations of at most ``size`` characters."""
    out: list[str] = []
    for names in top_level_alternatives("|".join(lists)):
        if out and len(out[-1]) + 1 + len(names) <= size:
            out[-1] += "|" + names
        else:
            out.append(names)
    return tuple(out)


def _each(template: str, lists: tuple[str, ...]) -> str:
    """``template`` once per list, ``CMDS`` replaced; each copy fits AWS's pattern limit."""
    room = 480 - len(template) + len("CMDS")
    return "|".join(template.replace("CMDS", cmds) for cmds in _split(lists, room))


# Files a server reads as configuration or credentials (what an upload must not be named).
_SENSITIVE = (
    r"\.(?:bashrc|bash_profile|bash_login|bash_logout|bash_history|profile|zshrc|zprofile"
    r"|zshenv|zlogin|cshrc|tcshrc|kshrc|inputrc|vimrc|viminfo|exrc|netrc|npmrc|yarnrc|pypirc|gitconfig"
    r"|git-credentials|boto|s3cfg|dockercfg|htaccess|htpasswd|htdigest|user\.ini|forward|rhosts|shosts"
    r"|mysql_history|psql_history|lesshst|env(?:\.[\w-]+)?|pgpass|my\.cnf)",
    r"authorized_keys2?|id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?|known_hosts|web\.config|php\.ini"
    r"|wp-config[\W_]*php[\w.~-]*|settings\s*\.\s*php|configuration\.php"
    r"|config\.(?:ya?ml|php|inc)|database\.yml|secrets\.ya?ml"
    r"|mtrr|acpi|kcore|kallsyms|kmsg|cmdline|environ|sudoers|passwd|shadow",
)


C: dict[str, str] = {
    # An admin command in command position (not after a backtick: markdown writes `whoami` in
    # prose; backtick substitution is unix_cmd2's) (quotes and backslashes already deleted by CMD_LINE,
    # so 'wh'oami and w\hoami are whoami here; ';' became a space, and a space before '/' went).
    "admin_cmd": _each(r"(?:^|[=|&(]|\$\()\s*(?:CMDS)(?:\s|$|[|&`)<>/])", ADMIN_ANY)
    # People search for how-to commands ("uname -a output explained", "lsof -i :8080"): these
    # count alone, with flags only, or before a separator or redirection.
    + "|"
    + _each(r"(?:^|[=|&(]|\$\()\s*(?:CMDS)(?:\s+-{1,2}[\w-]+)*\s*(?:$|[|&`)<>/])", ADMIN),
    # A simple command with an absolute system path at the start of a value: ll /var/www (CMD_LINE).
    "weak_cmd_path": _each(
        r"^\s*(?:CMDS)/(?:etc|bin|usr|tmp|dev|proc|var|home|root|sys|opt|srv|boot)\b", (_WEAK_CMDS, "ll|la|l|dir")
    ),
    # A wrapper followed by a command: time sh -c ..., nohup ifconfig, strace who (CMD_LINE).
    "wrapped_cmd": _each(
        r"(?:^|[=|&(]|\$\()\s*(?:" + WRAPPERS + r")(?:\s+-{1,2}[\w=.-]+(?:\s+\d[\w.]*)?)*\s+(?:CMDS)(?:\s|$|[|&`)<>])",
        _ALL_CMDS,
    ),
    # Shell-only syntax, whatever the command (URL2_LOWER, values).
    "shell_syntax": (
        # arithmetic and command substitution: $[2+2], $[], $((7)), <(...), ``
        r"\$\[\s*\]|\$\[\s*\d+\s*[-+*/%^\s]\s*\d+\s*\]|\$\(\(\s*[\w$]|[a-z]``[\s\d]|(?:^|[^`])``[a-z]|[a-z][<>]\(\s*\)|[<>]\(\)[a-z]"
        # a variable glued to a word: cat$u /etc, c$_at, cu$@rl, uname$u -a
        r"|[a-z]\$(?:[a-z_@*]|\{[a-z_@*]|\d[a-z])"
        # a variable in command position, with an argument: $SHELL -c, ;$a cat x, &&$a -nlvp
        r"|(?:^|[;|&`]|\$\()\s*\$\{?[a-z_]\w*\}?\s+(?:-{1,2}[a-z]|[a-z/.~])"
        # assignments chained into a command built from variables: a=curl&&$a ...
        r"|[a-z_]\w*=\S{0,40}\s*(?:;|&&)[^\n]{0,200}?(?:;|&&)\s*\$\{?[a-z_]\w*\}?(?:\s|\$|$)"
        # brace expansion that builds argv: {,ifconfig} {id,} {l,-lh}s c{a,oun}t
        r"|\{,[^\s{}]*\}|\{[\w$'\"/?*.#-]*[a-z][\w$'\"/?*.#-]*,\}|\{[a-z]+,-|[a-z]\{[a-z]+,[a-z]+\}[a-z]"
        # a bracket glob in a path: /bi[n]/bash, /usr/bin/[u]name, /usr/[a-z]in, /[e///]tc
        r"|/[a-z]*\[(?:[a-z0-9]|[a-z0-9]-[a-z0-9]|[^\]\s]*/[^\]\s]*)\][a-z]*(?:/|\s|$)"
        # tilde and history expansion as a whole value: ~+ ~- ~+5 ~0 !! !-1!-2 !1
        r"|^\s*~[+\s-]?\d*\s*$|^\s*!(?:!|-?\d{1,3})(?:!-?\d{1,3})*\s*$"
        # shell function definitions (Shellshock, fork bombs): () { :;}; f(){ f|f& };f
        r"|\(\s*\)\s*\{\s*[:_]|[\w:.]\(\s*\)\s*\{[^}]{0,60}[|&;][^}]{0,60}\}\s*;\s*[\w:.]"
        # sh -c / sh,-c, (gcc -wrapper sh,-c,id), here-strings into a shell
        r"|(?:^|[\s;|&`(=/,])(?:ba|da|z|k|c|tc|fi|a|mk)?sh[\d.]*(?:\$\w+)?\s*[,\s]\s*-c\b|\s-wrapper\s|<<<"
        # a subshell running a shell, a relative or absolute bin/ path as the whole command
        r"|\(\s*(?:ba|da|z|k)?sh\s*\)|^\s*(?:\.{0,2}/)?(?:usr/(?:local/)?)?s?bin/[a-z]"
        # cd somewhere, then chain another command
        r"|^\s*cd\s+[^\s;&|]+\s*(?:;|&&|\|\|)\s*[a-z]"
        # a pipe into a shell, compiler or interpreter: | sh, | bash -, | gcc7.4
        r"|\|\s*(?:ba|da|z|k)?sh\b\s*(?:$|[;#&)-])"
        r"|\|\s*(?:\$\{[^}]*\})?(?:gcc|cc|c89|c99|clang|python|perl|ruby|php|node|lua)[\d.]*\s*$"
        # SQLite shell dot-commands after a separator: ;.shell, ;\n.system
        r"|(?:[;\n]|\\n)\s*\.\\?[\"']?(?:shell|system|sh|databases|dump|tables|schema|import|output|once|load|open|read)\b"
        # alias definitions: alias a=b, alias -p x=id
        r"|(?:^|[;|&`\n]|\$\()\s*alias\s+(?:\S+\s+){0,3}[\w.'\"+-]+="
        # vi/ex escapes to a shell: vim x +silent !whoami, ex -c:!pwd
        r"|(?:^|[;|&`\s])(?:vim?|ex|view|rvim)\s[^\n]{0,60}(?:\+|-c\s*:?)\s*[\w\\ ]{0,20}!\s*[a-z/]"
    ),
    # A command glued to a separator at the start of a value or after a blank: ";top x", "|vi (x",
    # ";ps", "\ls" (a backslash skips aliases) (URL2_LOWER). Not a backtick: markdown quotes
    # commands in backticks, and ordinary backtick substitution is unix_cmd2's.
    "glued_cmd": _each(
        r"(?:^|[\s=\"'])(?:[;|]|&&|\\)[\"']?(?:CMDS)[\d.]*[\"']?" + _END,
        _ALL_CMDS,
    ),
    # Windows batch: if / if not / if /i comparing with == (no blanks around it, batch-quoted
    # operands, or a command after it), in command position (URL2_LOWER).
    "win_if": (
        r"(?:^|[&|;(\"'])\s*@?if\s*(?:/i\s*)?(?:not\s+)?(?:[^\s=]+==[^\s=]+"
        r"|(?:\S*[%!\"\[{(]\S*|\"[^\"]*\")\s*==\s*\S+|\S+\s*==\s*\S*[%!\"\[{(]"
        r"|\S+\s*==\s*\S+\s+(?:\(|@?(?:echo|goto|set|call|cd|exit|del|copy|start|cmd|type|rem)\b))"
    ),
    # Windows commands only Windows has, in command position, with a /switch, a redirection or
    # nothing after them; PowerShell aliases for download-and-run.
    "win_cmds": _each(
        r"(?:^|[;&|`'\"(=])\s*(?:CMDS)(?:\.exe)?\s*(?:/[a-z?]|[<>|]|%\w+%|$|\s+[a-z]:\\|\s+hk(?:lm|cu|ey_))",
        (
            "bcdboot|bcdedit|regedit|regini|reg|cmdkey|netsh|diskpart|wevtutil|vssadmin|wbadmin|fsutil|takeown"
            "|cacls|icacls|auditpol|gpresult|gpupdate|nbtstat|getmac|qprocess|quser|driverquery|forfiles|findstr"
            "|robocopy|mountvol|powercfg|setx|schtasks|sc|msiexec|wmic|cipher|mklink|attrib|wscript|cscript|mshta"
            "|rundll32|regsvr32|certutil|bitsadmin|taskkill|tasklist|systeminfo|ipconfig|shutdown|logoff|ntdsutil"
            "|dsquery|nltest|klist|tscon|psexec",
        ),
    )
    + r"|(?:^|[;&|`'\"(=])\s*(?:iwr|irm|iex|saps|sal|icm|gwmi|sajb)\s+(?:[\"'$(-]|https?://)",
    # Upload of a file the server reads as configuration or credentials: X-Filename-style headers.
    "sensitive_file_header": _each(r"^\s*[\"']?(?:[^\"'\r\n]*[/\\])?(?:CMDS)\s*[\"']?\s*$", _SENSITIVE),
    # ... and multipart parts.
    "sensitive_file_body": _each(
        r"\bfilename\*?\s*=\s*[\"']?(?:[^\"'\r\n;]*[/\\])?(?:CMDS)\s*(?:[\"';\r\n]|$)", _SENSITIVE
    ),
}

# In a raw body a backtick or backslash before a word is markdown or an escape, not a shell.
C["glued_cmd_body"] = _each(r"(?:^|[\s=\"'])(?:[;|]|&&)[\"']?(?:CMDS)[\d.]*[\"']?" + _END, _ALL_CMDS)

# Where a value starts inside a raw body: a form field (name=) or an XML/HTML attribute (name=").
_VSTART = r"^\s*|(?:^|&)[\w.\[\]-]{1,40}=\s*[\"']?|\s[\w:-]{1,40}=[\"']\s*"
# ... and where it ends.
_VEND = r"\s*(?:$|&|[\"'<])"
# Shell syntax in a raw body. Markdown articles and code snippets live there, so only what
# prose and ordinary code do not write: whole-value tricks anchored at a value start, and
# shell-specific constructs (here-strings into a command, fork bombs, subshelled shells).
C["shell_body"] = (
    r"(?:" + _VSTART + r")(?:~[+\s-]?\d*|!(?:!|-?\d{1,3})(?:!-?\d{1,3})*)" + _VEND
    + r"|(?:" + _VSTART + r")(?:\$\(|\{,|\{[a-z]+,-|[\w$'\"/?*.#-]*[a-z][\w$'\"/?*.#-]*,\}|cd\s+[^\s;&|]+\s*(?:;|&&))"
    + r"|(?:" + _VSTART + r")(?:/(?:usr/(?:local/)?)?s?bin/[a-z]|find\s+\S+[^\n]{0,80}\s-exec\s|alias\s+(?:\S+\s+){0,3}[\w.'\"+-]+=)"
    + r"|\$\(\s*\)|\$\[\s*\]|\$\[\s*\d+\s*[-+*/%^]\s*\d+\s*\]|<<<[^\n]{0,80}`|[;|&`(]\s*\w+\s*<<<"
    + r"|\(\s*\)\s*\{[^}]{0,40}[|&][^}]{0,40}\}\s*[;\w:.]|\(\s*(?:ba|da|z|k)?sh\s*\)"
    + r"|(?:^|[\s;|&`(=/,])(?:ba|da|z|k|c|tc|fi|a|mk)?sh[\d.]*(?:\$\w+)?\s*,\s*-c\b|\s-wrapper\s+\S*sh\b"
    + r"|\|\s*(?:ba|da|z|k)?sh\b\s*(?:$|[;#&)\"'<`-])"
    + r"|[a-z]\$(?:[a-z_@]|\{[a-z_])|[a-z](?:''|\"\")[a-z]|\$[a-z_]\w*\$[a-z_]\w*\$[a-z_]"
    + r"|(?:;|&&|\|\|)\s*\$\{?[a-z_]\w*\}?\s+[a-z/-]|(?:" + _VSTART + r")\\[a-z]{2,12}" + _VEND
    + r"|\|\s*(?:\$\{[^}]*\})?(?:gcc|cc|c89|c99|clang|python|perl|ruby|php|node|lua)[\d.]*" + _VEND
    + r"|(?:[;\n]|\\n)\s*\.\\?[\"']?(?:shell|system|databases|dump|tables|schema|import|output|once|load)\b"
)
# A whole header value, or a URL parameter inside one (Referer), that is a command with a flag.
C["header_cmd"] = _each(
    r"(?:^|[?&][\w.\[\]-]{1,40}=)\s*[\"']?(?:CMDS)[\"']?\s+-{1,2}[a-z]", _ALL_CMDS
)
# A strong command with a path argument as a form field or attribute value: code=cat /path/x.
C["cmd_value_body"] = _each(
    r"(?:" + _VSTART + r")(?:CMDS)[\"']?(?:\s+-{1,2}[a-z0-9]+)*\s+[\"']?(?:/|~/|\$\w|\.\.?/)", _STRONG_CMDS
)

# Mail protocol commands smuggled after a CRLF (IMAP tagged commands; SMTP/POP3 verbs ending
# the value), for mail-sending forms whose input reaches a mail server.
C["mail_body"] = (
    r"\r\n\s*[a-z]?\d{1,4}\s+(?:authenticate|login|select|examine|status|append|store|copy|search|fetch|list"
    r"|lsub|uid|expunge|capability|logout|noop|create|delete|rename|subscribe|unsubscribe|idle|starttls)\b"
    r"|\r\n\s*(?:[a-z]?\d{1,4}\s+)?(?:data|quit|rset|noop|stat|capa|retr\s+\d+|dele\s+\d+|top\s+\d+"
    r"|list\s+\d+|uidl(?:\s+\d+)?|apop\s+\S+\s+[0-9a-f]{32}|auth\s+\S+)\s*(?:$|&|[\"'<])"
)

# JSON values are often code snippets: a shell script there may start with `cd dir && ...` or
# define aliases on its own lines; only the forms chained after a separator count.
_CD_CHAIN = r"|^\s*cd\s+[^\s;&|]+\s*(?:;|&&|\|\|)\s*[a-z]"
_ALIAS = r"|(?:^|[;|&`\n]|\$\()\s*alias\s+(?:\S+\s+){0,3}[\w.'\"+-]+="
C["shell_syntax_json"] = (
    C["shell_syntax"].replace(_CD_CHAIN, "").replace(_ALIAS, r"|(?:[;|&`]|\$\()\s*alias\s+(?:\S+\s+){0,3}[\w.'\"+-]+=")
)
