"""The client side of a front-door connection: requests out of a byte stream, within the limits.

:class:`ClientStream` reads at most ``stream_buffer`` bytes at a time and feeds them to a
:class:`~assetguard.waf.frontdoor.parser.MessageParser` per request, so memory per connection is
one read plus what the caller keeps (the inspection window). A request's head must arrive within
``header_timeout``; an idle kept-alive connection closes after ``keepalive_timeout``; a body read
may wait ``body_timeout``; a body longer than ``max_body_bytes`` is refused with 413. With a
:class:`~assetguard.waf.frontdoor.watchdog.Watchdog` the deadlines cost no timer per read.

Example::

    stream = ClientStream(reader, limits)
    message = await stream.next_head(first=True)   # None: the client closed or stayed idle
    piece = await stream.body_piece()              # b"" once the body is complete
"""

from __future__ import annotations

import asyncio

from assetguard.waf.frontdoor.errors import Refusal
from assetguard.waf.frontdoor.limits import FrontDoorLimits
from assetguard.waf.frontdoor.parser import MessageParser
from assetguard.waf.frontdoor.watchdog import Watchdog


class ClientStream:
    __slots__ = ("reader", "limits", "buf", "pos", "message", "_connected_at", "deadline", "watchdog")

    def __init__(self, reader: asyncio.StreamReader, limits: FrontDoorLimits, watchdog: Watchdog | None = None) -> None:
        self.reader = reader
        self.limits = limits
        self.buf = b""
        self.pos = 0
        self.message: MessageParser | None = None
        self._connected_at = asyncio.get_running_loop().time()
        self.deadline = 0.0  # while a read waits, when it times out (see Watchdog)
        self.watchdog = watchdog

    def expire(self) -> None:
        """The watchdog's verdict: the pending read fails with TimeoutError (the connection is done)."""
        self.reader.set_exception(TimeoutError())

    async def _read(self, deadline: float) -> bool:
        """More bytes before ``deadline`` (loop time); False at end of stream; TimeoutError after it."""
        if self.watchdog is None:
            async with asyncio.timeout_at(deadline):
                data = await self.reader.read(self.limits.stream_buffer)
        else:
            self.deadline = deadline
            try:
                data = await self.reader.read(self.limits.stream_buffer)
            finally:
                self.deadline = 0.0
        if not data:
            return False
        self.buf = self.buf[self.pos:] + data if self.pos < len(self.buf) else data
        self.pos = 0
        return True

    async def next_head(self, first: bool) -> MessageParser | None:
        """The next request with its head parsed; None when the client closed or idled out between requests."""
        limits = self.limits
        message = MessageParser.request(limits)
        self.message = message
        loop = asyncio.get_running_loop()
        head_deadline = self._connected_at + limits.header_timeout if first else None
        while not message.head_done:
            if self.pos < len(self.buf):
                self.pos += message.feed(self.buf, self.pos)
                continue
            started = message.head_bytes > 0
            if started and head_deadline is None:
                head_deadline = loop.time() + limits.header_timeout
            deadline = head_deadline if head_deadline is not None else loop.time() + limits.keepalive_timeout
            try:
                more = await self._read(deadline)
            except TimeoutError:
                if not started:
                    return None  # nothing sent (an idle or speculative connection): closed without a word
                raise Refusal(408, "header_timeout", "request head not complete within the header timeout") from None
            if not more:
                if started:
                    raise Refusal(400, "incomplete_head", "connection closed in the middle of a request head")
                return None
        return message

    async def body_piece(self) -> bytes:
        """The next piece of the current request's body; b"" once it is complete."""
        message = self.message
        assert message is not None
        loop = asyncio.get_running_loop()
        while True:
            if message.body:
                piece = message.body.popleft()
                if self.limits.max_body_bytes and message.body_bytes > self.limits.max_body_bytes:
                    raise Refusal(413, "body_too_large", f"request body larger than {self.limits.max_body_bytes} bytes")
                return piece
            if message.complete:
                return b""
            if self.pos < len(self.buf):
                self.pos += message.feed(self.buf, self.pos)
                continue
            try:
                more = await self._read(loop.time() + self.limits.body_timeout)
            except TimeoutError:
                raise Refusal(408, "body_timeout", "no request body bytes within the body timeout") from None
            if not more:
                raise Refusal(400, "incomplete_body", "connection closed in the middle of a request body")
