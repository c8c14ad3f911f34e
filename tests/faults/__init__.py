"""Fault tests: the worker under real faults (network, processes, payloads, secrets)."""
