"""Code-injection patterns: Java, PHP, Node.js/JavaScript, Perl, template engines, SSRF, ORM leaks.

Each entry models one attack class by its *shape* (a call, a lookup, a gadget class name in the
place a parameter value sits), not by listing payloads. Texts arrive URL-decoded twice, HTML
entities decoded and lower-cased (``URL2_LOWER`` in ``build.py``) unless the entry says otherwise.
All patterns stay within the AWS WAF regex subset (no lookaround, no backreferences); long
alternations are split into <= 512-character chunks by :func:`.patterns.chunks`.
"""

from __future__ import annotations

import base64
import re


def base64_forms(literal: str) -> list[str]:
    """The base64 text of ``literal`` at each of the three byte alignments, keeping only the
    characters that do not depend on the neighbouring bytes (so a payload is found anywhere in
    a base64 value without decoding it). Case-sensitive."""
    raw = literal.encode()
    forms = []
    for skew in range(3):
        text = base64.b64encode(b"\x00" * skew + raw + b"\x00\x00\x00").decode()
        first = -(-8 * skew // 6)  # first 6-bit unit that starts inside the literal
        last = (8 * (skew + len(raw))) // 6  # units before this one end inside it
        forms.append(re.escape(text[first:last]))
    return forms


# ---- PHP ----------------------------------------------------------------------------------
# Names of PHP extensions' function families: ``<prefix>_<name>(`` is a PHP call. Prefixes shared
# with everyday snake_case code in other languages (get_, set_, is_ ...) are left out; method
# calls (``.x(``, ``->x(``, ``::x(``) are excluded by the leading context.
_PHP_PREFIXES = (
    "array|cal|ctype|curl|date|dba|dio|enchant|exif|fastcgi|fbird|finfo|ftp|gmp|gnupg|grapheme|ibase"
    "|iconv|idn|imap|inotify|intl|ldap|libxml|mailparse|mb|mcrypt|mysql|mysqli|ncurses|oci|odbc|openssl"
    "|pcntl|pg|posix|preg|pspell|readline|recode|shmop|simplexml|snmp|socket|sodium|sqlite|sqlsrv|ssh2"
    "|stream|svn|sybase|tidy|uopz|xmlrpc|xmlwriter|zend|zlib|apache|apcu|opcache|ob|proc|highlight|mt|str"
)
# High-risk PHP functions whose names are plain words, or common calls in JavaScript, Python or C
# (readFile, chr, pack, fopen, define): they count only as a whole value or with a $variable.
_PHP_AMBIGUOUS = (
    "substr|strlen|strpos|strrev|strtolower|strtoupper|strip_tags|stripslashes|addslashes|printf|sprintf|vsprintf|intval|floatval|unpack|pack|file|filegroup|fileowner|fileperms|filesize|filemtime",
    "readfile|fread|fwrite|fputs|fgets|fopen|opendir|readdir|scandir|glob|chmod|chown|chgrp|unlink|rmdir|mkdir|rename|copy|touch|symlink|link|tempnam|mail|header|die|exit|echo|print|system|exec",
    "passthru|assert|eval|extract|parse_str|putenv|getenv|dl|debug_zval_dump|serialize|unserialize|implode|explode|ucfirst|ucwords|nl2br|htmlspecialchars|trim|ltrim|rtrim|chr|ord|dechex|hexdec",
    "bin2hex|md5|sha1|crc32|base64_encode|urlencode|rawurlencode|uniqid|rand|count|sizeof|in_array|is_\\w+|gettype|settype|get_\\w+|set_\\w+|func_get_args|gethostbyname|gethostbynamel|getmypid",
    "getmyuid|getcwd|phpversion|php_sapi_name|sleep|usleep|time|microtime|mktime|checkdate|strtotime|date|gmdate|idate|localtime"
    "|define|compact",
)
_PHP_CALL_TAIL = r"\s*(?:(?:/\*.*?\*/|//[^\n]*\n|#[^\n]*\n)\s*)*\("

PHP: dict[str, str] = {
    # A PHP extension function called: array_diff (, pg_connect(, sodium_crypto_box( ...
    "php_prefixed_call": r"(?:^|[^\w.$>:\\-])(?:" + _PHP_PREFIXES + r")_[a-z0-9_]+" + _PHP_CALL_TAIL,
    # A bare PHP builtin called as the whole argument (or with a $variable argument): a name shared
    # with prose or other languages only counts when the value *is* the call.
    "php_whole_call": "|".join(
        r"(?:^|[=&\n;])\s*(?:"
        + names
        + r")"
        + _PHP_CALL_TAIL
        + r"[^()&\n]{0,80}\)?(?:\s*\[[^\]\n]{0,20}\])*\s*;?\s*(?:$|&)"
        r"|(?:^|[^\w.$>:\\-])(?:" + names + r")" + _PHP_CALL_TAIL + r"\s*\$[a-z_]"
        for names in _PHP_AMBIGUOUS
    ),
    # A path segment that is a call of a PHP builtin: /substr(), /array_diff (.
    "php_path_call": "|".join(
        r"/\s*(?:" + names + r")" + _PHP_CALL_TAIL
        for names in (*_PHP_AMBIGUOUS, r"(?:" + _PHP_PREFIXES + r")_[a-z0-9_]+")
    ),
    # Variable functions and dynamic callees: $f(, ${'a'}(, $_[1][2](, $a{0}(, $x /*c*/ (
    "php_variable_call": (
        r"\$\s*(?:[a-z_@][\w@]*|\{[^}]{0,60}\})(?:\s*(?:\[(?:[^\[\]\n]|\[[^\]\n]{0,20}\]){0,40}\]|\{[^}\n]{0,40}\}"
        r"|/\*.*?\*/|(?:#|//)[^\n]*\n))*\s*\("
    ),
    # Callee built from strings or arrays: ('sys'.'tem')(, ("system")(, [system][0](, (/*x*/system)(
    "php_dynamic_callee": (
        r"\(\s*[\"'][\w\s]+[\"']\s*\)\s*\(|\[\s*[\"']?\w+[\"']?\s*\]\s*\)?\s*\[\s*\d+\s*\]\s*\)?\s*(?:\{[^}]{0,40}\}\s*)?\("
        r"|\(\s*(?:/\*.*?\*/\s*)+[a-z_]\w*\s*\)\s*\(|\(\s*[\"']?\w+[\"']?\s*\.\s*(?:\(\s*[\"']?\w+[\"']?\s*\)"
        r"|[\"']?\w+[\"']?)(?:\s*\.\s*(?:\(\s*[\"']?\w+[\"']?\s*\)|[\"']?\w+[\"']?))*\s*\)\s*\("
    ),
    # ${ 'name' } / $ {$a} / ${CONSTANT}: variable-variables, also spaced out.
    # (a plain ${name} is a JS template or shell expansion, so it needs the space, a quote or a '$').
    "php_variable_variable": (
        r"\$\s+\{\s*(?:['\"][^'\"]{0,40}['\"]|\$?[a-z_@][\w@]*)\s*\}|\$\{\s*(?:['\"][^'\"]{0,40}['\"]|\$[a-z_@][\w@]*)\s*\}"
    ),
    # Any php:// stream wrapper and bbcode-style [php] blocks.
    "php_wrapper": r"php://[a-z]|[\[{][/\\]?php[\]}]",
}

# PHP runtime configuration directives set from a request (`allow_url_include=1` in a value):
# the ini name right after the start of a value, a line break, ';' or '&'.
_PHP_INI = (
    "allow_url_fopen|allow_url_include|always_populate_raw_post_data|arg_separator\\.\\w+|asp_tags|assert\\.\\w+|auto_append_file|auto_detect_line_endings|auto_globals_jit|auto_prepend_file|browscap|default_charset|default_mimetype|default_socket_timeout|disable_classes|disable_functions|display_errors",
    "display_startup_errors|doc_root|docref_ext|docref_root|enable_dl|enable_post_data_reading|engine|error_append_string|error_log|error_prepend_string|error_reporting|expose_php|extension|extension_dir|file_uploads|hard_timeout|highlight\\.\\w+|html_errors|ignore_repeated_errors|ignore_repeated_source",
    "ignore_user_abort|implicit_flush|include_path|input_encoding|internal_encoding|log_errors|log_errors_max_len|mail\\.\\w+|max_execution_time|max_file_uploads|max_input_nesting_level|max_input_time|max_input_vars|memory_limit|open_basedir|output_buffering|output_encoding|output_handler|post_max_size",
    "precision|realpath_cache_size|realpath_cache_ttl|register_argc_argv|report_memleaks|report_zend_debug|request_order|sendmail_from|sendmail_path|serialize_precision|short_open_tag|smtp|smtp_port|sql\\.safe_mode|sys_temp_dir|track_errors|unserialize_callback_func|unserialize_max_depth",
    "upload_max_filesize|upload_tmp_dir|user_agent|user_dir|user_ini\\.\\w+|variables_order|xmlrpc_errors|xmlrpc_error_number|zend\\.\\w+|zend_extension|(?:opcache|mbstring|pcre|session|xdebug|date|apc|apcu|phar|soap|mysqli|pdo_mysql|curl|openssl|filter|iconv|intl)\\.[a-z_]+",
)
PHP["php_ini_value"] = "|".join(r"^\s*(?:" + names + r")\s*=" for names in _PHP_INI)
# In a query string or form body: after '=' (inside a value) or a line break, never a parameter name.
PHP["php_ini_inline"] = "|".join(r"[=\n]\s*(?:" + names + r")\s*=" for names in _PHP_INI)

# ---- Java ---------------------------------------------------------------------------------
JAVA: dict[str, str] = {
    # A gadget or reflection class named where a value or name starts (type-confusion, OGNL, EL).
    "java_gadget_class": (
        r"(?:^|[=&\"'{:,(\[;])\s*(?:com\.opensymphony\.xwork2|com\.sun\.org\.apache|org\.omg\.corba"
        r"|org\.apache\.(?:commons|struts2?|xalan|bcel|xbean|naming)|java\.lang\.(?:class|classloader|integer"
        r"|number|object|process|processbuilder|reflect|runtime|string|stringbuilder|system|thread|invoke|module"
        r"|compiler)|java\.beans\.xmldecoder|javax\.script\.scriptenginemanager|javax\.naming"
        r"|java\.io\.(?:[a-z]*(?:stream|reader|writer)|file|filepermission))\b"
        # ... as the whole token: at the end of the value or before code punctuation, not prose.
        r"(?:\.[\w$]+)*\s*(?:$|[\"'&;,()}\]\[#@=])"
    ),
    # A qualified name in the java namespace ending in a process-spawning class: java.x.runtime.
    "java_process_class": r"\bjava(?:\.[a-z_$][\w$]*)*\.(?:runtime|processbuilder|processimpl)\b",
    # Java serialization stream magic (AC ED 00 05) in base64 at its three alignments, without the
    # characters that depend on the neighbouring bytes; case matters.
    "java_serialized_b64": r"rO0AB|ztAA[U-X]|s7QAF",
    # Java server pages uploaded under an evasive name (trailing dots/spaces are dropped by the OS).
    "jsp_upload_name": r"\.\s*jsp[xf]?[.\s]*$",
    "jsp_upload_body": r"filename\s*=\s*[\"']?[^\"'\r\n;]*\.\s*jsp[xf]?[.\s]*(?:[\"';\r\n]|$)",
    # Log4Shell lookup opener hidden behind HTML entities without a decoder for them.
    "log4j_entity": r"(?:\$|&dollar;?)(?:&lbrace;?|&lcub;?)|&dollar;?\{",
}

# ---- Node.js / JavaScript, Perl, templates ------------------------------------------------
# Node.js payloads that arrive base64-encoded (CRS 934 sends them in cookies and arguments): a
# serialized function marker, child_process, a busy loop.
NODE_BASE64 = "|".join(f for lit in ("_FUNC$$_", "child_process", "ile(true)") for f in base64_forms(lit))

NODE: dict[str, str] = {
    # A whole argument that is a Node.js expression on a powerful global: process.env,
    # require['x'], console.info.call(this), module.exports=, this.constructor.constructor.
    "node_expression": (
        r"^\s*(?:process|require|module|global|globalthis|console|this|child_process)(?:\s*(?:\.\s*[a-z_$][\w$]*"
        r"|\[[^\]\n]{0,60}\]?|\([^)\n]{0,60}\)))+\s*[;=]?\s*$"
    ),
    # Server-side JS reaching the module loader or a function constructor.
    "node_loader": (
        r"\brequire\s*(?:\.\s*main|\[)|\bmodule\s*\.\s*(?:constructor|require|children|parent)\b|\._load\s*\("
        r"|\bnew\s+function\s*\(|\bfunction\s*\(\s*[\"']|__js_function|_\$\$nd_func\$\$_"
        r"|\bconstructor\s*\.\s*constructor\b|\bprocess\s*\[|\bglobal(?:this)?\s*\[\s*[\"']"
        r"|[#$]\{\s*(?:require|process|global|module)\b"
        # React Flight references walking to a constructor: "$1:constructor:constructor".
        r"|[\"']\$[\w@]*:(?:[\w$]+:)*(?:constructor|__proto__|prototype)\b"
    ),
    # Prototype pollution through a name or value: __proto__, constructor.prototype, [constructor][prototype].
    "prototype_pollution": (
        r"__proto__|\bconstructor\s*(?:\.|\[\s*[\"']?)\s*prototype\b|\[\s*[\"']?constructor[\"']?\s*\]\s*\[\s*[\"']?prototype"
    ),
    # An infinite loop with nothing in its body (event-loop denial of service).
    "node_busy_loop": (
        r"\bwhile\s*\(+\s*(?:[-+!~]\s*)*(?:true|false|null|undefined|nan|infinity|\d+(?:\.\d+)?|new\s+\w+|this"
        r"|\[\s*\]|\{\s*\}|\"[^\"]*\"|'[^']*'|`[^`]*`)\s*\)+\s*(?:;|\{\s*\}|$|[\"'<])"
        r"|\bfor\s*\(\s*;\s*;\s*\)\s*(?:;|\{\s*\}|$)"
    ),
    # Perl code interpolated into a string: @{[ ... ]}.
    "perl_interpolation": r"@\{\s*\[",
    # Template evaluation probes: a statement tag (Jinja/Twig/Liquid {% %}, ERB/JSP/ASP <% %>) whose
    # condition is a constant or arithmetic, or that reaches code; real templates test variables.
    "template_statement": (
        r"\{%-?\s*(?:if|elif|while|print|unless|echo)\s+\(?\s*(?:true|false|none|nil|null|\d+|[\"'][^\"'%]{0,40}[\"'])"
        r"\s*(?:[-+*/%]\s*\d+\s*)?\)?\s*-?%\}|\{%-?\s*(?:set|with|do|print)\b[^%]{0,80}(?:__|\bcycler\b|\blipsum\b"
        r"|\bjoiner\b|\bnamespace\b|\bconfig\b|\brequest\b|\bself\b|\bos\b|\d+\s*[*+]\s*\d+)|\{%-?\s*import\s+[a-z_]"
        r"|<%[=-]?\s*(?:if|unless|while)\s+\(?\s*(?:true|false|nil|null|\d+|[\"'][^\"'%]{0,40}[\"'])\s*\)?\s*-?%>"
        r"|<%[=-]?\s*(?:\d+\s*[*+]\s*\d+|system|exec|eval|`|%x|io\.|file\.|open\s*\(|require\b|runtime|out\.print"
        r"|response\.write|request\.|new\s+java)"
    ),
}

# ---- SSRF ---------------------------------------------------------------------------------
_SCHEME = r"[a-z][a-z0-9+.-]{1,15}:"
SSRF: dict[str, str] = {
    # A URL whose host is written so a naive filter does not see an address: integer, octal, hex
    # or partly-dotted forms, enclosed or full-width digits, ideographic dots, escaped letters.
    "ssrf_obfuscated_host": (
        r"\b"
        + _SCHEME
        + r"//\\?(?:[^/\s@]*@)?(?:0x[0-9a-f]{2,}|\d{8,10}(?:[:/?#]|$)|0[0-7]{6,}|0\d+\.\d|\d{1,3}\.\d{4,}(?:[:/?#]|$)"
        r"|\d{1,3}\.\d{1,3}\.\d{3,}(?:[:/?#]|$))"
        r"|\b" + _SCHEME + r"//[^/\s]{0,40}(?:\xe2\x91[\xa0-\xbf]|\xe2\x92[\x80-\xbf]|\xe2\x93[\x80-\xbf]"
        r"|\xe3\x80\x82|\xef\xbc[\x8e\x90-\x99]|\xef\xbd\xa1)"
        r"|\b" + _SCHEME + r"//(?:\\+[a-z0-9.]){4,}"
    ),
    # Parser-differential URLs: an '@' after a space, '#', '&' or backslash in the authority.
    "ssrf_authority_confusion": r"\b(?:https?|ftps?|gopher|dict|ssh|ldap):/+[^/\s?#@]*[\s#&\\][^/\s]{0,40}@",
    # A scheme followed directly by an address (http:127.0.0.1, http:123456789).
    "ssrf_no_slashes": r"(?:^|[=\s\"'(])(?:https?|ftps?|gopher|dict|file|ldap|tftp):(?:\d|\[|0x)",
    # Cloud metadata and container/cluster-internal host names.
    # Anchored at the start of a value: articles about Docker may name them in prose.
    "ssrf_internal_host": "|".join(
        r"(?:^|[=&\"'])\s*(?:[a-z][a-z0-9+.-]{1,15}://)?(?:[^/\s@]*@)?(?:" + host + r")(?:[:/?#\"'&]|$)"
        for host in (
            r"metadata\.(?:packet\.net|tencentyun\.com|platformequinix\.com)\b",
            r"(?:[\w-]+\.)*(?:docker|containers)\.internal\b",
            r"(?:[\w-]+\.)*svc\.cluster\.local\b|kubernetes\.default(?:\.svc)?\b",
            r"ip6-(?:loopback|localhost|localnet|allnodes|allrouters)\b|192\.0\.0\.192\b",
            r"(?:[\w-]+\.)*(?:lvh\.me|localtest\.me|vcap\.me|nip\.io|xip\.io|sslip\.io|traefik\.me)\b",
        )
    ),
    # data: URLs carrying text or an application type in a parameter (images in markdown stay legal).
    "data_url": r"(?:^|[=\"'\s,])data:(?:text|application)/[\w.+-]+",
}

# ---- ORM leaks ----------------------------------------------------------------------------
_ORM_LOOKUPS = (
    "exact|iexact|contains|icontains|in|gt|gte|lt|lte|startswith|istartswith|endswith|iendswith|range"
    "|isnull|regex|iregex|has_key|has_keys|has_any_keys|contained_by|overlap|search|trigram_similar"
    "|unaccent|year|month|day|week_day|date|len|keys|values"
)
ORM: dict[str, str] = {
    # Django-style relation traversal with a lookup in a parameter name or JSON key:
    # password__startswith=p, user__profile__city__icontains=x.
    "orm_lookup_name": r"(?:^|[&?;])[a-z][\w.\[\]-]*?__(?:" + _ORM_LOOKUPS + r")(?:=|&|$)",
    "orm_lookup_key": r"^[a-z][a-z0-9_]*?__(?:" + _ORM_LOOKUPS + r")$",
}

CODE: dict[str, str] = {**PHP, **JAVA, **NODE, **SSRF, **ORM, "node_base64": NODE_BASE64}
