"""The engine's runtime: state, process instances, jobs, long polls, clocks and timers.

Owns :mod:`.core` (the thread-safe :class:`~camunda_worker.engine.Engine` with long-polling
activation), :mod:`.commands` (its synchronous commands and inspection), :mod:`.state`,
:mod:`.instances`, :mod:`.jobs`, :mod:`.job_commands`, :mod:`.process_commands`, :mod:`.flow`
(token movement), :mod:`.timers`, :mod:`.clock`, :mod:`.waiters`, :mod:`.lines` (wire documents
shaped as each server line sends them), :mod:`.search` (filters, sort, pages), :mod:`.queries` (searches and gets of every record
kind, the clock endpoints), :mod:`.query_rows` and :mod:`.query_filters` (what they read),
:mod:`.statistics`, :mod:`.read_models` (their wire documents),
:mod:`.search_lag`, :mod:`.user_task_commands`, :mod:`.views` and :mod:`.inspection` (read-only
snapshots for tests) and :mod:`.errors` (the engine's refusals). It stands on
:mod:`.._model` and never imports the HTTP surface.
"""
