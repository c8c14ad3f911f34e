"""Fixtures shared by the fault suite (each helper module of the suite keeps its own)."""
