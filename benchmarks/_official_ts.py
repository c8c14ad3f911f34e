"""The official TypeScript SDK's worker: installed from npm into a temporary folder for one run.

``@camunda8/orchestration-cluster-api`` is installed with the machine's ``npm`` (when ``node``
and ``npm`` are on the PATH) next to a copy of ``official_ts/worker.mjs``, which the harness
then runs with ``node`` as one more load. Without node or npm, or when the install fails, the
load is skipped and the reason printed and kept in the results.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path

PACKAGE = "@camunda8/orchestration-cluster-api"
SCRIPT = Path(__file__).with_name("official_ts") / "worker.mjs"
INSTALL_TIMEOUT = 300.0


class OfficialTs:
    """The installed SDK (``folder``), or why it is not (``skipped``)."""

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.version: str | None = None
        self.skipped: str | None = None
        node, npm = shutil.which("node"), shutil.which("npm")
        if node is None or npm is None:
            self.skipped = "node and npm are not both on the PATH"
            return
        folder = Path(tempfile.mkdtemp(prefix="bench-official-ts-"))
        (folder / "package.json").write_text('{"private": true, "type": "module"}\n')
        try:
            subprocess.run(
                [npm, "install", "--no-audit", "--no-fund", "--silent", PACKAGE],
                cwd=folder,
                check=True,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as error:
            shutil.rmtree(folder, ignore_errors=True)
            detail = getattr(error, "stderr", "") or str(error)
            self.skipped = f"npm install {PACKAGE} failed: {detail.strip()[-300:]}"
            return
        shutil.copy(SCRIPT, folder / SCRIPT.name)
        manifest = folder / "node_modules" / PACKAGE / "package.json"
        self.version = _version(manifest)
        self.folder = folder
        self.command = [node, str(folder / SCRIPT.name)]

    def close(self) -> None:
        """Remove the temporary folder."""
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _version(manifest: Path) -> str | None:
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None
