"""Fixtures of the fault suite live in modules of their own (imported by the tests using them)."""
