"""The engine's HTTP surface: the ASGI app, routing, request and answer documents, the servers.

Owns :mod:`.app` (:class:`~camunda_worker.engine.EngineApp`: authentication, fault injection,
recording, problem details), :mod:`.asgi_io`, :mod:`.call` and :mod:`.router` (what a route gets,
and finding it), :mod:`.routes`, :mod:`.job_routes`, :mod:`.process_routes`, :mod:`.modification_routes`,
:mod:`.query_routes` and :mod:`.user_task_routes` (the ``/v2`` endpoints), :mod:`.requests` and :mod:`.search_requests`
(request bodies, parsed strictly), :mod:`.answers` (JSON and RFC 9457
problems), :mod:`.multipart`, :mod:`.long_polls`, :mod:`.auth` (basic, bearer and OAuth on the
engine's side), :mod:`.server` and :mod:`.http11` (over TCP: the CLI, :class:`EngineServer`, and
the HTTP/1.1 server on httptools) and :mod:`.transport` (in-process httpx transports). It
imports :mod:`.._runtime` and :mod:`.._faults`; nothing below imports it.
"""
