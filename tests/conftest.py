"""Settings shared by the whole suite.

hypothesis: no per-example deadline anywhere (the machines are shared and noisy: a slow example
is not a failure, and the suite makes no timing assertions), and under CI (``CI`` set) the
examples are derandomized, so a CI run is repeatable; developers' runs keep exploring.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("camunda-worker", deadline=None)
settings.register_profile("camunda-worker-ci", deadline=None, derandomize=True)
settings.load_profile("camunda-worker-ci" if os.environ.get("CI") else "camunda-worker")
