"""Check and mask the service URLs of a deployment (database, bus, Redis).

Each ``check_*`` returns the URL unchanged or raises ``ValueError`` with one sentence that says
what is wrong and what was expected; settings validation turns it into a line naming the key::

    >>> check_bus_url("nats//127.0.0.1:4222")
    ValueError: 'nats//127.0.0.1:4222' is not a URL: expected nats://host:port or tls://host:port

:func:`mask_url` hides the password wherever a URL is printed or logged.
"""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

BUS_SCHEMES = ("nats", "tls")
REDIS_SCHEMES = ("redis", "rediss", "unix")
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgres", "postgresql+psycopg")


def mask_url(url: str) -> str:
    """The URL with its password replaced by ``***`` (user and host kept, for diagnosis), by the
    one masking rule of :mod:`assetguard.core.redact`."""
    from assetguard.core.redact import mask_text

    return mask_text(url)


def _split(url: str, schemes: tuple[str, ...], example: str) -> SplitResult:
    shown = mask_url(url)
    if "://" not in url:
        raise ValueError(f"{shown!r} is not a URL: expected {example}")
    try:
        split = urlsplit(url)
        split.port  # noqa: B018 - parses the port (ValueError when it is not a number in range)
    except ValueError as exc:
        raise ValueError(f"{shown!r} is not a valid URL ({exc}): expected {example}") from None
    if split.scheme.lower() not in schemes:
        raise ValueError(f"{shown!r} has scheme {split.scheme!r}; expected {example}")
    return split


def check_bus_url(url: str) -> str:
    """``nats://host:port`` or ``tls://host:port``; several servers separated by commas."""
    example = "nats://host:port or tls://host:port (several separated by commas)"
    for one in url.split(","):
        split = _split(one.strip(), BUS_SCHEMES, example)
        if not split.hostname:
            raise ValueError(f"{mask_url(one)!r} names no host; expected {example}")
    return url


def check_redis_url(url: str) -> str:
    """``redis://host:port/db``, ``rediss://`` (TLS) or ``unix:///path/to/socket``."""
    example = "redis://host:port/0, rediss://host:port/0 or unix:///path/to/redis.sock"
    split = _split(url, REDIS_SCHEMES, example)
    if split.scheme.lower() == "unix":
        if not split.path:
            raise ValueError(f"{mask_url(url)!r} names no socket path; expected {example}")
    elif not split.hostname:
        raise ValueError(f"{mask_url(url)!r} names no host; expected {example}")
    return url


def check_database_url(url: str) -> str:
    """``sqlite:///path``, or ``postgresql://user@host:port/db`` (a host, or ``?host=`` for a socket)."""
    example = "sqlite:///path/to/assetguard.db or postgresql://user@host:5432/dbname"
    split = _split(url, DATABASE_SCHEMES, example)
    if split.scheme.lower() == "sqlite":
        if not split.path.lstrip("/"):
            raise ValueError(f"{mask_url(url)!r} names no file; expected {example}")
        return url
    if not split.hostname and "host=" not in split.query:
        raise ValueError(f"{mask_url(url)!r} names no host; expected {example}")
    if not split.path.lstrip("/"):
        raise ValueError(f"{mask_url(url)!r} names no database; expected {example}")
    return url
