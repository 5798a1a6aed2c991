"""The local CA and the server certificate, checked by a real TLS handshake with Python's OpenSSL."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from homeport.tls.manager import CertificateSubject, TlsManager

LAN = frozenset({ipaddress.ip_address("192.168.1.20"), ipaddress.ip_address("203.0.113.9")})


def handshake(manager: TlsManager, server_name: str) -> None:
    """Serve one TLS handshake on loopback and connect to it as a browser that trusts only our CA."""
    server_ctx = manager.server_context()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    errors: list[BaseException] = []

    def serve() -> None:
        conn, _ = listener.accept()
        try:
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError) as exc:
            errors.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(manager.ca_cert_path))
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            client_ctx.wrap_socket(raw, server_hostname=server_name) as tls,
        ):
            tls.sendall(b"x")
    finally:
        thread.join(5)
        listener.close()


@pytest.fixture
def manager(tmp_path: Path) -> TlsManager:
    made = TlsManager(tmp_path / "tls", "Homeport TEST local CA")
    made.ensure(CertificateSubject("nas", LAN))
    return made


@pytest.mark.parametrize("name", ["localhost", "nas.local", "192.168.1.20", "127.0.0.1"])
def test_a_browser_trusting_the_ca_accepts_the_device_names(manager: TlsManager, name: str) -> None:
    handshake(manager, name)


@pytest.mark.parametrize("name", ["other.local", "example.com"])
def test_names_the_certificate_does_not_hold_are_rejected(manager: TlsManager, name: str) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(manager, name)


def test_the_ca_is_name_constrained_to_the_lan(manager: TlsManager) -> None:
    ca = x509.load_pem_x509_certificate(manager.ca_certificate_pem())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    permitted = {str(n.value) for n in constraints.value.permitted_subtrees or []}
    assert {"local", "localhost", "192.168.0.0/16", "10.0.0.0/8", "fc00::/7"} <= permitted
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints).value
    assert basic.ca and basic.path_length == 0


def test_a_public_address_is_left_out_of_the_certificate(manager: TlsManager) -> None:
    cert = x509.load_pem_x509_certificate((manager.directory / "server.crt").read_bytes())
    addresses = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.IPAddress
    )
    assert ipaddress.ip_address("192.168.1.20") in addresses
    assert ipaddress.ip_address("203.0.113.9") not in addresses


def test_even_the_ca_key_cannot_mint_a_trusted_certificate_for_a_public_site(manager: TlsManager) -> None:
    """Name constraints, enforced by the client's OpenSSL: a leaked CA key cannot impersonate example.com."""
    ca_key = serialization.load_pem_private_key((manager.directory / "ca.key").read_bytes(), password=None)
    ca_cert = x509.load_pem_x509_certificate(manager.ca_certificate_pem())
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    rogue = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "example.com")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("example.com")]), critical=False)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    (manager.directory / "server.crt").write_bytes(rogue.public_bytes(serialization.Encoding.PEM))
    (manager.directory / "server.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    manager.server_context().load_cert_chain(manager.directory / "server.crt", manager.directory / "server.key")
    with pytest.raises(ssl.SSLCertVerificationError, match="permitted subtree violation"):
        handshake(manager, "example.com")


def test_a_rename_reissues_the_certificate_into_the_live_context(manager: TlsManager) -> None:
    handshake(manager, "nas.local")
    assert manager.ensure(CertificateSubject("office", LAN)) is True
    handshake(manager, "office.local")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(manager, "nas.local")
    assert manager.ensure(CertificateSubject("office", LAN)) is False  # nothing changed, nothing issued


def test_keys_are_private(manager: TlsManager) -> None:
    for name, mode in (("ca.key", 0o600), ("server.key", 0o600), ("ca.crt", 0o644)):
        assert (manager.directory / name).stat().st_mode & 0o777 == mode
