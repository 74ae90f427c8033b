"""The one serializer for anything that may hold a secret: target configs, settings, audit records,
API and console output, CLI output, log and ledger messages.

What counts as a secret:

* the value of a secret-looking key (``password``, ``secret``, ``token``, ``webhook_url``,
  ``api_key``, ...), or of a key the caller names (a target type's ``SecretStr`` fields, such as a
  webhook target's ``url``);
* a pydantic ``SecretStr``;
* a value that is a secret on its own, wherever it appears: a Slack incoming-webhook URL (its
  path *is* the credential, so the whole URL is hidden), a Slack token (``xoxb-...``), an
  assetguard API token (``ag_...``);
* the password in a URL's user-info (``postgresql://app:pw@db/x`` → ``postgresql://app:***@db/x``).

Every mask is the same placeholder, ``***``::

    >>> redact({"smtp": {"password": "hunter2", "host": "mx"}})
    {'smtp': {'password': '***', 'host': 'mx'}}
    >>> redact({"url": "https://hooks.slack.com/services/T0/B0/abc"})
    {'url': '***'}

A masked document sent back (a rule fetched with GET and PUT again) keeps the stored secrets:
:func:`restore_masked`. Free text that may quote a secret (an exception message) goes through
:func:`scrub_text` with the secrets it could contain.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from assetguard.core.errors import ValidationError

REDACTED = "***"
# How pydantic prints a SecretStr in JSON; a config file copied from older output may carry it.
PYDANTIC_MASK = "**********"
MASKS = frozenset({REDACTED, PYDANTIC_MASK})

_SECRET_KEY = re.compile(
    r"(pass(word|wd|phrase)?|secret|token|webhook_?url|api_?key|private_?key|authorization|cookie|credential"
    r"|signing_?key|signature|dsn)",
    re.IGNORECASE,
)
# Secrets recognisable by their value alone. Slack incoming webhooks (and workflow triggers) carry
# their credential in the path; Slack tokens and assetguard tokens have fixed prefixes.
_SECRET_VALUE = re.compile(
    r"https?://hooks\.slack(?:-gov)?\.com/\S*"
    r"|\bxox[abposre]-[A-Za-z0-9-]{6,}"
    r"|\bxapp-[A-Za-z0-9-]{6,}"
    r"|\bag_[0-9a-f]{8}_[A-Za-z0-9_-]{20,}",
    re.IGNORECASE,
)
# scheme://user:password@host — the password is hidden, the rest stays useful.
# The password runs to the last "@" of the authority (a password may contain "@"; urlsplit agrees).
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)(?P<password>[^\s/?#]*)(?P<at>@)"
                           r"(?=[^\s@/?#]*(?:[/?#\s,]|$))", re.IGNORECASE)


# Names a place, not a secret (``signing_key_path``, ``private_key_file``).
_LOCATION_KEY = re.compile(r"_(path|file|dir)$", re.IGNORECASE)


# name=value pairs of a query string (or form body); a secret-named parameter's value is hidden.
_QUERY_PAIR = re.compile(r"(?P<head>(?:^|[?&;])(?P<name>[^=&;?#\s]+)=)(?P<value>[^&;#\s]*)")


def is_secret_key(key: str) -> bool:
    """Is the value under ``key`` a secret by its name alone?"""
    return bool(_SECRET_KEY.search(key)) and not _LOCATION_KEY.search(key)


def is_secret_value(value: str) -> bool:
    """Is ``value`` a secret on its own (a Slack webhook URL or token, an assetguard token)?"""
    return bool(_SECRET_VALUE.search(value))


def mask_query(text: str) -> str:
    """A query string (or a URL, or form data) with the values of secret-named parameters hidden:
    ``?user=ann&token=abc`` → ``?user=ann&token=***`` (also ``X-Amz-Signature`` of a presigned URL)."""
    if "=" not in text:
        return text
    return _QUERY_PAIR.sub(lambda m: m["head"] + (REDACTED if m["value"] and is_secret_key(unquote(m["name"]))
                                                  else m["value"]), text)


def mask_text(text: str) -> str:
    """``text`` with self-evident secrets masked: Slack webhook URLs and tokens, URL passwords,
    secret-named query parameters."""
    if "=" in text:
        text = mask_query(text)
    if "://" not in text and "xox" not in text and "xapp-" not in text and "ag_" not in text:
        return text
    text = _SECRET_VALUE.sub(REDACTED, text)
    return _URL_PASSWORD.sub(lambda m: m["head"] + (m["password"] if m["password"] in MASKS else REDACTED) + m["at"],
                             text)


def redact(value: Any, secret_keys: Iterable[str] = ()) -> Any:
    """Copy of ``value`` that is safe to show: secret values replaced by ``***``.

    ``secret_keys`` names extra keys whose values are secret at the top level of ``value`` (a
    target type's ``SecretStr`` fields); nested mappings use the key-name rules only.
    """
    keys = frozenset(secret_keys)
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and (k in keys or is_secret_key(k)) and v not in (None, "")
                    else redact(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return mask_text(value)
    if hasattr(value, "get_secret_value"):
        return REDACTED
    return value


def public_settings(model: Any) -> dict[str, Any]:
    """A settings model (or any pydantic model) as JSON-ready data with every secret masked: what
    ``assetguard config show`` prints."""
    from pydantic_core import to_jsonable_python

    shown = to_jsonable_python(redact(model.model_dump()))
    assert isinstance(shown, dict)
    return shown


def secret_values(value: Any, secret_keys: Iterable[str] = ()) -> list[str]:
    """The plain secrets held in ``value`` (what :func:`redact` would hide), longest first.

    For scrubbing free text such as an exception message that may quote one of them.
    """
    keys = frozenset(secret_keys)
    found: set[str] = set()

    def walk(item: Any, top: bool) -> None:
        if isinstance(item, Mapping):
            for k, v in item.items():
                if isinstance(k, str) and ((top and k in keys) or is_secret_key(k)):
                    collect(v)
                else:
                    walk(v, False)
        elif isinstance(item, list | tuple):
            for v in item:
                walk(v, False)
        elif isinstance(item, str) and is_secret_value(item):
            found.add(item)

    def collect(item: Any) -> None:
        if hasattr(item, "get_secret_value"):
            item = item.get_secret_value()
        if isinstance(item, str) and item:
            found.add(item)
        elif isinstance(item, Mapping | list | tuple):
            walk(item, False)

    walk(value, True)
    return sorted(found, key=len, reverse=True)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with each of ``secrets`` (and any self-evident secret) replaced by ``***``.

    A URL secret is also hidden by its path and query, which is how HTTP libraries quote it in
    their errors (``... with url: /services/T0/B0/abc``).
    """
    for secret in secrets:
        if len(secret) < 4:
            continue
        text = text.replace(secret, REDACTED)
        match = re.match(r"[a-z][a-z0-9+.-]*://[^/?#]+(?P<rest>[/?#].+)$", secret, re.IGNORECASE)
        if match and len(match["rest"]) > 1:
            text = text.replace(match["rest"], REDACTED)
    return mask_text(text)


def restore_masked(new: Any, old: Any, where: str = "") -> Any:
    """``new`` with each masked secret (``***`` where a secret is shown masked) replaced by the
    value ``old`` holds at the same place, as a console keeps a password field it did not change.

    A mask with nothing stored behind it is refused: ``ValidationError`` naming its JSON path.

    >>> restore_masked({"url": "***", "n": 2}, {"url": "https://x/y", "n": 1})
    {'url': 'https://x/y', 'n': 2}
    """
    if isinstance(new, Mapping):
        out: dict[str, Any] = {}
        for key, value in new.items():
            before = old.get(key) if isinstance(old, Mapping) else None
            here = f"{where}.{key}" if where else str(key)
            if isinstance(value, str) and value in MASKS:
                if before in (None, ""):
                    raise ValidationError(f"{value!r} stands for a stored secret (that is how it is shown), but "
                                          "there is none to keep here: send the secret itself", where=here)
                out[key] = before
            else:
                out[key] = restore_masked(value, before, here)
        return out
    if isinstance(new, list):
        olds = old if isinstance(old, list) else []
        return [restore_masked(v, olds[i] if i < len(olds) else None, f"{where}[{i}]")
                for i, v in enumerate(new)]
    if isinstance(new, str) and _partly_masked(new):
        # A URL (or query string) shown with its password or a secret parameter masked: keep the
        # stored value if it is the same one unmasked.
        if isinstance(old, str) and mask_text(old) == new:
            return old
        raise ValidationError("part of this value is shown masked (a URL's password or a secret parameter) and no "
                              "stored value matches it: send the password itself", where=where or None)
    return new


def _partly_masked(text: str) -> bool:
    """Does ``text`` hold a mask where :func:`mask_text` puts one (``user:***@``, ``token=***``)?"""
    if REDACTED not in text:
        return False
    return any(m["password"] in MASKS for m in _URL_PASSWORD.finditer(text)) or any(
        m["value"] == REDACTED for m in _QUERY_PAIR.finditer(text))


def masked_places(value: Any, where: tuple[str | int, ...] = (), *, secret: bool = False
                  ) -> list[tuple[str | int, ...]]:
    """Where ``value`` (a settings dump with ``SecretStr`` objects) holds a mask instead of a secret:
    a ``SecretStr`` or secret-keyed value that is ``***`` (as ``config show`` prints it), or a URL
    whose password is ``***``."""
    if hasattr(value, "get_secret_value"):
        value, secret = value.get_secret_value(), True
    if isinstance(value, Mapping):
        return [place for k, v in value.items()
                for place in masked_places(v, (*where, k), secret=isinstance(k, str) and is_secret_key(k))]
    if isinstance(value, list | tuple):
        return [place for i, v in enumerate(value) for place in masked_places(v, (*where, i))]
    if isinstance(value, str) and ((secret and value in MASKS) or _partly_masked(value)):
        return [where]
    return []


def contains_mask(value: Any) -> bool:
    """Does ``value`` carry a masked placeholder anywhere (so :func:`restore_masked` is needed)?"""
    if isinstance(value, Mapping):
        return any(contains_mask(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_mask(v) for v in value)
    return isinstance(value, str) and (value in MASKS or _partly_masked(value))
