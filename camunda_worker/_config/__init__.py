"""Configuration: every ``CAMUNDA_*`` / ``CAMUNDA_WORKER_*`` setting and how it is resolved.

Owns :mod:`.fields` (the table of settings and the parsing of raw values), :mod:`.keys` (names,
aliases, unknown-variable warnings), :mod:`.envfile` (an opt-in ``.env``), :mod:`.settings`
(:class:`~camunda_worker.CamundaSettings` and the resolver: defaults < ``.env`` < environment <
overrides) and :mod:`.worker_config` (per-worker configuration and its inherited defaults).
It may import only :mod:`.._base`; the flow is config -> auth -> transport -> client -> worker.
"""
