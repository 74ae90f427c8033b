"""A deterministic legitimate-traffic corpus shaped like the demo application's users.

``generate(n, seed)`` returns ``n`` offline-contract records (``method, uri, headers, body,
client_ip``) plus a ``kind`` tag for reporting: searches with SQL-ish words, user profiles
with apostrophes and accents, markdown articles, code snippets posted to ``/content``, JSON
documents, form posts, multipart uploads, health checks, with real browser and API-client
headers. The same ``seed`` always yields the same corpus, so no large file is committed.
"""

from __future__ import annotations

import json
import random
import string
from typing import Any
from urllib.parse import quote, quote_plus, urlencode

from bench.waf_quality.legit_text import (
    ACCEPT_LANGUAGES,
    API_UAS,
    BROWSER_UAS,
    CODE_SNIPPETS,
    FIRST_NAMES,
    LAST_NAMES,
    SEARCHES,
    TOPICS,
    WORDS,
)

HOST = "app.example.com"


class LegitGenerator:
    """Builds one request at a time from a seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    # ---- pieces -----------------------------------------------------------------------------
    def token(self, n: int = 32) -> str:
        return "".join(self.rng.choice(string.ascii_letters + string.digits) for _ in range(n))

    def name(self) -> str:
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def sentence(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(6, 18))]
        text = " ".join(words)
        if self.rng.random() < 0.25:
            text += f", said {self.name()}"
        if self.rng.random() < 0.15:
            text += (
                " (it's "
                + self.rng.choice(["great", "not ideal", "50% done", "done & dusted", "a 'maybe'"])
                + ")"
            )
        return text[0].upper() + text[1:] + self.rng.choice([".", ".", ".", "!", "?", "..."])

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6)))

    def markdown(self, with_code: bool) -> str:
        parts = [f"# {self.rng.choice(TOPICS)}", "", self.paragraph(), ""]
        for _ in range(self.rng.randint(1, 4)):
            kind = self.rng.random()
            if kind < 0.3:
                parts += [f"## {self.rng.choice(TOPICS)}", "", self.paragraph(), ""]
            elif kind < 0.5:
                parts += [f"- {self.sentence()}" for _ in range(self.rng.randint(2, 5))] + [""]
            elif kind < 0.6:
                parts += [f"> {self.sentence()}", ""]
            elif kind < 0.7:
                parts += [
                    "| metric | value |",
                    "|---|---|",
                    f"| cost | ${self.rng.randint(1, 999)}.00 |",
                    f"| p99 | {self.rng.randint(5, 900)} ms |",
                    "",
                ]
            elif kind < 0.8:
                parts += [
                    f"See [the docs](https://docs.example.com/{self.rng.choice(WORDS)}) and "
                    f"![diagram](/static/img/{self.rng.choice(WORDS)}.png) or `{self.rng.choice(WORDS)}()`.",
                    "",
                ]
            elif kind < 0.85:
                parts += ["<details><summary>More</summary>", "", self.paragraph(), "", "</details>", ""]
            else:
                parts += [self.paragraph() + " **Note:** " + self.sentence(), ""]
        if with_code:
            lang, code = self.rng.choice(CODE_SNIPPETS)
            parts += [f"```{lang}", code.rstrip("\n"), "```", "", self.sentence()]
        return "\n".join(parts)

    def browser_headers(self, referer_path: str = "/content") -> list[list[str]]:
        headers = [
            ["Host", HOST],
            ["User-Agent", self.rng.choice(BROWSER_UAS)],
            [
                "Accept",
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
            ],
            ["Accept-Language", self.rng.choice(ACCEPT_LANGUAGES)],
            ["Accept-Encoding", "gzip, deflate, br, zstd"],
            [
                "Cookie",
                f"session={self.token()}; theme={self.rng.choice(['dark', 'light'])}; "
                f"_ga=GA1.2.{self.rng.randint(10**8, 10**9)}.{self.rng.randint(10**9, 2 * 10**9)}",
            ],
        ]
        if self.rng.random() < 0.7:
            headers.append(["Referer", f"https://{HOST}{referer_path}"])
        if self.rng.random() < 0.5:
            headers += [
                ["Sec-Fetch-Site", "same-origin"],
                ["Sec-Fetch-Mode", "navigate"],
                ["Sec-Fetch-Dest", "document"],
            ]
        return headers

    def api_headers(self) -> list[list[str]]:
        jwt = ".".join(self.token(n) for n in (36, 120, 43))
        return [
            ["Host", HOST],
            ["User-Agent", self.rng.choice(API_UAS)],
            ["Accept", "application/json"],
            ["Authorization", f"Bearer {jwt}"],
        ]

    def headers(self, referer_path: str = "/content") -> list[list[str]]:
        return self.browser_headers(referer_path) if self.rng.random() < 0.65 else self.api_headers()

    # ---- requests ---------------------------------------------------------------------------
    def search(self) -> dict[str, Any]:
        q = self.rng.choice(SEARCHES)
        params = [("q", q)]
        if self.rng.random() < 0.5:
            params.append(("page", str(self.rng.randint(1, 20))))
        if self.rng.random() < 0.4:
            params.append(("sort", self.rng.choice(["id", "date", "-created_at", "name", "relevance"])))
        if self.rng.random() < 0.3:
            params.append(("tag", self.rng.choice(["python", "c++", "c#", "ops", "how-to", "q&a"])))
        return {
            "method": "GET",
            "uri": "/content?" + urlencode(params, quote_via=quote_plus),
            "headers": self.headers(),
        }

    def user_lookup(self) -> dict[str, Any]:
        if self.rng.random() < 0.5:
            return {
                "method": "GET",
                "uri": f"/user/{self.rng.randint(1, 99999)}",
                "headers": self.headers("/user"),
            }
        uri = "/user?" + urlencode([("name", self.name()), ("limit", "20")], quote_via=quote)
        return {"method": "GET", "uri": uri, "headers": self.headers("/user")}

    def user_json(self) -> dict[str, Any]:
        name = self.name()
        doc = {
            "name": name,
            "email": f"{name.split()[0].lower().replace(chr(39), '')}.{self.rng.randint(1, 999)}@example.org",
            "bio": self.paragraph(),
            "location": self.rng.choice(
                ["Dublin", "São Paulo", "Zürich", "New York, NY", "Kraków", "Québec"]
            ),
            "links": [f"https://{self.rng.choice(WORDS)}.example.net/~{self.rng.choice(WORDS)}"],
            "preferences": {"newsletter": self.rng.random() < 0.5, "theme": "dark", "tz": "Europe/Dublin"},
        }
        method = self.rng.choice(["POST", "PUT", "PATCH"])
        uri = "/user" if method == "POST" else f"/user/{self.rng.randint(1, 99999)}"
        return self._json(method, uri, doc)

    def content_json(self, with_code: bool) -> dict[str, Any]:
        doc = {
            "title": self.rng.choice(TOPICS),
            "body": self.markdown(with_code),
            "format": "markdown",
            "tags": self.rng.sample(["python", "ops", "aws", "cost", "security", "howto", "rust", "sql"], 3),
            "draft": self.rng.random() < 0.3,
        }
        method = "POST" if self.rng.random() < 0.7 else "PUT"
        uri = "/content" if method == "POST" else f"/content/{self.rng.randint(1, 99999)}"
        return self._json(method, uri, doc)

    def _json(self, method: str, uri: str, doc: dict[str, Any]) -> dict[str, Any]:
        headers = self.headers()
        headers.append(["Content-Type", "application/json"])
        return {"method": method, "uri": uri, "headers": headers, "body": json.dumps(doc, ensure_ascii=False)}

    def content_form(self) -> dict[str, Any]:
        fields = [
            ("title", self.rng.choice(TOPICS)),
            ("body", self.markdown(self.rng.random() < 0.3)),
            ("author", self.name()),
            ("csrf_token", self.token(40)),
        ]
        headers = self.browser_headers("/content/new")
        headers.append(["Content-Type", "application/x-www-form-urlencoded"])
        return {"method": "POST", "uri": "/content", "headers": headers, "body": urlencode(fields)}

    def content_multipart(self) -> dict[str, Any]:
        boundary = "----WebKitFormBoundary" + self.token(16)
        title = self.rng.choice(TOPICS)
        text = self.markdown(self.rng.random() < 0.3)
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="notes.md"\r\n'
            f"Content-Type: text/markdown\r\n\r\n{text}\r\n--{boundary}--\r\n"
        )
        headers = self.browser_headers("/content/new")
        headers.append(["Content-Type", f"multipart/form-data; boundary={boundary}"])
        return {"method": "POST", "uri": "/content/upload", "headers": headers, "body": body}

    def misc(self) -> dict[str, Any]:
        choice = self.rng.random()
        if choice < 0.3:
            return {
                "method": "GET",
                "uri": self.rng.choice(["/was/health", "/was/info", "/was/version"]),
                "headers": [["Host", HOST], ["User-Agent", self.rng.choice(API_UAS)], ["Accept", "*/*"]],
            }
        if choice < 0.6:
            return {
                "method": "DELETE",
                "uri": f"/content/{self.rng.randint(1, 99999)}",
                "headers": self.api_headers(),
            }
        if choice < 0.8:
            slug = "-".join(self.rng.choice(WORDS) for _ in range(4))
            return {"method": "GET", "uri": f"/content/{quote(slug)}", "headers": self.headers()}
        return {
            "method": "GET",
            "uri": f"/content?{urlencode([('author', self.name()), ('since', '2025-01-01')])}",
            "headers": self.headers(),
        }


MIX = [
    ("search", 0.30),
    ("user-lookup", 0.10),
    ("user-json", 0.12),
    ("article-json", 0.14),
    ("snippet-json", 0.10),
    ("article-form", 0.08),
    ("multipart", 0.06),
    ("misc", 0.10),
]


def generate(n: int = 6000, seed: int = 20260529) -> list[dict[str, Any]]:
    """``n`` legitimate requests (offline-contract records with a ``kind`` tag), deterministic."""
    gen = LegitGenerator(seed)
    kinds = [k for k, _ in MIX]
    weights = [w for _, w in MIX]
    out: list[dict[str, Any]] = []
    for i in range(n):
        kind = gen.rng.choices(kinds, weights)[0]
        if kind == "search":
            rec = gen.search()
        elif kind == "user-lookup":
            rec = gen.user_lookup()
        elif kind == "user-json":
            rec = gen.user_json()
        elif kind == "article-json":
            rec = gen.content_json(False)
        elif kind == "snippet-json":
            rec = gen.content_json(True)
        elif kind == "article-form":
            rec = gen.content_form()
        elif kind == "multipart":
            rec = gen.content_multipart()
        else:
            rec = gen.misc()
        rec["client_ip"] = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        body = rec.get("body")
        if body:
            rec["headers"].append(["Content-Length", str(len(body.encode("utf-8")))])
        rec["kind"] = kind
        out.append(rec)
    return out
