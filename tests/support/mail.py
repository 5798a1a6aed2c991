"""A real SMTP server in the test process (aiosmtpd on loopback): STARTTLS or implicit TLS with a certificate made
here, AUTH LOGIN and PLAIN against one account, every accepted message kept as the bytes that arrived."""

from __future__ import annotations

import datetime
import hashlib
import socket
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SMTP_USER = "homeport@mail.test"
SMTP_PASSWORD = "smtp-Pa55word-never-in-mail"


@dataclass(frozen=True)
class Certificate:
    cert_pem: bytes
    key_pem: bytes
    fingerprint: str  # SHA-256 of the DER, lower-case hex

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.TemporaryDirectory() as folder:
            cert, key = Path(folder) / "cert.pem", Path(folder) / "key.pem"
            cert.write_bytes(self.cert_pem)
            key.write_bytes(self.key_pem)
            context.load_cert_chain(cert, key)
        return context


def self_signed(name: str = "localhost") -> Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    return Certificate(
        cert.public_bytes(serialization.Encoding.PEM),
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()),
        hashlib.sha256(der).hexdigest(),
    )


@dataclass
class Mailbox:
    """What the server received: each message's raw bytes and envelope, and the AUTH attempts it saw."""

    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)
    password: str = SMTP_PASSWORD

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), bytes(content)))
        return "250 Message accepted for delivery"

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = auth_data.login.decode(), auth_data.password.decode()
        ok = user == SMTP_USER and password == self.password
        self.logins.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class RunningServer:
    port: int
    mailbox: Mailbox
    certificate: Certificate


@contextmanager
def smtp_server(
    *, implicit_tls: bool = False, port: int | None = None, exclude_auth: tuple[str, ...] = ()
) -> Iterator[RunningServer]:
    """STARTTLS (required before AUTH) on a free loopback port, or TLS from the first byte; stopped on exit.
    `exclude_auth` leaves AUTH mechanisms out (("PLAIN",): the client must use LOGIN)."""
    certificate = self_signed()
    mailbox = Mailbox()
    port = port or free_port()
    context = certificate.server_context()
    kwargs: dict[str, Any] = {
        "authenticator": mailbox.authenticate,
        "auth_require_tls": True,
        "auth_exclude_mechanism": list(exclude_auth),
    }
    if implicit_tls:
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS from its first byte.
        kwargs["auth_require_tls"] = False
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, ssl_context=context, **kwargs)
    else:
        controller = Controller(
            mailbox, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True, **kwargs
        )
    controller.start()
    try:
        yield RunningServer(port, mailbox, certificate)
    finally:
        controller.stop()
