"""Why the front door refuses a message.

:class:`Refusal` is what the client side raises for a request it will not pass on: the status to
answer, a short stable ``reason`` (a metric label and a log label), and a human-readable detail.
:class:`UpstreamError` is an upstream that broke the protocol or the connection; its connection is
discarded and the client gets 502 (or 504 for a timeout).

Example::

    raise Refusal(400, "cl_and_te", "both Content-Length and Transfer-Encoding")
"""

from __future__ import annotations


class Refusal(Exception):
    """A request the proxy answers itself and logs as ``AssetGuard-Protocol``; the connection closes."""

    def __init__(self, status: int, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason
        self.detail = detail


class UpstreamError(Exception):
    """The upstream failed this exchange; ``status`` is what the client gets (502 or 504)."""

    def __init__(self, detail: str, status: int = 502) -> None:
        super().__init__(detail)
        self.status = status
