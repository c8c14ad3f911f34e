"""The base every room stands on: the exception tree, logging, and masking of secrets.

Owns :mod:`.errors` (every exception the library raises, public through ``camunda_worker``),
:mod:`.logs` (loguru, silent by default, and the bound logger of a job) and :mod:`.redact` (how a
secret is shown: never). It imports nothing of the package; every other room may import it.
"""
