"""OAuth tokens: the cached token, and the optional disk cache shared by worker processes.

The cache file is named after a hash of the OAuth URL, client id, audience and scope, written
atomically with mode 0600 in a directory created with mode 0700. A file that is not owned by the
current user, or that group or others could read, is ignored (and replaced on the next write):
a token readable by others is a leaked token.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

import attrs

from camunda_worker._base.logs import logger

__all__ = ["CachedToken", "TokenDiskCache", "cache_key"]

# Refresh this long before expiry: 10% of the lifetime, at most 30 s.
_MARGIN_FRACTION = 0.1
_MARGIN_MAX_SECONDS = 30.0


@attrs.frozen
class CachedToken:
    """An access token and when it must be refreshed; ``repr`` never shows the token.

    Attributes:
        access_token: the bearer token.
        expires_at: wall-clock time (epoch seconds) at which the token expires.
        refresh_at: wall-clock time after which a new token is fetched.
    """

    access_token: str = attrs.field(repr=False)
    expires_at: float
    refresh_at: float

    @classmethod
    def issued(cls, access_token: str, *, issued_at: float, lifetime: float) -> CachedToken:
        """Build a token issued at ``issued_at`` that lives ``lifetime`` seconds."""
        margin = min(_MARGIN_MAX_SECONDS, lifetime * _MARGIN_FRACTION)
        return cls(access_token, issued_at + lifetime, issued_at + lifetime - margin)

    @property
    def authorization(self) -> str:
        """The ``Authorization`` header value."""
        return f"Bearer {self.access_token}"


def cache_key(*, oauth_url: str, client_id: str, audience: str | None, scope: str | None) -> str:
    """Derive the cache file's key: one file per token endpoint, client, audience and scope."""
    material = "\n".join((oauth_url, client_id, audience or "", scope or ""))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class TokenDiskCache:
    """One token on disk, readable by its owner only.

    Failures to read or write never break authentication: the cache turns itself off and the
    token lives in memory only.
    """

    def __init__(self, directory: Path, key: str) -> None:
        self.path = directory / f"oauth-token-{key}.json"
        self._directory = directory
        self._broken = False
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenDiskCache(path={str(self.path)!r})"

    def load(self) -> CachedToken | None:
        """Return the cached token, or ``None`` when there is no usable one."""
        if self._broken:
            return None
        try:
            status = self.path.stat()
        except OSError:
            return None
        if os.name == "posix" and (status.st_uid != os.getuid() or status.st_mode & 0o077):
            logger.warning(
                "Ignoring the token cache file {}: it is readable by other users or not "
                "yours; it will be replaced with a private one",
                self.path,
            )
            return None
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
            return CachedToken(
                str(document["access_token"]),
                float(document["expires_at"]),
                float(document["refresh_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            logger.debug("Ignoring the unreadable token cache file {}", self.path)
            return None

    def save(self, token: CachedToken) -> None:
        """Write the token atomically with mode 0600."""
        if self._broken:
            return
        document = json.dumps(attrs.asdict(token))
        with self._lock:
            try:
                self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
                descriptor, temporary = tempfile.mkstemp(
                    dir=self._directory, prefix=".oauth-token-", suffix=".tmp"
                )
                try:
                    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                        file.write(document)
                        file.flush()
                        os.fsync(file.fileno())
                    os.chmod(temporary, 0o600)
                    os.replace(temporary, self.path)
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(temporary)
                    raise
            except OSError as error:
                self._broken = True
                logger.warning(
                    "Token disk cache in {} is not writable ({}); tokens stay in memory only",
                    self._directory,
                    type(error).__name__,
                )

    def discard(self, token: CachedToken) -> None:
        """Remove the file if it still holds ``token`` (the API refused it)."""
        if self.load() == token:
            with contextlib.suppress(OSError):
                self.path.unlink()
