"""Authentication and TLS: none, HTTP Basic, OAuth 2.0 client credentials, custom CAs and mTLS.

Owns :mod:`.schemes` (the auth built from settings), :mod:`.oauth` (client credentials as an
``httpx.Auth``, one retry on 401), :mod:`.flight` (one token request in flight for threads and
loops alike), :mod:`.token_response` (reading the token endpoint's answer without ever showing the
secret), :mod:`.token_cache` (the cached token and the optional 0600 disk cache) and :mod:`.tls`
(SSL contexts from PEM strings or files). It may import :mod:`.._config` and :mod:`.._base`.
"""
