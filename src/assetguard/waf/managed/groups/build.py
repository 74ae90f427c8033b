"""Source of the managed rule group documents in this directory.

The JSON files next to this script are what the engine loads (and what a user can read or
deploy to AWS WAF as ordinary rule groups); this script writes them so the shared building
blocks (fields, transformation chains, patterns) are written once. Regenerate with::

    .venv/bin/python src/assetguard/waf/managed/groups/build.py

Only standard WAFv2 statements are used. Patterns stay within the AWS WAF regex subset
(no lookaround, no backreferences, at most 512 characters each).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assetguard.waf.managed.groups.patterns import P, chunks
from assetguard.waf.managed.groups.patterns_cmd import C as CMD
from assetguard.waf.managed.groups.patterns_code import CODE
from assetguard.waf.managed.groups.patterns_nosql import NOSQL
from assetguard.waf.managed.groups.patterns_paths import PATHS
from assetguard.waf.managed.groups.patterns_proto import PROTO

Doc = dict[str, Any]
HERE = Path(__file__).parent

# ---- fields -------------------------------------------------------------------------------
QUERY_ARGS: Doc = {"AllQueryArguments": {}}
QUERY_STRING: Doc = {"QueryString": {}}
URI_PATH: Doc = {"UriPath": {}}
BODY: Doc = {"Body": {"OversizeHandling": "CONTINUE"}}
JSON_BODY: Doc = {
    "JsonBody": {
        "MatchPattern": {"All": {}},
        "MatchScope": "VALUE",
        "InvalidFallbackBehavior": "NO_MATCH",
        "OversizeHandling": "CONTINUE",
    }
}
COOKIES: Doc = {
    "Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "VALUE", "OversizeHandling": "CONTINUE"}
}
COOKIES_ALL: Doc = {
    "Cookies": {"MatchPattern": {"All": {}}, "MatchScope": "ALL", "OversizeHandling": "CONTINUE"}
}
JSON_BODY_ALL: Doc = {"JsonBody": {**JSON_BODY["JsonBody"], "MatchScope": "ALL"}}
HEADERS: Doc = {
    "Headers": {
        "MatchPattern": {"ExcludedHeaders": ["cookie", "host", "content-length", "content-type", "accept"]},
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    }
}


def header(name: str) -> Doc:
    return {"SingleHeader": {"Name": name}}


# ---- transformation chains ----------------------------------------------------------------
def chain(*types: str) -> list[Doc]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(types)]


URL = chain("URL_DECODE_UNI", "HTML_ENTITY_DECODE")
URL2 = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE")
URL2_LOWER = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "LOWERCASE")
XSS_CHAIN = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "JS_DECODE", "REMOVE_NULLS")
CMD_CHAIN = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "CMD_LINE")
# One chain for nearly every regex rule: each (field, chain) pair is transformed once per request,
# so sharing chains keeps the per-request cost down.
PATH_CHAIN = URL2_LOWER
NONE = chain("NONE")


# ---- statements ---------------------------------------------------------------------------
def regex(pattern: str, field: Doc, transforms: list[Doc]) -> Doc:
    """A RegexMatch, or an Or of several when the pattern exceeds AWS's 512-character limit."""
    parts = [
        {
            "RegexMatchStatement": {
                "RegexString": part,
                "FieldToMatch": field,
                "TextTransformations": transforms,
            }
        }
        for part in chunks(pattern)
    ]
    return any_of(*parts)


def pat(key: str, field: Doc, transforms: list[Doc]) -> Doc:
    """Pattern ``key`` of :mod:`.patterns` on ``field`` after ``transforms``.

    No per-rule guard: the engine already combines every pattern on a (field, chain) into one
    prefilter searched once per request, so benign values never reach the long alternations.
    """
    return regex(P[key], field, transforms)


def sqli(field: Doc, transforms: list[Doc], sensitivity: str = "LOW") -> Doc:
    return {
        "SqliMatchStatement": {
            "FieldToMatch": field,
            "TextTransformations": transforms,
            "SensitivityLevel": sensitivity,
        }
    }


def xss(field: Doc, transforms: list[Doc]) -> Doc:
    return {"XssMatchStatement": {"FieldToMatch": field, "TextTransformations": transforms}}


def size(field: Doc, operator: str, limit: int) -> Doc:
    return {
        "SizeConstraintStatement": {
            "FieldToMatch": field,
            "ComparisonOperator": operator,
            "Size": limit,
            "TextTransformations": NONE,
        }
    }


def any_of(*statements: Doc) -> Doc:
    return statements[0] if len(statements) == 1 else {"OrStatement": {"Statements": list(statements)}}


def body_and_json(make: Any) -> Doc:
    """The same check on the raw body and on each JSON value (attacks hide behind JSON quoting)."""
    return any_of(make(BODY), make(JSON_BODY))


def ipset(name: str) -> Doc:
    return {"IPSetReferenceStatement": {"ARN": f"managed:ipset/{name}"}}


# ---- documents ----------------------------------------------------------------------------
def group(
    name: str,
    capacity: int,
    vendor: str,
    namespace: str,
    description: str,
    rules: list[tuple[str, str, Doc]],
    count_rules: tuple[str, ...] = (),
) -> Doc:
    built = []
    for priority, (rule_name, label, statement) in enumerate(rules):
        built.append(
            {
                "Name": rule_name,
                "Priority": priority,
                "Statement": statement,
                "Action": {"Count": {}} if rule_name in count_rules else {"Block": {}},
                "RuleLabels": [{"Name": label}],
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": rule_name,
                },
            }
        )
    return {
        "Name": name,
        "Capacity": capacity,
        "VendorName": vendor,
        "LabelNamespace": namespace,
        "Description": description,
        "Rules": built,
        "VisibilityConfig": {
            "SampledRequestsEnabled": True,
            "CloudWatchMetricsEnabled": True,
            "MetricName": name,
        },
    }


METADATA_FIELDS = (
    ("BODY", "Body", BODY),
    ("COOKIE", "Cookie", COOKIES),
    ("URIPATH", "URIPath", URI_PATH),
    ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
)
RFI_FIELDS = (
    ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
    ("BODY", "Body", BODY),
    ("URIPATH", "URIPath", URI_PATH),
)


def common_rule_set() -> Doc:
    rules: list[tuple[str, str, Doc]] = [
        (
            "NoUserAgent_HEADER",
            "NoUserAgent_Header",
            {"NotStatement": {"Statement": size(header("user-agent"), "GT", 0)}},
        ),
        (
            "UserAgent_BadBots_HEADER",
            "BadBots_Header",
            pat("bad_bots", header("user-agent"), URL2_LOWER),
        ),
        ("SizeRestrictions_QUERYSTRING", "SizeRestrictions_QueryString", size(QUERY_STRING, "GT", 2048)),
        (
            "SizeRestrictions_Cookie_HEADER",
            "SizeRestrictions_Cookie_Header",
            size(header("cookie"), "GT", 10240),
        ),
        (
            "SizeRestrictions_BODY",
            "SizeRestrictions_Body",
            size({"Body": {"OversizeHandling": "MATCH"}}, "GT", 8192),
        ),
        ("SizeRestrictions_URIPATH", "SizeRestrictions_URIPath", size(URI_PATH, "GT", 1024)),
    ]
    # AWS documents EC2MetaDataSSRF_* as attempts to exfiltrate Amazon EC2 metadata; other clouds'
    # endpoints are AssetGuardInjectionRuleSet's CloudMetadataSSRF_*.
    for suffix, label, field in METADATA_FIELDS:
        rules.append(
            (
                f"EC2MetaDataSSRF_{suffix}",
                f"EC2MetaDataSSRF_{label}",
                pat("ssrf_metadata", field, URL2_LOWER),
            )
        )
    for suffix, label, field, pattern in (
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS, "lfi_traversal_arg"),
        ("URIPATH", "URIPath", URI_PATH, "lfi_traversal_path"),
        ("BODY", "Body", BODY, "lfi_traversal_body"),
    ):
        statement = regex(P[pattern], field, PATH_CHAIN)
        if field is not URI_PATH:
            statement = any_of(statement, regex(PROTO["lfi_extra"], field, PATH_CHAIN))
        rules.append((f"GenericLFI_{suffix}", f"GenericLFI_{label}", statement))
    rules.append(
        (
            "RestrictedExtensions_URIPATH",
            "RestrictedExtensions_URIPath",
            pat("restricted_ext", URI_PATH, PATH_CHAIN),
        )
    )
    rules.append(
        (
            "RestrictedExtensions_QUERYARGUMENTS",
            "RestrictedExtensions_QueryArguments",
            pat("restricted_ext", QUERY_ARGS, PATH_CHAIN),
        )
    )
    # AWS documents GenericRFI_* as URLs with an IPv4 host (http, https, ftp, ftps, file); other
    # remote inclusions are AssetGuardInjectionRuleSet's RemoteFileInclusion_*.
    for suffix, label, field in RFI_FIELDS:
        rules.append((f"GenericRFI_{suffix}", f"GenericRFI_{label}", pat("rfi_ipv4", field, URL2_LOWER)))
    rules.append(("CrossSiteScripting_COOKIE", "CrossSiteScripting_Cookie", xss(COOKIES_ALL, XSS_CHAIN)))
    rules.append(
        ("CrossSiteScripting_QUERYARGUMENTS", "CrossSiteScripting_QueryArguments", xss(QUERY_ARGS, XSS_CHAIN))
    )
    rules.append(
        ("CrossSiteScripting_BODY", "CrossSiteScripting_Body", body_and_json(lambda f: xss(f, XSS_CHAIN)))
    )
    rules.append(("CrossSiteScripting_URIPATH", "CrossSiteScripting_URIPath", xss(URI_PATH, XSS_CHAIN)))
    return group(
        "AWSManagedRulesCommonRuleSet",
        700,
        "AWS",
        "awswaf:managed:aws:core-rule-set:",
        "Core rule set: bad user agents, size limits, metadata SSRF, LFI, RFI, restricted extensions, XSS.",
        rules,
    )


def code(key: str, field: Doc, transforms: list[Doc]) -> Doc:
    """Pattern ``key`` of :mod:`.patterns_code` on ``field`` after ``transforms``."""
    return regex(CODE[key], field, transforms)


def _java_deser(field: Doc) -> Doc:
    # The base64 stream magic is case-sensitive: matched before lower-casing.
    return any_of(pat("java_deser", field, URL2_LOWER), code("java_serialized_b64", field, URL2))


def _log4j(field: Doc) -> Doc:
    fields = (BODY, JSON_BODY) if field is BODY else (field,)  # lookups hide behind JSON escapes
    return any_of(
        *(pat("log4j", f, URL2_LOWER) for f in fields), *(code("log4j_entity", f, URL2_LOWER) for f in fields)
    )


def known_bad_inputs() -> Doc:
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in (
        ("HEADER", "Header", HEADERS),
        ("BODY", "Body", BODY),
        ("URIPATH", "URIPath", URI_PATH),
        ("QUERYSTRING", "QueryString", QUERY_STRING),
    ):
        rules.append(
            (
                f"JavaDeserializationRCE_{suffix}",
                f"JavaDeserializationRCE_{label}",
                _java_deser(field),
            )
        )
    rules.append(
        (
            "Host_localhost_HEADER",
            "Host_Localhost_Header",
            pat("host_localhost", header("host"), chain("LOWERCASE")),
        )
    )
    rules.append(
        (
            "PROPFIND_METHOD",
            "Propfind_Method",
            {
                "ByteMatchStatement": {
                    "SearchString": "PROPFIND",
                    "FieldToMatch": {"Method": {}},
                    "PositionalConstraint": "EXACTLY",
                    "TextTransformations": chain("NONE"),
                }
            },
        )
    )
    rules.append(
        (
            "ExploitablePaths_URIPATH",
            "ExploitablePaths_URIPath",
            pat("exploitable_paths", URI_PATH, PATH_CHAIN),
        )
    )
    for suffix, label, field in (
        ("HEADER", "Header", HEADERS),
        ("QUERYSTRING", "QueryString", QUERY_STRING),
        ("BODY", "Body", BODY),
        ("URIPATH", "URIPath", URI_PATH),
    ):
        rules.append((f"Log4JRCE_{suffix}", f"Log4JRCE_{label}", _log4j(field)))
    return group(
        "AWSManagedRulesKnownBadInputsRuleSet",
        200,
        "AWS",
        "awswaf:managed:aws:known-bad-inputs:",
        "Request patterns known to be invalid and tied to exploits: Java deserialization, Log4j, "
        "localhost Host, PROPFIND, exploitable paths.",
        rules,
    )


def sqli_rule_set() -> Doc:
    """The eight rules of AWS's SQL database group, in the order AWS lists them: ``SQLi_*`` are the
    SQL injection statement at Low sensitivity, ``SQLiExtendedPatterns_*`` the patterns it does
    not cover. AWS spells the label of ``SQLiExtendedPatterns_URIPATH`` ``..._UriPath``."""
    rules: list[tuple[str, str, Doc]] = [
        ("SQLi_QUERYARGUMENTS", "SQLi_QueryArguments", sqli(QUERY_ARGS, URL2)),
        (
            "SQLiExtendedPatterns_QUERYARGUMENTS",
            "SQLiExtendedPatterns_QueryArguments",
            pat("sqli_extended", QUERY_ARGS, URL2_LOWER),
        ),
        ("SQLi_BODY", "SQLi_Body", body_and_json(lambda f: sqli(f, URL2))),
        (
            "SQLiExtendedPatterns_BODY",
            "SQLiExtendedPatterns_Body",
            pat("sqli_extended", BODY, URL2_LOWER),
        ),
        (
            "SQLiExtendedPatterns_HEADER",
            "SQLiExtendedPatterns_Header",
            pat("sqli_extended", HEADERS, URL2_LOWER),
        ),
        (
            "SQLiExtendedPatterns_URIPATH",
            "SQLiExtendedPatterns_UriPath",
            pat("sqli_extended", URI_PATH, URL2_LOWER),
        ),
        ("SQLi_COOKIE", "SQLi_Cookie", sqli(COOKIES, URL2)),
        ("SQLi_URIPATH", "SQLi_URIPath", sqli(URI_PATH, URL2)),
    ]
    return group(
        "AWSManagedRulesSQLiRuleSet",
        200,
        "AWS",
        "awswaf:managed:aws:sql-database:",
        "SQL injection: in-house SQL lexer/fingerprinting plus extended patterns.",
        rules,
    )


def linux_rule_set() -> Doc:
    rules = [
        (
            "LFI_URIPATH",
            "LFI_URIPath",
            any_of(pat("linux_files", URI_PATH, PATH_CHAIN), pat("linux_paths_uri", URI_PATH, PATH_CHAIN)),
        ),
        (
            "LFI_QUERYSTRING",
            "LFI_QueryString",
            any_of(pat("linux_files", QUERY_STRING, PATH_CHAIN), pat("linux_abs_arg", QUERY_STRING, PATH_CHAIN)),
        ),
        (
            "LFI_HEADER",
            "LFI_Header",
            any_of(pat("linux_files", HEADERS, PATH_CHAIN), regex(PROTO["lfi_extra"], HEADERS, PATH_CHAIN)),
        ),
    ]
    return group(
        "AWSManagedRulesLinuxRuleSet",
        200,
        "AWS",
        "awswaf:managed:aws:linux-os:",
        "Linux-specific local file inclusion.",
        rules,
    )


def _cmd(key: str, field: Doc, transforms: list[Doc]) -> Doc:
    """Command-injection pattern ``key`` of :mod:`.patterns_cmd`."""
    return regex(CMD[key], field, transforms)


def _unix_value(field: Doc) -> list[Doc]:
    """Command-injection checks for fields whose values arrive one by one (args, JSON, headers).

    JSON values are often code snippets (``cd /srv && make``, alias lines), so they get the
    variant of the shell-syntax pattern without whole-value ``cd`` chains and simple commands.
    """
    if field is JSON_BODY:
        return [
            _cmd("admin_cmd", field, CMD_CHAIN),
            _cmd("wrapped_cmd", field, CMD_CHAIN),
            _cmd("shell_syntax_json", field, URL2_LOWER),
            _cmd("glued_cmd", field, URL2_LOWER),
        ]
    return [
        _cmd("admin_cmd", field, CMD_CHAIN),
        _cmd("wrapped_cmd", field, CMD_CHAIN),
        _cmd("weak_cmd_path", field, CMD_CHAIN),
        _cmd("shell_syntax", field, URL2_LOWER),
        _cmd("glued_cmd", field, URL2_LOWER),
    ]


def unix_rule_set() -> Doc:
    rules = [
        (
            "UNIXShellCommandsVariables_QUERYARGUMENTS",
            "UNIXShellCommandsVariables_QueryArguments",
            any_of(
                pat("unix_cmd", QUERY_ARGS, CMD_CHAIN),
                pat("unix_cmd2", QUERY_ARGS, URL2_LOWER),
                pat("unix_cmd_value", QUERY_ARGS, URL2_LOWER),
                *_unix_value(QUERY_ARGS),
                # Shellshock in an argument name: ?() { :;}; ...
                regex(r"\(\s*\)\s*\{", QUERY_STRING, URL2_LOWER),
            ),
        ),
        (
            "UNIXShellCommandsVariables_BODY",
            "UNIXShellCommandsVariables_Body",
            any_of(
                pat("unix_cmd", BODY, CMD_CHAIN),
                pat("unix_cmd2_body", BODY, URL2_LOWER),
                _cmd("admin_cmd", BODY, CMD_CHAIN),
                _cmd("wrapped_cmd", BODY, CMD_CHAIN),
                _cmd("glued_cmd_body", BODY, URL2_LOWER),
                _cmd("shell_body", BODY, URL2_LOWER),
                _cmd("cmd_value_body", BODY, URL2_LOWER),
                pat("unix_cmd", JSON_BODY, CMD_CHAIN),
                pat("unix_cmd_value", JSON_BODY, URL2_LOWER),
                *_unix_value(JSON_BODY),
                regex(r"\(\s*\)\s*\{\s*[:_]", JSON_BODY_ALL, URL2_LOWER),
            ),
        ),
        (
            "UNIXShellCommandsVariables_HEADER",
            "UNIXShellCommandsVariables_Header",
            any_of(
                pat("unix_cmd", HEADERS, CMD_CHAIN),
                pat("unix_cmd2", HEADERS, URL2_LOWER),
                *_unix_value(HEADERS),
                _cmd("header_cmd", HEADERS, URL2_LOWER),
            ),
        ),
        (
            "UNIXSensitiveFileUpload_HEADER",
            "UNIXSensitiveFileUpload_Header",
            any_of(
                *(
                    _cmd("sensitive_file_header", header(name), URL2_LOWER)
                    for name in ("x-filename", "x_filename", "x-file-name", "x-upload-filename")
                )
            ),
        ),
        (
            "UNIXSensitiveFileUpload_BODY",
            "UNIXSensitiveFileUpload_Body",
            _cmd("sensitive_file_body", BODY, URL2_LOWER),
        ),
    ]
    return group(
        "AWSManagedRulesUnixRuleSet",
        100,
        "AWS",
        "awswaf:managed:aws:posix-os:",
        "POSIX command injection (shell commands, variables, substitutions, evasions) and uploads named "
        "like shell or server configuration files.",
        rules,
    )


def windows_rule_set() -> Doc:
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in (
        ("COOKIE", "Cookie", COOKIES),
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
        ("BODY", "Body", BODY),
    ):
        shell = [pat("windows_cmd", field, URL2_LOWER), _cmd("win_if", field, URL2_LOWER)]
        shell.append(_cmd("win_cmds", QUERY_STRING if field is QUERY_ARGS else field, URL2_LOWER))
        rules.append((f"WindowsShellCommands_{suffix}", f"WindowsShellCommands_{label}", any_of(*shell)))
        rules.append(
            (
                f"PowerShellCommands_{suffix}",
                f"PowerShellCommands_{label}",
                pat("powershell", field, URL2_LOWER),
            )
        )
    return group(
        "AWSManagedRulesWindowsRuleSet",
        200,
        "AWS",
        "awswaf:managed:aws:windows-os:",
        "Windows command injection: cmd.exe and PowerShell.",
        rules,
    )


def _php_code(field: Doc) -> list[Doc]:
    """PHP call shapes (extension functions, whole-value builtin calls, dynamic callees) and ini directives."""
    keys = ["php_prefixed_call", "php_whole_call", "php_variable_call", "php_dynamic_callee"]
    keys += ["php_variable_variable", "php_wrapper"]
    keys.append("php_ini_value" if field is HEADERS or field is COOKIES_ALL else "php_ini_inline")
    return [code(key, field, URL2_LOWER) for key in keys]


def php_rule_set() -> Doc:
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in (
        ("HEADER", "Header", HEADERS),
        ("QUERYSTRING", "QueryString", QUERY_STRING),
        ("BODY", "Body", BODY),
    ):
        rules.append(
            (
                f"PHPHighRiskMethodsVariables_{suffix}",
                f"PHPHighRiskMethodsVariables_{label}",
                any_of(
                    pat("php_functions", field, URL2_LOWER),
                    pat("php_vars", field, URL2_LOWER),
                    *_php_code(field),
                ),
            )
        )
    return group(
        "AWSManagedRulesPHPRuleSet",
        100,
        "AWS",
        "awswaf:managed:aws:php-app:",
        "PHP code injection: high-risk functions, superglobals, stream wrappers, serialized objects.",
        rules,
    )


# JavaScript escapes (\\u0070roto) decoded too; base64-encoded Node.js payloads are matched by
# their base64 forms, case kept (a BASE64_DECODE chain would transform every token-like value).
JS_LOWER = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "HTML_ENTITY_DECODE", "JS_DECODE", "LOWERCASE")
JS_CASE = chain("URL_DECODE_UNI", "JS_DECODE")  # base64 forms are case-sensitive
FILENAME_HEADERS: Doc = {
    "Headers": {
        "MatchPattern": {"IncludedHeaders": ["x-filename", "x_filename", "x-file-name", "x-upload-filename"]},
        "MatchScope": "VALUE",
        "OversizeHandling": "CONTINUE",
    }
}
_NODE_KEYS = ("node_expression", "node_loader", "prototype_pollution", "node_busy_loop", "perl_interpolation")
_SSRF_KEYS = (
    "ssrf_obfuscated_host",
    "ssrf_authority_confusion",
    "ssrf_no_slashes",
    "ssrf_internal_host",
    "data_url",
)
_VALUE_FIELDS = (
    ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
    ("BODY", "Body", BODY),
    ("JSON", "Json", JSON_BODY),
    ("COOKIE", "Cookie", COOKIES_ALL),
)


def beyond_core_rules() -> list[tuple[str, str, Doc]]:
    """What the core rule set's SSRF and RFI rules would cover if AWS had not documented a narrower
    scope for them: metadata endpoints of other clouds (``CloudMetadataSSRF_*``, same fields as
    ``EC2MetaDataSSRF_*``) and remote inclusions without an http/https/ftp/ftps/file URL with an
    IPv4 host (``RemoteFileInclusion_*``, same fields as ``GenericRFI_*``, plus include-path
    parameter names and userinfo tricks in the query string)."""
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in METADATA_FIELDS:
        rules.append(
            (
                f"CloudMetadataSSRF_{suffix}",
                f"CloudMetadataSSRF_{label}",
                pat("ssrf_metadata_other", field, URL2_LOWER),
            )
        )
    for suffix, label, field in RFI_FIELDS:
        statement = any_of(pat("rfi", field, URL2_LOWER), regex(PROTO["rfi_scheme"], field, URL2_LOWER))
        if field is QUERY_ARGS:  # include-path parameter names (mosConfig_absolute_path=...) too
            statement = any_of(
                statement,
                pat("rfi", QUERY_STRING, URL2_LOWER),
                regex(PROTO["rfi_userinfo"], QUERY_STRING, chain("LOWERCASE")),
            )
        rules.append((f"RemoteFileInclusion_{suffix}", f"RemoteFileInclusion_{label}", statement))
    return rules


def code_injection_rules() -> list[tuple[str, str, Doc]]:
    """AssetGuardInjectionRuleSet rules for code injection (CRS 933/934/944 classes): Node.js and
    prototype pollution, Perl interpolation, template statements, SSRF address evasions, ORM
    lookups, Java gadget classes in cookies, JSP uploads, PHP calls in the path."""
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in _VALUE_FIELDS:
        node = [code(key, field, JS_LOWER) for key in _NODE_KEYS]
        if field is QUERY_ARGS or field is COOKIES_ALL:
            node.append(code("node_base64", field, JS_CASE))
        rules.append((f"NodeJSCode_{suffix}", f"NodeJSCode_{label}", any_of(*node)))
        rules.append(
            (
                f"TemplateStatement_{suffix}",
                f"TemplateStatement_{label}",
                code("template_statement", field, URL2_LOWER),
            )
        )
        rules.append(
            (
                f"SSRFEvasion_{suffix}",
                f"SSRFEvasion_{label}",
                any_of(*(code(k, field, URL2_LOWER) for k in _SSRF_KEYS)),
            )
        )
    rules.append(
        (
            "PrototypePollution_QUERYSTRING",
            "PrototypePollution_QueryString",
            code("prototype_pollution", QUERY_STRING, JS_LOWER),
        )
    )
    rules.append(
        (
            "NodeJSCode_URIPATH",
            "NodeJSCode_URIPath",
            any_of(code("node_loader", URI_PATH, URL2_LOWER), regex(r"child_process", URI_PATH, URL2_LOWER)),
        )
    )
    for suffix, label, field in (
        ("QUERYSTRING", "QueryString", QUERY_STRING),
        ("BODY", "Body", BODY),
    ):
        rules.append(
            (f"ORMLookup_{suffix}", f"ORMLookup_{label}", code("orm_lookup_name", field, URL2_LOWER))
        )
    rules.append(("ORMLookup_JSON", "ORMLookup_Json", code("orm_lookup_key", JSON_BODY_ALL, URL2_LOWER)))
    rules.append(("JavaDeserialization_COOKIE", "JavaDeserialization_Cookie", _java_deser(COOKIES_ALL)))
    rules.append(
        (
            "JSPFileUpload_HEADER",
            "JSPFileUpload_Header",
            code("jsp_upload_name", FILENAME_HEADERS, URL2_LOWER),
        )
    )
    rules.append(("JSPFileUpload_BODY", "JSPFileUpload_Body", code("jsp_upload_body", BODY, URL2_LOWER)))
    rules.append(
        (
            "PHPInjection_URIPATH",
            "PHPInjection_URIPath",
            any_of(pat("php_functions", URI_PATH, URL2_LOWER), code("php_path_call", URI_PATH, URL2_LOWER)),
        )
    )
    return rules


_NOSQL_TEXT = ("operator_key", "operator_name", "js_breakout", "js_document", "js_loop", "db_call", "match_all_regex")
JSON_KEYS: Doc = {"JsonBody": {**JSON_BODY["JsonBody"], "MatchScope": "KEY"}}


def nosql_rules() -> list[tuple[str, str, Doc]]:
    """NoSQL injection (:mod:`.patterns_nosql`): operators and server-side JavaScript in every place
    a value arrives, operator parameter names in the query string, operator keys of a JSON body."""
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in (
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
        ("BODY", "Body", BODY),
        ("JSON", "Json", JSON_BODY),
        ("COOKIE", "Cookie", COOKIES_ALL),
        ("HEADER", "Header", HEADERS),
        ("URIPATH", "URIPath", URI_PATH),
    ):
        text = "|".join(NOSQL[key] for key in _NOSQL_TEXT)
        # Headers and the path share the chain most rules use there (JavaScript escapes are rare in
        # them, and a chain of their own would cost every request).
        transforms = URL2_LOWER if field is HEADERS or field is URI_PATH else JS_LOWER
        rules.append((f"NoSQLi_{suffix}", f"NoSQLi_{label}", regex(text, field, transforms)))
    rules.append(
        (
            "NoSQLi_QUERYSTRING",
            "NoSQLi_QueryString",
            regex(NOSQL["operator_name"] + "|" + NOSQL["match_all_regex"], QUERY_STRING, URL2_LOWER),
        )
    )
    rules.append(("NoSQLi_JSONKEY", "NoSQLi_JsonKey", regex(NOSQL["operator_json_key"], JSON_KEYS, chain("LOWERCASE"))))
    return rules


# Each value decoded, then resolved the way a file system would (NORMALIZE_PATH_WIN), then read.
PATH_NORMALIZED = chain("URL_DECODE_UNI", "URL_DECODE_UNI", "REMOVE_NULLS", "NORMALIZE_PATH_WIN", "LOWERCASE")
_PATH_TEXT = ("traversal_steps", "traversal_target", "traversal_evasion", "wrapper")


def path_rules() -> list[tuple[str, str, Doc]]:
    """Path traversal and local file inclusion (:mod:`.patterns_paths`) in every place a path arrives.

    Values are read twice: as decoded text (steps, evasions, wrappers) and resolved
    (``NORMALIZE_PATH_WIN``: where the value leads). Raw bodies get the text checks and
    whole-value paths to secrets, not the byte-level evasions (binary uploads carry any byte).
    """
    value_text = "|".join(PATHS[key] for key in (*_PATH_TEXT, "traversal_evasion_bytes"))
    resolved = "|".join(PATHS[key] for key in ("normalized_escape", "normalized_app_secret", "normalized_target"))
    rules: list[tuple[str, str, Doc]] = []
    for suffix, label, field in (
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
        ("JSON", "Json", JSON_BODY),
        ("COOKIE", "Cookie", COOKIES_ALL),
        ("HEADER", "Header", HEADERS),
    ):
        rules.append(
            (
                f"PathTraversal_{suffix}",
                f"PathTraversal_{label}",
                any_of(regex(value_text, field, URL2_LOWER), regex(resolved, field, PATH_NORMALIZED)),
            )
        )
    body_text = "|".join(PATHS[key] for key in (*_PATH_TEXT, "value_target"))
    rules.append(("PathTraversal_BODY", "PathTraversal_Body", regex(body_text, BODY, URL2_LOWER)))
    path_keys = ("traversal_steps", "traversal_evasion", "traversal_evasion_bytes", "path_target", "wrapper")
    path_text = "|".join(PATHS[key] for key in path_keys)
    rules.append(("PathTraversal_URIPATH", "PathTraversal_URIPath", regex(path_text, URI_PATH, URL2_LOWER)))
    return rules


def injection_rule_set() -> Doc:
    args_body = (
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
        ("BODY", "Body", BODY),
        ("COOKIE", "Cookie", COOKIES_ALL),
    )
    rules: list[tuple[str, str, Doc]] = []
    for prefix, key, transforms in (
        ("SSTI", "ssti", URL2_LOWER),
        ("LDAPi", "ldap", URL2_LOWER),
        ("XXE", "xxe", URL2_LOWER),
        ("SSI", "ssi", URL2_LOWER),
        ("JavaCodeInjection", "java_code", URL2_LOWER),
        ("NodeJSInjection", "nodejs", URL2_LOWER),
        ("SessionFixation", "session_fixation", URL2_LOWER),
    ):
        fields = (*args_body, ("HEADER", "Header", HEADERS)) if prefix == "JavaCodeInjection" else args_body
        for suffix, label, field in fields:
            rules.append((f"{prefix}_{suffix}", f"{prefix}_{label}", regex(P[key], field, transforms)))
    rules.extend(nosql_rules())
    rules.extend(path_rules())
    rules.extend(beyond_core_rules())
    for suffix, label, field in (
        ("QUERYSTRING", "QueryString", QUERY_STRING),
        ("BODY", "Body", BODY),
        ("JSON", "Json", JSON_BODY_ALL),
        ("COOKIE", "Cookie", COOKIES_ALL),
        ("HEADER", "Header", HEADERS),
    ):
        rules.append(
            (
                f"JavaClassName_{suffix}",
                f"JavaClassName_{label}",
                any_of(
                    pat("java_class", field, URL2_LOWER),
                    code("java_gadget_class", field, URL2_LOWER),
                    code("java_process_class", field, URL2_LOWER),
                ),
            )
        )
    rules.append(
        (
            "SessionFixation_QUERYSTRING",
            "SessionFixation_QueryString",
            pat("session_param", QUERY_STRING, URL2_LOWER),
        )
    )
    rules.append(
        ("SessionFixationParams_BODY", "SessionFixationParams_Body", pat("session_param", BODY, URL2_LOWER))
    )
    # AWS's PHP and POSIX groups have no cookie rules; attackers use cookies all the same.
    rules.append(
        (
            "PHPInjection_COOKIE",
            "PHPInjection_Cookie",
            any_of(pat("php_functions", COOKIES_ALL, URL2_LOWER), pat("php_vars", COOKIES_ALL, URL2_LOWER)),
        )
    )
    rules.append(
        (
            "UnixShell_COOKIE",
            "UnixShell_Cookie",
            any_of(pat("unix_cmd", COOKIES_ALL, CMD_CHAIN), pat("unix_cmd2", COOKIES_ALL, URL2_LOWER)),
        )
    )
    rules.append(
        (
            "CRLFInjection_QUERYSTRING",
            "CRLFInjection_QueryString",
            regex(r"(?:^|&)[^=&]*[\r\n][^=&]*(?:=|&|$)", QUERY_STRING, chain("URL_DECODE_UNI")),
        )
    )
    rules.append(("XXE_HEADER", "XXE_Header", regex(PROTO["xxe_entity"], HEADERS, URL2_LOWER)))
    rules.append(("PHPFileUpload_HEADER", "PHPFileUpload_Header", pat("php_upload", HEADERS, URL2_LOWER)))
    rules.append(
        (
            "PHPFileUpload_BODY",
            "PHPFileUpload_Body",
            regex(r"filename\s*=\s*[\"']?[^\"'\r\n;]*(?:" + P["php_upload"] + ")", BODY, URL2_LOWER),
        )
    )
    for suffix, label, field in (
        ("QUERYARGUMENTS", "QueryArguments", QUERY_ARGS),
        ("URIPATH", "URIPath", URI_PATH),
        ("COOKIE", "Cookie", COOKIES),
        ("HEADER", "Header", HEADERS),
    ):
        rules.append(
            (
                f"CRLFInjection_{suffix}",
                f"CRLFInjection_{label}",
                any_of(pat("crlf", field, URL2_LOWER), regex(PROTO["header_line_break"], field, URL2_LOWER))
                if field is HEADERS
                else pat("crlf", field, URL2_LOWER),
            )
        )
    rules.append(
        (
            "MailInjection_BODY",
            "MailInjection_Body",
            any_of(pat("mail", BODY, URL2_LOWER), _cmd("mail_body", BODY, URL2_LOWER)),
        )
    )
    rules.append(
        (
            "MailInjection_QUERYARGUMENTS",
            "MailInjection_QueryArguments",
            any_of(pat("mail", QUERY_ARGS, URL2_LOWER), pat("mail_args", QUERY_ARGS, URL2_LOWER)),
        )
    )
    rules.append(
        (
            "HTTPSmuggling_BODY",
            "HTTPSmuggling_Body",
            any_of(pat("smuggling", BODY, URL2_LOWER), regex(PROTO["embedded_request"], BODY, URL2_LOWER)),
        )
    )
    rules.append(
        (
            "HTTPSmuggling_QUERYARGUMENTS",
            "HTTPSmuggling_QueryArguments",
            pat("smuggling", QUERY_ARGS, URL2_LOWER),
        )
    )
    rules.append(
        (
            "SQLiHighSensitivity_HEADER",
            "SQLiHighSensitivity_Header",
            sqli(
                {
                    "Headers": {
                        "MatchPattern": {"IncludedHeaders": ["referer", "user-agent", "x-forwarded-for"]},
                        "MatchScope": "VALUE",
                        "OversizeHandling": "CONTINUE",
                    }
                },
                URL2,
            ),
        )
    )
    rules.append(
        (
            "CrossSiteScripting_HEADER",
            "CrossSiteScripting_Header",
            xss(HEADERS, XSS_CHAIN),
        )
    )
    rules.append(
        ("CrossSiteScripting_QUERYNAMES", "CrossSiteScripting_QueryNames", xss(QUERY_STRING, XSS_CHAIN))
    )
    # SQL injection in argument names (values are SQLi_QUERYARGUMENTS'): the whole query string is
    # read only when a name carries characters no parameter name needs, so that '&' between
    # ordinary parameters (OData's $filter=...&$top=50) is not read as SQL's bitwise and.
    rules.append(
        (
            "SQLi_QUERYSTRING",
            "SQLi_QueryString",
            _and(regex(PROTO["odd_arg_name"], QUERY_STRING, URL2), sqli(QUERY_STRING, URL2)),
        )
    )
    rules.extend(code_injection_rules())
    return group(
        "AssetGuardInjectionRuleSet",
        400,
        "AssetGuard",
        "assetguard:managed:injection:",
        "Injection classes AWS sells no group for: NoSQL, server-side templates, LDAP, XXE, SSI, Java and "
        "Node.js code, session fixation, CRLF/header, mail, request smuggling; plus SQLi/XSS in headers "
        "and argument names.",
        rules,
    )


def _header_value(name: str, pattern: str) -> Doc:
    return regex(pattern, header(name), chain("LOWERCASE"))


def _present(name: str) -> Doc:
    return size(header(name), "GT", 0)


def _and(*statements: Doc) -> Doc:
    return {"AndStatement": {"Statements": list(statements)}}


_MULTIPART = _header_value("content-type", r"^\s*multipart/")
_FORM = _header_value("content-type", r"^\s*application/x-www-form-urlencoded")


def _multipart_rules() -> list[tuple[str, str, Doc]]:
    """Multipart part headers that let parsers disagree: exotic charsets, transfer encodings, delimiters in names."""
    lower = chain("LOWERCASE")
    return [
        (
            "MultipartCharset_BODY",
            "MultipartCharset_Body",
            _and(
                _MULTIPART,
                any_of(
                    regex(PROTO["multipart_part_charset"], BODY, lower),
                    regex(PROTO["multipart_charset_field"], BODY, lower),
                ),
            ),
        ),
        (
            "MultipartTransferEncoding_BODY",
            "MultipartTransferEncoding_Body",
            _and(_MULTIPART, regex(PROTO["multipart_cte"], BODY, lower)),
        ),
        (
            "MultipartFieldName_BODY",
            "MultipartFieldName_Body",
            _and(_MULTIPART, regex(PROTO["multipart_bad_name"], BODY, lower)),
        ),
    ]


def _form_encoding_rules() -> list[tuple[str, str, Doc]]:
    """URL-encoding abuse in the query string and in form bodies: invalid escapes, invalid UTF-8,
    double encoding, control characters, over-long or malformed argument names."""
    lower, decoded = chain("LOWERCASE"), chain("URL_DECODE_UNI")
    rules: list[tuple[str, str, Doc]] = [
        ("InvalidEncoding_BODY", "InvalidEncoding_Body", _and(_FORM, regex(P["invalid_encoding"], BODY, lower))),
        ("LongArgumentName_QUERYSTRING", "LongArgumentName_QueryString", regex(PROTO["long_arg_name"], QUERY_STRING, NONE)),
        (
            "MalformedArrayName_QUERYSTRING",
            "MalformedArrayName_QueryString",
            regex(PROTO["malformed_array_name"], QUERY_STRING, decoded),
        ),
        ("ControlCharacters_COOKIE", "ControlCharacters_Cookie", regex(PROTO["control_chars"], COOKIES_ALL, URL2_LOWER)),
        (
            "UnicodeEscapes_BODY",
            "UnicodeEscapes_Body",
            _and(_FORM, regex(r"\\u[0-9a-f]{4}|%u[0-9a-f]{4}", BODY, chain("URL_DECODE", "LOWERCASE"))),
        ),
    ]
    for key, rule, label in (
        ("invalid_utf8", "InvalidUTF8", "InvalidUTF8"),
        ("double_encoding", "DoubleEncoding", "DoubleEncoding"),
        ("control_chars", "ControlCharacters", "ControlCharacters"),
    ):
        transforms = decoded if key == "control_chars" else lower
        rules.append((f"{rule}_QUERYSTRING", f"{label}_QueryString", regex(PROTO[key], QUERY_STRING, transforms)))
        rules.append((f"{rule}_BODY", f"{label}_Body", _and(_FORM, regex(PROTO[key], BODY, transforms))))
    return rules


def protocol_rule_set() -> Doc:
    """HTTP protocol enforcement: requests no browser or API client sends, used to smuggle or evade."""
    allowed_methods = any_of(
        *(
            {
                "ByteMatchStatement": {
                    "SearchString": m,
                    "FieldToMatch": {"Method": {}},
                    "PositionalConstraint": "EXACTLY",
                    "TextTransformations": NONE,
                }
            }
            for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
        )
    )
    rules: list[tuple[str, str, Doc]] = [
        (
            "MethodNotAllowed_METHOD",
            "MethodNotAllowed_Method",
            {"NotStatement": {"Statement": allowed_methods}},
        ),
        ("MissingHost_HEADER", "MissingHost_Header", {"NotStatement": {"Statement": _present("host")}}),
        ("NumericHost_HEADER", "NumericHost_Header", _header_value("host", P["numeric_host"])),
        ("EmptyAccept_HEADER", "EmptyAccept_Header", size(header("accept"), "EQ", 0)),
        (
            "ContentTypeNotAllowed_HEADER",
            "ContentTypeNotAllowed_Header",
            {
                "AndStatement": {
                    "Statements": [
                        _present("content-type"),
                        {
                            "NotStatement": {
                                "Statement": _header_value("content-type", P["allowed_content_type"])
                            }
                        },
                    ]
                }
            },
        ),
        (
            "CharsetNotAllowed_HEADER",
            "CharsetNotAllowed_Header",
            any_of(_header_value("content-type", PROTO["charset_param"]), _header_value("accept", PROTO["charset_param"])),
        ),
        ("ContentTypeSyntax_HEADER", "ContentTypeSyntax_Header", _header_value("content-type", PROTO["content_type_syntax"])),
        # Deprecated (RFC 9110 §12.5.2); browsers stopped sending it, encoding-confusion probes did not.
        ("AcceptCharset_HEADER", "AcceptCharset_Header", _present("accept-charset")),
        (
            "AcceptEncodingNotAllowed_HEADER",
            "AcceptEncodingNotAllowed_Header",
            _and(
                _present("accept-encoding"),
                {"NotStatement": {"Statement": _header_value("accept-encoding", PROTO["accept_encoding_ok"])}},
            ),
        ),
        (
            "RangeAbuse_HEADER",
            "RangeAbuse_Header",
            any_of(
                _and(
                    {"NotStatement": {"Statement": regex(r"\.pdf$", URI_PATH, URL2_LOWER)}},
                    _header_value("range", PROTO["range_many"]),
                ),
                _header_value("range", PROTO["range_very_many"]),
            ),
        ),
        ("LegacyCookieSyntax_HEADER", "LegacyCookieSyntax_Header", _header_value("cookie", PROTO["legacy_cookie"])),
        *_multipart_rules(),
        *_form_encoding_rules(),
        (
            "BodyWithoutContentType_HEADER",
            "BodyWithoutContentType_Header",
            {
                "AndStatement": {
                    "Statements": [
                        size({"Body": {"OversizeHandling": "MATCH"}}, "GT", 0),
                        {"NotStatement": {"Statement": _present("content-type")}},
                    ]
                }
            },
        ),
        (
            "BodyOnGet_METHOD",
            "BodyOnGet_Method",
            {
                "AndStatement": {
                    "Statements": [
                        regex(r"^(?:GET|HEAD)$", {"Method": {}}, NONE),
                        size({"Body": {"OversizeHandling": "MATCH"}}, "GT", 0),
                    ]
                }
            },
        ),
        (
            "RestrictedHeaders_HEADER",
            "RestrictedHeaders_Header",
            regex(
                P["restricted_headers"],
                {
                    "Headers": {
                        "MatchPattern": {"All": {}},
                        "MatchScope": "KEY",
                        "OversizeHandling": "CONTINUE",
                    }
                },
                chain("LOWERCASE"),
            ),
        ),
        (
            "DuplicateConnection_HEADER",
            "DuplicateConnection_Header",
            _header_value("connection", r"keep-alive\s*,\s*keep-alive|close\s*,\s*close|keep-alive\s*,\s*close|close\s*,\s*keep-alive"),
        ),
        (
            "MethodOverride_QUERYSTRING",
            "MethodOverride_QueryString",
            regex(PROTO["method_override"], QUERY_STRING, chain("URL_DECODE_UNI", "LOWERCASE")),
        ),
        (
            "MethodOverride_BODY",
            "MethodOverride_Body",
            _and(_FORM, regex(PROTO["method_override_form"], BODY, chain("URL_DECODE_UNI", "LOWERCASE"))),
        ),
        (
            "InvalidEncoding_QUERYSTRING",
            "InvalidEncoding_QueryString",
            regex(P["invalid_encoding"], QUERY_STRING, chain("LOWERCASE")),
        ),
        (
            "NullByte_QUERYSTRING",
            "NullByte_QueryString",
            regex(r"\x00", QUERY_STRING, chain("URL_DECODE_UNI")),
        ),
        ("NullByte_URIPATH", "NullByte_URIPath", regex(r"\x00", URI_PATH, chain("URL_DECODE_UNI"))),
        (
            "NewlineInPath_URIPATH",
            "NewlineInPath_URIPath",
            regex(r"[\r\n]", URI_PATH, chain("URL_DECODE_UNI")),
        ),
        # A second media type hidden in a Content-Type parameter: parsers disagree on which one wins.
        (
            "ContentTypeSmuggling_HEADER",
            "ContentTypeSmuggling_Header",
            _header_value("content-type", r";\s*[\w-]+\s*=\s*[\"']?[a-z][\w.+-]*/[\w.+-]+"),
        ),
        # HTTP parameter splitting: a line break inside a value followed by name=value.
        (
            "ParameterSplitting_QUERYARGUMENTS",
            "ParameterSplitting_QueryArguments",
            regex(r"[\r\n]+[\w.\[\]-]{1,40}=", QUERY_ARGS, chain("URL_DECODE_UNI")),
        ),
        (
            "ProxyUnixSocket_QUERYSTRING",
            "ProxyUnixSocket_QueryString",
            regex(r"unix:[^|&]*\|", QUERY_STRING, chain("URL_DECODE_UNI", "LOWERCASE")),
        ),
        ("NullByte_HEADER", "NullByte_Header", regex(r"\x00", HEADERS, chain("URL_DECODE_UNI"))),
        (
            "UnicodeEscapes_QUERYARGUMENTS",
            "UnicodeEscapes_QueryArguments",
            regex(r"\\u[0-9a-f]{4}|%u[0-9a-f]{4}", QUERY_ARGS, chain("URL_DECODE", "LOWERCASE")),
        ),
        # 1 KB: JSON filter documents and GraphQL queries sent with GET run past CRS's example
        # limit of 400; the whole query string stays capped at 2 KB by SizeRestrictions_QUERYSTRING.
        ("LongArgument_QUERYARGUMENTS", "LongArgument_QueryArguments", size(QUERY_ARGS, "GT", 1024)),
        (
            "TooManyArguments_QUERYSTRING",
            "TooManyArguments_QueryString",
            regex(r"(?:[^&]*&){255}", QUERY_STRING, NONE),
        ),
        (
            "BackupFile_URIPATH",
            "BackupFile_URIPath",
            regex(PROTO["backup_file_path"], URI_PATH, PATH_CHAIN),
        ),
    ]
    return group(
        "AssetGuardProtocolRuleSet",
        150,
        "AssetGuard",
        "assetguard:managed:protocol:",
        "HTTP protocol enforcement: unknown methods, missing or numeric Host, disallowed content types and charsets, "
        "bodies where none belong, restricted and duplicated headers, method override, invalid URL encoding, "
        "null bytes, oversized and over-numerous arguments, editor backup files.",
        rules,
    )


def ip_reputation() -> Doc:
    rules = [
        ("AWSManagedIPReputationList", "AWSManagedIPReputationList", ipset("amazon-ip-reputation")),
        ("AWSManagedReconnaissanceList", "AWSManagedReconnaissanceList", ipset("amazon-reconnaissance")),
        ("AWSManagedIPDDoSList", "AWSManagedIPDDoSList", ipset("amazon-ddos")),
    ]
    return group(
        "AWSManagedRulesAmazonIpReputationList",
        25,
        "AWS",
        "awswaf:managed:aws:amazon-ip-list:",
        "Addresses known for bots, reconnaissance and DDoS (local lists; refresh with `assetguard waf update-lists`).",
        rules,
        count_rules=("AWSManagedIPDDoSList",),
    )


def anonymous_ip() -> Doc:
    rules = [
        ("AnonymousIPList", "AnonymousIPList", ipset("anonymous")),
        ("HostingProviderIPList", "HostingProviderIPList", ipset("hosting-provider")),
    ]
    return group(
        "AWSManagedRulesAnonymousIpList",
        50,
        "AWS",
        "awswaf:managed:aws:anonymous-ip-list:",
        "Anonymising services (Tor exits, VPNs, proxies) and hosting providers.",
        rules,
    )


ALL = (
    common_rule_set,
    known_bad_inputs,
    sqli_rule_set,
    linux_rule_set,
    unix_rule_set,
    windows_rule_set,
    php_rule_set,
    injection_rule_set,
    protocol_rule_set,
    ip_reputation,
    anonymous_ip,
)


EXTRA_GROUPS = (
    ("AWS", "AWSManagedRulesUnixRuleSet"),
    ("AWS", "AWSManagedRulesWindowsRuleSet"),
    ("AWS", "AWSManagedRulesPHPRuleSet"),
    ("AssetGuard", "AssetGuardInjectionRuleSet"),
    ("AssetGuard", "AssetGuardProtocolRuleSet"),
)
ACLS = HERE.parent.parent / "acls"


def recommended_acl() -> Doc:
    """``baseline`` plus the groups the plan lacked, inserted before its Allow rule."""
    baseline: Doc = json.loads((ACLS / "baseline.json").read_text(encoding="utf-8"))
    rules = [r for r in baseline["Rules"] if "ManagedRuleGroupStatement" in r["Statement"]]
    others = [r for r in baseline["Rules"] if "ManagedRuleGroupStatement" not in r["Statement"]]
    next_priority = max(r["Priority"] for r in rules) + 1
    for vendor, name in EXTRA_GROUPS:
        rule_name = f"{vendor}-{name}"
        rules.append(
            {
                "Name": rule_name,
                "Priority": next_priority,
                "Statement": {"ManagedRuleGroupStatement": {"VendorName": vendor, "Name": name}},
                "OverrideAction": {"None": {}},
                "VisibilityConfig": {
                    "SampledRequestsEnabled": True,
                    "CloudWatchMetricsEnabled": True,
                    "MetricName": rule_name,
                },
            }
        )
        next_priority += 1
    for rule in others:
        rules.append({**rule, "Priority": max(rule["Priority"], next_priority)})
        next_priority = rules[-1]["Priority"] + 1
    return {
        **baseline,
        "Name": "recommended",
        "Description": "baseline plus the POSIX, Windows, PHP and AssetGuard injection groups.",
        "Rules": rules,
        "VisibilityConfig": {**baseline["VisibilityConfig"], "MetricName": "recommended"},
    }


def main() -> None:
    for make in ALL:
        doc = make()
        (HERE / f"{doc['Name']}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(doc["Name"], len(doc["Rules"]), "rules")
    (ACLS / "recommended.json").write_text(json.dumps(recommended_acl(), indent=2) + "\n", encoding="utf-8")
    print("recommended ACL written")


if __name__ == "__main__":
    main()
