"""Fixtures shared by the fault tests live in modules of their own (e.g. ``secret_echo``)."""
