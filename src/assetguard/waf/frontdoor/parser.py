"""llhttp (through ``httptools``) fed one framing element at a time.

llhttp does all the validation: it is strict by default (no obs-fold, no bare CR or LF, no white
space before a colon, token names, field-vchar values, one Content-Length, no CL with TE, chunk
sizes as plain hex that fit 64 bits). This wrapper only decides how many bytes llhttp gets per
call, from llhttp's own callbacks, so that

- llhttp never reads past the end of the current message (a pipelined request, or bytes an
  upstream sent after its response, stay unread and visible to the caller);
- the head size, every chunk-size line (digits and extensions) and the trailer section are
  measured exactly and bounded;
- a body is handed out piece by piece as it is fed, never buffered whole.

Example::

    message = MessageParser.request(limits)
    used = message.feed(data, 0)          # bytes consumed; the rest belongs to the next message
    message.head_done, message.headers     # (b"Host", b"example") ... as received
"""

from __future__ import annotations

from collections import deque

import httptools

from assetguard.waf.frontdoor.errors import Refusal
from assetguard.waf.frontdoor.limits import FrontDoorLimits

HEAD, LENGTH, CHUNK_LINE, CHUNK_DATA, TRAILERS, UNTIL_CLOSE, DONE = range(7)
_HEX = b"0123456789abcdefABCDEF"
MAX_CHUNK_DIGITS = 16  # a 64-bit size; more digits (even leading zeros) are refused


class MessageParser:
    """One HTTP/1 message (request or response) parsed by llhttp, with exact framing bounds."""

    __slots__ = ("_parser", "limits", "state", "head_bytes", "url", "headers", "head_done", "complete",
                 "upgrade", "body", "body_bytes", "_remaining", "_line", "_chunk_seen", "_trailer_bytes",
                 "_tail", "no_body", "status", "reason", "is_request", "_keep_alive", "_start_line", "framing",
                 "method", "version")

    def __init__(self, limits: FrontDoorLimits, *, is_request: bool, no_body: bool = False) -> None:
        self.limits = limits
        self.is_request = is_request
        # llhttp holds this object for its callbacks and this object holds llhttp: the cycle is cut
        # (``_parser = None``) once the message is complete, so it never waits for the cyclic GC
        self._parser: httptools.HttpRequestParser | httptools.HttpResponseParser | None = (
            httptools.HttpRequestParser(self) if is_request else httptools.HttpResponseParser(self))
        self.method = b""  # known at the end of the head (see request_line for a partial one)
        self.version = ""
        self.state = HEAD
        self.head_bytes = 0
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.head_done = False
        self.complete = False
        self.upgrade = False
        self.no_body = no_body  # a response to HEAD: complete at the end of its head
        self.status = 0
        self.reason = b""
        self._keep_alive = False
        self._start_line = b""
        self.framing = "none"  # of the body, once the head is done: none | length | chunked | close
        self.body: deque[bytes] = deque()
        self.body_bytes = 0
        self._remaining = 0
        self._line = b""
        self._chunk_seen = False
        self._trailer_bytes = 0
        self._tail = b""

    @classmethod
    def request(cls, limits: FrontDoorLimits) -> MessageParser:
        return cls(limits, is_request=True)

    @classmethod
    def response(cls, limits: FrontDoorLimits, *, no_body: bool = False) -> MessageParser:
        return cls(limits, is_request=False, no_body=no_body)

    # llhttp callbacks

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_status(self, reason: bytes) -> None:
        self.reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self.head_done:  # after the head: a trailer field, validated by llhttp, counted, never forwarded
            self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        if len(self.headers) > self.limits.max_headers:  # the head is bounded in bytes meanwhile
            raise Refusal(431, "too_many_headers", f"more than {self.limits.max_headers} header fields")
        self.head_done = True
        parser = self._parser
        assert parser is not None
        self._keep_alive = bool(parser.should_keep_alive())  # llhttp forgets it once the message ends
        self.version = str(parser.get_http_version())
        if isinstance(parser, httptools.HttpRequestParser):
            self.method = bytes(parser.get_method())
        else:
            self.status = parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)
        self.body_bytes += len(body)

    def on_chunk_header(self) -> None:
        self._chunk_seen = True

    def on_message_complete(self) -> None:
        self.complete = True

    # feeding

    def request_line(self) -> tuple[bytes, str]:
        """(method, version) as far as parsed: known once llhttp is past the request line."""
        if self.head_done or not self.headers or not isinstance(self._parser, httptools.HttpRequestParser):
            return self.method, self.version
        return bytes(self._parser.get_method()), str(self._parser.get_http_version())

    def keep_alive(self) -> bool:
        """llhttp's verdict at the end of the head (version and Connection)."""
        return self._keep_alive

    def feed(self, data: bytes, pos: int) -> int:
        """Feed ``data[pos:]`` up to the end of this message; the number of bytes consumed."""
        start = pos
        end = len(data)
        view = memoryview(data)
        while pos < end and self.state != DONE:
            state = self.state
            if state == HEAD:
                pos = self._feed_head(data, view, pos, end)
            elif state == LENGTH or state == CHUNK_DATA:
                n = min(end - pos, self._remaining)
                self._llhttp(view[pos:pos + n])
                pos += n
                self._remaining -= n
                if self._remaining == 0:
                    self._after_data()
            elif state == CHUNK_LINE:
                pos = self._feed_chunk_line(data, view, pos, end)
            elif state == TRAILERS:
                pos = self._feed_trailers(data, view, pos, end)
            else:  # UNTIL_CLOSE: a response whose body ends with the connection
                self._llhttp(view[pos:end])
                pos = end
        if self.state == DONE:
            self._parser = None
        return pos - start

    def _llhttp(self, chunk: memoryview) -> None:
        parser = self._parser
        assert parser is not None
        try:
            parser.feed_data(chunk)
        except httptools.HttpParserUpgrade:
            # llhttp stops after an Upgrade/CONNECT head and takes what follows as the new protocol.
            # Upgrades are not proxied: a body there would be lost or smuggled, so it is refused;
            # without one the request is served and the connection closes after it.
            self.upgrade = True
            if not self.complete or self._is_chunked() or self.content_length():
                raise Refusal(400, "upgrade_with_body", "a protocol upgrade request with a body") from None
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, Refusal):  # raised by a callback here (e.g. too many headers)
                raise exc.__context__ from None
            raise Refusal(400, "malformed_message", "message rejected while parsing") from None
        except httptools.HttpParserInvalidMethodError:
            raise Refusal(400 if self.is_request else 502, "invalid_method", "invalid method") from None
        except httptools.HttpParserInvalidURLError:
            raise Refusal(400, "invalid_target", "invalid request target") from None
        except httptools.HttpParserError as exc:
            raise Refusal(400, _reason(str(exc)), str(exc) or "malformed message") from None

    def _feed_head(self, data: bytes, view: memoryview, pos: int, end: int) -> int:
        limit = self.limits.max_head_bytes
        # the head ends at the first CRLFCRLF (llhttp refuses bare CR and LF, so no other ending is valid)
        if self._tail:
            joined = self._tail + data[pos:pos + 3]
            idx = joined.find(b"\r\n\r\n")
            stop = pos + idx + 4 - len(self._tail) if idx >= 0 else -1
        else:
            stop = -1
        if stop < 0:
            idx = data.find(b"\r\n\r\n", pos, min(end, pos + limit - self.head_bytes + 4))
            stop = idx + 4 if idx >= 0 else -1
        n = (stop if stop >= 0 else end) - pos
        if self.head_bytes + n > limit:
            raise Refusal(431, "head_too_large", f"request head larger than {limit} bytes")
        if self.is_request and not self._start_line.endswith(b"\r\n"):
            cut = data.find(b"\r\n", pos, pos + n) if not self._start_line and data[pos:pos + 1] not in (
                b"\r", b"\n") else -1
            if cut >= 0:  # the usual case: the whole request line in this piece
                self._start_line = data[pos:cut + 2]
            else:
                self._start_line = (self._start_line + data[pos:pos + n]).lstrip(b"\r\n")
                cut = self._start_line.find(b"\r\n")
                if cut >= 0:
                    self._start_line = self._start_line[:cut + 2]
        self._llhttp(view[pos:pos + n])
        self.head_bytes += n
        pos += n
        if stop < 0:
            self._tail = (self._tail + data[max(pos - 3, 0):pos])[-3:]
            return pos
        self._tail = b""
        if not self.head_done:  # only empty lines before a request line so far
            if self.head_bytes > 4 and not self.complete:
                raise Refusal(400, "malformed_head", "message head did not end where it should")
            self.head_bytes = 0
            return pos
        if self.is_request and self._start_line != b"%s %s HTTP/%s\r\n" % (self.method, self.url,
                                                                           self.version.encode()):
            # llhttp skips repeated spaces in the request line; RFC 9112 3 allows exactly one
            raise Refusal(400, "malformed_request_line", "request line is not METHOD SP target SP version")
        if self.complete or self.no_body:
            self.state = DONE
            self.complete = True
            if self.content_length() == 0 and not self.no_body:
                self.framing = "length"  # an empty body (a 204's or 304's length is information only)
        elif self._is_chunked():
            self.state = CHUNK_LINE
            self.framing = "chunked"
        else:
            length = self.content_length()
            if length is None:
                if self.is_request:
                    raise Refusal(400, "malformed_head", "a request body without framing")
                self.state = UNTIL_CLOSE
                self.framing = "close"
            else:
                self.state = LENGTH
                self.framing = "length"
                self._remaining = length
        return pos

    def _feed_chunk_line(self, data: bytes, view: memoryview, pos: int, end: int) -> int:
        limit = self.limits.max_chunk_line_bytes
        found = self._line_end(data, pos, end)
        stop = found if found >= 0 else end
        line = self._line + data[pos:stop]
        if len(line) > limit + 2:
            raise Refusal(400, "chunk_line_too_long", f"chunk-size line longer than {limit} bytes")
        self._chunk_seen = False
        self._llhttp(view[pos:stop])
        if found < 0:
            self._line = line
            return stop
        self._line = b""
        digits = len(line) - len(line.lstrip(_HEX))
        if digits > MAX_CHUNK_DIGITS:
            raise Refusal(400, "chunk_size_too_long", f"chunk size of {digits} hex digits")
        if not self._chunk_seen or digits == 0:
            raise Refusal(400, "invalid_chunk", "malformed chunk-size line")
        size = int(line[:digits], 16)
        if size == 0:
            self.state = TRAILERS
        else:
            self.state = CHUNK_DATA
            self._remaining = size + 2  # the data and its CRLF, which llhttp checks
        return stop

    def _line_end(self, data: bytes, pos: int, end: int) -> int:
        """Where the line in progress ends (after its CRLF, which may straddle two feeds), or -1."""
        if self._line.endswith(b"\r") and data[pos:pos + 1] == b"\n":
            return pos + 1
        idx = data.find(b"\r\n", pos, end)
        return idx + 2 if idx >= 0 else -1

    def _feed_trailers(self, data: bytes, view: memoryview, pos: int, end: int) -> int:
        found = self._line_end(data, pos, end)
        stop = found if found >= 0 else end
        self._line = b"" if found >= 0 else data[stop - 1:stop]  # only whether it ended with CR matters
        self._trailer_bytes += stop - pos
        if self._trailer_bytes > self.limits.max_trailer_bytes:
            raise Refusal(400, "trailers_too_large", f"trailer section larger than {self.limits.max_trailer_bytes} bytes")
        self._llhttp(view[pos:stop])
        if self.complete:
            self.state = DONE
        return stop

    def _after_data(self) -> None:
        if self.state == LENGTH:
            if not self.complete:
                raise Refusal(400, "malformed_body", "body did not end with its Content-Length")
            self.state = DONE
        else:
            self.state = CHUNK_LINE

    def eof(self) -> None:
        """The peer closed: a close-delimited body ends here; anything else was cut short."""
        if self.state == UNTIL_CLOSE:
            self.complete = True
            self.state = DONE
            self._parser = None

    def _is_chunked(self) -> bool:
        """Whether the final transfer coding is chunked (llhttp's rule; a request refuses any other)."""
        for name, value in self.headers:
            if len(name) == 17 and name.lower() == b"transfer-encoding":
                return value.rsplit(b",", 1)[-1].strip(b" \t").lower() == b"chunked"
        return False

    def content_length(self) -> int | None:
        """The (single, llhttp-validated) Content-Length, or None."""
        for name, value in self.headers:
            if len(name) == 14 and name.lower() == b"content-length":
                return int(value.strip(b" \t"))
        return None


def _reason(message: str) -> str:
    """A stable metric label from an llhttp error message."""
    text = message.lower()
    for key, reason in (("can't be present", "cl_and_te"), ("duplicate content-length", "duplicate_content_length"),
                        ("overflow", "size_overflow"), ("whitespace", "obs_fold_or_whitespace"),
                        ("space after start line", "obs_fold_or_whitespace"), ("expected cr", "bare_cr_or_lf"),
                        ("expected lf", "bare_cr_or_lf"), ("transfer-encoding", "invalid_transfer_encoding"),
                        ("content-length", "invalid_content_length"), ("chunk", "invalid_chunk"),
                        ("header value", "invalid_header_value"), ("header field", "invalid_header_name"),
                        ("header token", "invalid_header_name"), ("version", "invalid_version")):
        if key in text:
            return reason
    return "malformed_message"
