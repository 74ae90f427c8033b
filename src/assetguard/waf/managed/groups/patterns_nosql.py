"""NoSQL injection patterns for AssetGuardInjectionRuleSet (MongoDB operators and server-side JavaScript).

Judged in context rather than by the ``$word`` alone:

* an operator is an attack where a document store reads it as one: a bracketed parameter name
  (``user[$ne]=``), a JSON key (``JsonBody`` keys are matched whole), or an object key in JSON or
  JavaScript text followed by an operand (``{"$gt": ""}``, ``{$in: [...]}``, ``, $where: '1 == 1'``);
* JSON Schema (``$schema``, ``$id``, ``$ref``, ``$defs``, ``$comment``), Extended JSON (``$oid``,
  ``$date``, ``$numberLong``, ``$binary``, ``$type``, ``$regularExpression``), OData (``$filter``,
  ``$top``) and prices never match: none of them is in the operator list, and the operands of a
  GraphQL variable definition (``$where: UserWhereInput``, ``$in: [String!]``) are type names,
  which no operand alternative accepts;
* server-side JavaScript is a string break-out (``'; return true; var x='``,
  ``' && this.password.match(/.*/)//``), a document property compared or matched
  (``this.password.match(...)``, ``this.role == 'admin'``), a busy loop or ``sleep(n)``, or a
  ``db.<collection>.<method>(`` call.

Patterns run after URL decoding (twice), HTML entity and JavaScript escape decoding and lower-casing.
"""

from __future__ import annotations

# Query and aggregation operators whose injection changes what a query matches or runs.
_OPS = (
    r"(?:ne|eq|gte?|lte?|n?in|regex|exists|not|n?or|and|where|expr|function|accumulator|lookup|graphlookup"
    r"|unionwith|elemmatch|jsonschema|all|mod|size)"
)
# What follows an operator key in an injected object: a string, number, array, object, literal,
# regex or code; never a GraphQL type name.
_OPERAND = (
    r"\s*\\?(?:[\"'`{(/\d-]|\[\s*(?:[\"'\d\]{/-]|null|true|false|undefined)|null|true|false|undefined|new\b"
    r"|this\b|function\b|sleep\b|return\b)"
)

NOSQL: dict[str, str] = {
    # {"$ne": ...}, {$gt: ...}, ", $where: '..." (also with JSON-escaped quotes in a raw body).
    "operator_key": r"(?:^|[{,\[(]|&&|\|\|)\s*\\?[\"']?\$" + _OPS + r"\\?[\"']?\s*:" + _OPERAND,
    # user[$ne]=1, user[$in][]=a (a parameter name, seen in the query string or a form body).
    "operator_name": r"\[\s*\$" + _OPS + r"\s*\]",
    # A JSON key that is an operator: matched against JsonBody keys, whole.
    "operator_json_key": r"^\$" + _OPS + r"$",
    # Server-side JavaScript after a string break-out, or on its own.
    "js_breakout": (
        r"[\"'`]\s*(?:;|\|\||&&|\})\s*(?:return\b|this\s*\.|sleep\s*\(|while\s*\(|do\s*\{|it\s*=\s*new\b"
        r"|throw\b|db\s*\.|object\s*\.\s*keys|var\s+\w+\s*=|let\s+\w+\s*=|\d+\s*===?\s*\d|emit\s*\(|tojson\s*\("
        r"|[\"'`]?\w*[\"'`]?\s*===?\s*[\"'`]?\w)"
        r"|(?:^|[=/])\d+\s*;\s*(?:return\s+(?:true|1|this)\b|while\s*\(\s*(?:1|true)\s*\)\s*\{\s*\}|sleep\s*\()|^\s*function\s*\(\s*\)\s*\{\s*return\s+(?:true|this\b|1\b)|(?:^|[;\"'`]\s*)sleep\s*\(\s*\d{3,}\s*\)"
    ),
    "js_document": (
        r"(?:^|[\"'`;=]|&&|\|\|)\s*this\s*\.\s*\w+(?:\s*\.\s*\w+)*\s*(?:\.\s*match\s*\(\s*/|[=!]==?\s*(?:[\"'`\d]|this\b|null\b|true\b))"
        r"|\bthis\s*\.\s*constructor\s*\.\s*constructor|\bobject\s*\.\s*keys\s*\(\s*this\s*\)"
        r"|\bjson\s*\.\s*stringify\s*\(\s*this\s*\)|\btojson\s*\(\s*db\b"
        r"|\$where\s*\\?[\"']?\s*:\s*\\?[\"'`]?\s*(?:function\b|this\b|sleep\b|return\b|\d|true\b|[\"'`]?\s*\w+\s*==)"
    ),
    "js_loop": (
        r"\bwhile\s*\(\s*(?:true|1)\s*\)\s*\{\s*\}|\bdo\s*\{[^}]{0,80}\bnew\s+date\b[^}]{0,40}\}\s*while\s*\(|[;,{]\s*sleep\s*\(\s*\d+\s*\)"
        r"|\bsleep\s*\(\s*\d+\s*\)\s*(?:\|\||&&|;)"
    ),
    "db_call": (
        r"\bdb\s*\.\s*(?:\w+\s*\.\s*)?(?:find\w*|insert\w*|drop\w*|remove|update\w*|delete\w*|aggregate"
        r"|mapreduce|getcollectionnames|getsiblingdb|getcollection|getname|eval|runcommand|createuser"
        r"|admincommand|shutdownserver)\s*\(|\bdb\s*\.\s*system\s*\.\s*(?:users|js)\b"
        r"|\bmapreduce\s*\(\s*function\b|\bemit\s*\(\s*\d+\s*,"
    ),
    # { password : /.*/ } and [$regex]=.* : a match-everything regular expression as an operand.
    "match_all_regex": r"(?:[:=,]\s*/\^?\.[*+]/[a-z]*\s*[,}]|\[\s*\$regex\s*\]\s*=\s*\^?\.[*+])",
}
