"""TLS 1.2 offers only AEAD suites with forward secrecy: real handshakes against the server context."""

from __future__ import annotations

import ipaddress
import socket
import ssl
import threading
from pathlib import Path

import pytest

from homeport.tls.issue import issue
from homeport.tls.manager import CertificateSubject, TlsManager

LAN = frozenset({ipaddress.ip_address("192.168.1.20")})
AEAD_SUITES = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-CHACHA20-POLY1305"]
# CBC suites a TLS 1.2 client may still propose for an ECDSA certificate; the SHA-2 ones used to be accepted.
CBC_SUITES = ["ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA"]


@pytest.fixture
def manager(tmp_path: Path) -> TlsManager:
    made = TlsManager(tmp_path / "tls", "Homeport TEST local CA", issuer=issue)  # in-process: faster, same result
    made.ensure(CertificateSubject("nas", LAN))
    return made


def connect(manager: TlsManager, client_ctx: ssl.SSLContext) -> tuple[str, str]:
    """One handshake over a socket pair; returns the (version, suite) the client ended up with."""
    server_ctx = manager.server_context()
    server_end, client_end = socket.socketpair()
    server_end.settimeout(5)
    client_end.settimeout(5)

    def serve() -> None:
        try:
            with server_ctx.wrap_socket(server_end, server_side=True) as tls:
                tls.recv(1)
        except (ssl.SSLError, OSError):
            pass  # the client's side of the story is what the tests check
        finally:
            server_end.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        with client_ctx.wrap_socket(client_end, server_hostname="localhost") as tls:
            version, suite = tls.version(), tls.cipher()
            tls.sendall(b"x")
    finally:
        client_end.close()
        thread.join(5)
    assert version is not None and suite is not None
    return version, suite[0]


def tls12_client(manager: TlsManager, suite: str) -> ssl.SSLContext:
    """A client that trusts our CA, speaks at most TLS 1.2 and proposes exactly one suite."""
    ctx = ssl.create_default_context(cafile=str(manager.ca_cert_path))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(f"{suite}:@SECLEVEL=0")  # the client must be able to ask for weak suites
    return ctx


@pytest.mark.parametrize("suite", CBC_SUITES)
def test_a_tls12_client_limited_to_a_cbc_suite_is_refused(manager: TlsManager, suite: str) -> None:
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
        connect(manager, tls12_client(manager, suite))


@pytest.mark.parametrize("suite", AEAD_SUITES)
def test_a_tls12_client_with_an_aead_suite_connects(manager: TlsManager, suite: str) -> None:
    assert connect(manager, tls12_client(manager, suite)) == ("TLSv1.2", suite)


def test_tls13_is_left_as_it_is(manager: TlsManager) -> None:
    version, _ = connect(manager, ssl.create_default_context(cafile=str(manager.ca_cert_path)))
    assert version == "TLSv1.3"


def test_every_tls12_suite_is_aead_with_ephemeral_ecdh(manager: TlsManager) -> None:
    tls12 = [c for c in manager.server_context().get_ciphers() if c["protocol"] == "TLSv1.2"]
    assert tls12
    assert [c["name"] for c in tls12 if not c["aead"] or c["kea"] != "kx-ecdhe"] == []
