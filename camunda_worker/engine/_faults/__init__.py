"""Fault injection and recording: what tests do to the engine's HTTP surface and see of it.

Owns :mod:`.injection` (added latency, error rates per endpoint, scripted faults) and
:mod:`.recording` (every request answered, for assertions). It imports nothing else of the engine;
the HTTP surface consults it on each request.
"""
