"""TLS: a custom CA and/or a client certificate (mTLS), from PEM strings or file paths.

A PEM string (``CAMUNDA_MTLS_CERT``, ``CAMUNDA_MTLS_KEY``, ``CAMUNDA_MTLS_CA``) wins over the
matching ``*_PATH`` setting. :mod:`ssl` loads a certificate chain only from files, so PEM strings
are written to files readable by the owner only, in a private temporary directory that is
removed as soon as they are loaded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
from pydantic import SecretStr

from camunda_worker._base.errors import ConfigurationError
from camunda_worker._base.redact import secret_value
from camunda_worker._config.settings import CamundaSettings

__all__ = ["build_ssl_context", "shared_ssl_context"]

_SHARED: dict[tuple[bool, str | None, str | None], ssl.SSLContext] = {}
_SHARED_LOCK = threading.Lock()


def shared_ssl_context(verify: bool) -> ssl.SSLContext:
    """The TLS context httpx would build for ``verify``, built once per process and shared.

    httpx builds a new context for every client (loading the CA bundle: about 50 ms); a worker
    builds two clients, and a test suite many. A client context only creates connections, so
    one can serve them all. The cache follows ``SSL_CERT_FILE`` and ``SSL_CERT_DIR``, which
    httpx reads when it builds one.
    """
    key = (verify, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    with _SHARED_LOCK:
        context = _SHARED.get(key)
        if context is None:
            context = _SHARED[key] = httpx.create_ssl_context(verify=verify)
    return context


def build_ssl_context(settings: CamundaSettings) -> ssl.SSLContext | None:
    """Build the TLS context that the ``CAMUNDA_MTLS_*`` settings describe.

    The context verifies servers against the system CAs plus the configured CA, and presents
    the client certificate when one is configured.

    Args:
        settings: resolved settings.

    Returns:
        The context, or ``None`` when no ``CAMUNDA_MTLS_*`` setting is set (httpx's default
        verification then applies).

    Raises:
        ConfigurationError: a file is missing or unreadable, a PEM value is not valid, or the
            key does not match the certificate or its passphrase; the message names the
            variable and never shows the key or the passphrase.
    """
    # Secrets stay SecretStr in every local: tracebacks that print locals must not show them.
    cert = settings.mtls_cert
    key = settings.mtls_key
    ca = settings.mtls_ca
    if not (cert or key or ca or settings.mtls_cert_path or settings.mtls_ca_path):
        return None
    context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    if ca:
        _load_ca(context, cadata=ca, variable="CAMUNDA_MTLS_CA")
    elif settings.mtls_ca_path:
        path = _existing(settings.mtls_ca_path, "CAMUNDA_MTLS_CA_PATH")
        _load_ca(context, cafile=str(path), variable="CAMUNDA_MTLS_CA_PATH")
    has_cert = cert or settings.mtls_cert_path
    has_key = key or settings.mtls_key_path
    if has_cert and has_key:
        passphrase = settings.mtls_key_passphrase
        with _pem_files() as directory:
            cert_file = (
                _write_private(directory / "cert.pem", cert)
                if cert
                else _existing(settings.mtls_cert_path, "CAMUNDA_MTLS_CERT_PATH")
            )
            key_file = (
                _write_private(directory / "key.pem", key)
                if key
                else _existing(settings.mtls_key_path, "CAMUNDA_MTLS_KEY_PATH")
            )
            _load_chain(context, cert_file, key_file, passphrase, from_text=(bool(cert), bool(key)))
    return context


def _existing(path: str | None, variable: str) -> Path:
    resolved = Path(path or "").expanduser()
    if not resolved.is_file():
        raise ConfigurationError(
            f"{variable}={path!r} is not a readable file: expected the path of a PEM file.",
            variable=variable,
        )
    return resolved


def _load_ca(
    context: ssl.SSLContext, *, variable: str, cadata: str | None = None, cafile: str | None = None
) -> None:
    try:
        context.load_verify_locations(cafile=cafile, cadata=cadata)
    except (ssl.SSLError, ValueError, OSError) as error:
        raise ConfigurationError(
            f"{variable} does not hold a valid PEM CA certificate ({type(error).__name__}): "
            "expected one or more '-----BEGIN CERTIFICATE-----' blocks.",
            variable=variable,
        ) from None


def _load_chain(
    context: ssl.SSLContext,
    cert_file: Path,
    key_file: Path,
    passphrase: SecretStr | None,
    *,
    from_text: tuple[bool, bool],
) -> None:
    try:
        # A callable password keeps OpenSSL from prompting on a terminal for an encrypted key.
        context.load_cert_chain(
            str(cert_file), str(key_file), password=lambda: secret_value(passphrase) or ""
        )
    except (ssl.SSLError, OSError) as error:
        variable, expected = _blame(cert_file, key_file, passphrase, from_text, error)
        raise ConfigurationError(
            f"The mTLS client certificate could not be loaded "
            f"({getattr(error, 'reason', None) or type(error).__name__}): check {variable}; "
            f"expected {expected}.",
            variable=variable,
        ) from None


def _blame(
    cert_file: Path,
    key_file: Path,
    passphrase: SecretStr | None,
    from_text: tuple[bool, bool],
    error: Exception,
) -> tuple[str, str]:
    """Say which setting is wrong; OpenSSL's own reason is often just "PEM lib"."""
    cert_variable = "CAMUNDA_MTLS_CERT" if from_text[0] else "CAMUNDA_MTLS_CERT_PATH"
    key_variable = "CAMUNDA_MTLS_KEY" if from_text[1] else "CAMUNDA_MTLS_KEY_PATH"
    cert_text = _read(cert_file)
    key_text = _read(key_file)
    if "-----BEGIN CERTIFICATE-----" not in cert_text:
        return cert_variable, "a PEM certificate ('-----BEGIN CERTIFICATE-----')"
    if "PRIVATE KEY-----" not in key_text:
        return key_variable, "a PEM private key ('-----BEGIN ... PRIVATE KEY-----')"
    if getattr(error, "reason", None) == "KEY_VALUES_MISMATCH":
        return key_variable, "the private key that belongs to the client certificate"
    if "ENCRYPTED" in key_text:
        if passphrase:
            return "CAMUNDA_MTLS_KEY_PASSPHRASE", "the passphrase of the encrypted client key"
        return "CAMUNDA_MTLS_KEY_PASSPHRASE", "a passphrase: the client key is encrypted"
    return f"{cert_variable} and {key_variable}", "a PEM client certificate and its private key"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


@contextlib.contextmanager
def _pem_files() -> Iterator[Path]:
    """Yield a private temporary directory (mode 0700), removed with its files on exit."""
    path = Path(tempfile.mkdtemp(prefix="camunda-worker-tls-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _write_private(path: Path, pem: str | SecretStr) -> Path:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(secret_value(pem) or "")
    return path
