"""The WAF front door: strict HTTP/1 in, canonical HTTP/1.1 out, every resource bounded.

``client bytes -> parser (llhttp, fed one framing element at a time) -> request (canonical
request or refusal) -> ACL engine -> request.upstream_head -> upstream (pooled connection, reused
only when clean)``. ``refusals`` logs every refusal as an AWS WAF record (``AssetGuard-Protocol``),
counts it and publishes it like a rule block. ``limits`` holds every bound with its default.
The ACL engine knows nothing of sockets; this package knows nothing of rules.
"""
