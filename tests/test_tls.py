"""TLS and mTLS: CA and client certificates from PEM strings or files, a real loopback handshake."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import stat
import tempfile
import threading
from pathlib import Path
from typing import cast

import pytest

from camunda_worker._auth.tls import build_ssl_context
from camunda_worker._base.errors import ConfigurationError
from camunda_worker._config.settings import CamundaSettings, resolve_settings

pytest.importorskip("cryptography", reason="the cryptography package makes the test certificates")
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

PASSPHRASE = "key-passphrase-42"


class Pki:
    """A CA, a server certificate for 127.0.0.1 and a client certificate, all PEM text."""

    def __init__(self) -> None:
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca_cert = self._cert("test-ca", self.ca_key, self.ca_key, None, ca=True)
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = self._cert("127.0.0.1", self.server_key, self.ca_key, self.ca_cert)
        self.client_key = ec.generate_private_key(ec.SECP256R1())
        self.client_cert = self._cert("worker-client", self.client_key, self.ca_key, self.ca_cert)

    @staticmethod
    def _cert(
        name: str,
        key: ec.EllipticCurvePrivateKey,
        issuer_key: ec.EllipticCurvePrivateKey,
        issuer: x509.Certificate | None,
        *,
        ca: bool = False,
    ) -> x509.Certificate:
        now = datetime.datetime.now(datetime.timezone.utc)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.subject if issuer else subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False,
            )
        return builder.sign(issuer_key, hashes.SHA256())

    @staticmethod
    def pem(cert: x509.Certificate) -> str:
        return cert.public_bytes(serialization.Encoding.PEM).decode()

    @staticmethod
    def key_pem(key: ec.EllipticCurvePrivateKey, passphrase: str | None = None) -> str:
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(passphrase.encode())
            if passphrase
            else serialization.NoEncryption()
        )
        return key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
        ).decode()


@pytest.fixture(scope="module")
def pki() -> Pki:
    return Pki()


def handshake(
    pki: Pki, client_context: ssl.SSLContext, verify_mode: ssl.VerifyMode = ssl.CERT_REQUIRED
) -> str | None:
    """Connect to a loopback TLS server that checks client certificates; return the client CN."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.verify_mode = verify_mode
    server_context.load_verify_locations(cadata=pki.pem(pki.ca_cert))
    with tempfile.TemporaryDirectory() as directory:
        cert, key = Path(directory, "s.pem"), Path(directory, "s.key")
        cert.write_text(pki.pem(pki.server_cert))
        key.write_text(pki.key_pem(pki.server_key))
        server_context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    seen: list[str | None] = []

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            with server_context.wrap_socket(connection, server_side=True) as tls:
                peer = tls.getpeercert() or {}
                subject = cast("tuple[tuple[tuple[str, str], ...], ...]", peer.get("subject", ()))
                names = {key: value for rdn in subject for key, value in rdn}
                seen.append(names.get("commonName"))
                tls.sendall(b"ok")
        except (ssl.SSLError, OSError):
            seen.append(None)

    server = threading.Thread(target=serve)
    server.start()
    try:
        port = listener.getsockname()[1]
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            client_context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            assert tls.recv(2) == b"ok"
    finally:
        server.join(10)
        listener.close()
    return seen[0]


def test_no_tls_settings_means_no_context() -> None:
    assert build_ssl_context(CamundaSettings()) is None


def test_mtls_from_pem_strings_completes_a_real_handshake(pki: Pki) -> None:
    settings = resolve_settings(
        environ={
            "CAMUNDA_MTLS_CA": pki.pem(pki.ca_cert),
            "CAMUNDA_MTLS_CERT": pki.pem(pki.client_cert),
            "CAMUNDA_MTLS_KEY": pki.key_pem(pki.client_key, PASSPHRASE),
            "CAMUNDA_MTLS_KEY_PASSPHRASE": PASSPHRASE,
        }
    ).settings
    context = build_ssl_context(settings)
    assert context is not None
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert handshake(pki, context) == "worker-client"


def test_mtls_from_file_paths(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "ca.pem").write_text(pki.pem(pki.ca_cert))
    (tmp_path / "client.pem").write_text(pki.pem(pki.client_cert))
    (tmp_path / "client.key").write_text(pki.key_pem(pki.client_key))
    settings = resolve_settings(
        environ={
            "CAMUNDA_MTLS_CA_PATH": str(tmp_path / "ca.pem"),
            "CAMUNDA_MTLS_CERT_PATH": str(tmp_path / "client.pem"),
            "CAMUNDA_MTLS_KEY_PATH": str(tmp_path / "client.key"),
        }
    ).settings
    context = build_ssl_context(settings)
    assert context is not None
    assert handshake(pki, context) == "worker-client"


def test_ca_only_trusts_a_private_server(pki: Pki) -> None:
    context = build_ssl_context(CamundaSettings(mtls_ca=pki.pem(pki.ca_cert)))
    assert context is not None
    # The client verified the server against the private CA; it presented no certificate.
    assert handshake(pki, context, ssl.CERT_OPTIONAL) is None
    assert context.verify_mode == ssl.CERT_REQUIRED


def test_pem_strings_go_to_private_temp_files_that_are_removed(
    pki: Pki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    modes: list[int] = []
    original = ssl.SSLContext.load_cert_chain

    def spy(self: ssl.SSLContext, certfile: str, keyfile: str, password: object = None) -> None:
        modes.extend(stat.S_IMODE(Path(name).stat().st_mode) for name in (certfile, keyfile))
        modes.append(stat.S_IMODE(Path(keyfile).parent.stat().st_mode))
        original(self, certfile, keyfile, password)  # type: ignore[arg-type]

    monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
    settings = CamundaSettings(
        mtls_cert=pki.pem(pki.client_cert), mtls_key=pki.key_pem(pki.client_key)
    )
    assert build_ssl_context(settings) is not None
    assert modes == [0o600, 0o600, 0o700]
    assert list(tmp_path.iterdir()) == []


def test_wrong_passphrase_names_the_variable_and_hides_it(pki: Pki) -> None:
    settings = CamundaSettings(
        mtls_cert=pki.pem(pki.client_cert),
        mtls_key=pki.key_pem(pki.client_key, PASSPHRASE),
        mtls_key_passphrase="not-the-passphrase",
    )
    with pytest.raises(ConfigurationError) as caught:
        build_ssl_context(settings)
    assert caught.value.variable == "CAMUNDA_MTLS_KEY_PASSPHRASE"
    assert "not-the-passphrase" not in str(caught.value)
    assert PASSPHRASE not in str(caught.value)


def test_key_that_does_not_match_the_certificate(pki: Pki) -> None:
    settings = CamundaSettings(
        mtls_cert=pki.pem(pki.client_cert), mtls_key=pki.key_pem(pki.server_key)
    )
    with pytest.raises(ConfigurationError, match="belongs to the client certificate") as caught:
        build_ssl_context(settings)
    assert caught.value.variable == "CAMUNDA_MTLS_KEY"
    assert "PRIVATE KEY-----\n" not in str(caught.value)


def test_encrypted_key_without_passphrase_asks_for_one(pki: Pki) -> None:
    settings = CamundaSettings(
        mtls_cert=pki.pem(pki.client_cert), mtls_key=pki.key_pem(pki.client_key, PASSPHRASE)
    )
    with pytest.raises(ConfigurationError, match="is encrypted") as caught:
        build_ssl_context(settings)
    assert caught.value.variable == "CAMUNDA_MTLS_KEY_PASSPHRASE"


def test_garbage_certificate_is_named(pki: Pki, tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("garbage")
    settings = CamundaSettings(
        mtls_cert_path=str(tmp_path / "cert.pem"), mtls_key=pki.key_pem(pki.client_key)
    )
    with pytest.raises(ConfigurationError) as caught:
        build_ssl_context(settings)
    assert caught.value.variable == "CAMUNDA_MTLS_CERT_PATH"


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_ssl_context(CamundaSettings(mtls_ca_path=str(tmp_path / "missing.pem")))
    assert caught.value.variable == "CAMUNDA_MTLS_CA_PATH"
    assert "missing.pem" in str(caught.value)


def test_invalid_pem_is_named() -> None:
    with pytest.raises(ConfigurationError) as caught:
        build_ssl_context(CamundaSettings(mtls_ca="not a certificate"))
    assert caught.value.variable == "CAMUNDA_MTLS_CA"


def test_pem_string_wins_over_path(pki: Pki, tmp_path: Path) -> None:
    settings = CamundaSettings(
        mtls_ca=pki.pem(pki.ca_cert), mtls_ca_path=str(tmp_path / "does-not-exist.pem")
    )
    assert build_ssl_context(settings) is not None
