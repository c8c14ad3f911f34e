"""The fault suite: the worker under faults a hostile operator would try."""
