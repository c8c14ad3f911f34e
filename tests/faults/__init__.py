"""The fault suite: the worker under real faults (processes, signals, networks, odd payloads)."""
