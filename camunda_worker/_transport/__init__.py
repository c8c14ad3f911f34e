"""How a request reaches the server: the httpx seam and the worker's fast HTTP/1.1 lane.

Owns :mod:`.http` (timeouts, request building, answers and errors shared by both clients over
httpx), :mod:`.wire` (a lean keep-alive HTTP/1.1 client on asyncio protocols) and :mod:`.lane`
(when and how the async client sends a JSON call on that lane). It may import :mod:`.._auth`,
:mod:`.._config`, :mod:`.._api` and :mod:`.._base`, never the clients that use it.
"""
