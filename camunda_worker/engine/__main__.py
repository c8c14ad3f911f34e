"""``python -m camunda_worker.engine``: the same as ``camunda-worker engine``."""

import sys

from camunda_worker.engine._http.server import main

if __name__ == "__main__":
    sys.exit(main())
