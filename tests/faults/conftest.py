"""Shared set-up of the fault suite (fixtures of one topic live in that topic's own module)."""
