"""Keeps the HTTPS certificate matching the device: issued at first start, re-issued when the device name,
the host's addresses or the expiry call for it, and swapped into the live TLS context without a restart.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.core.atomic import write_atomic
from homeport.tls.authority import (
    IpAddress,
    IssuedPair,
    address_permitted,
    create_authority,
    dns_name_permitted,
    expires_at,
    issue_server_certificate,
    subject_alternative_names,
)

_log = structlog.get_logger("homeport.tls")

RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class CertificateSubject:
    """What the server certificate must name."""

    device_name: str
    addresses: frozenset[IpAddress]

    def dns_names(self) -> set[str]:
        host = socket.gethostname().split(".")[0].lower()
        names = {"localhost", f"{self.device_name.lower()}.local", f"{host}.local"}
        return {n for n in names if dns_name_permitted(n)}

    def ip_addresses(self) -> set[IpAddress]:
        loopback = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
        return {a for a in self.addresses | loopback if address_permitted(a)}


class TlsManager:
    def __init__(self, directory: Path, authority_name: str) -> None:
        self.directory = directory
        self.ca_cert_path = directory / "ca.crt"
        self._ca_key_path = directory / "ca.key"
        self._cert_path = directory / "server.crt"
        self._key_path = directory / "server.key"
        self._authority_name = authority_name
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()

    def authority(self) -> IssuedPair:
        """The CA, created on first use (key readable by the daemon only)."""
        if not self.ca_cert_path.exists() or not self._ca_key_path.exists():
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            pair = create_authority(self._authority_name)
            write_atomic(self._ca_key_path, pair.key_pem, 0o600)
            write_atomic(self.ca_cert_path, pair.cert_pem, 0o644)
            _log.info("certificate authority created", path=str(self.ca_cert_path))
        return IssuedPair(self._ca_key_path.read_bytes(), self.ca_cert_path.read_bytes())

    def ca_certificate_pem(self) -> bytes:
        return self.ca_cert_path.read_bytes()

    def ensure(self, subject: CertificateSubject) -> bool:
        """Issue a new server certificate if the current one is missing, stale or names the wrong things."""
        with self._lock:
            if not self._needs_new(subject):
                return False
            pair = issue_server_certificate(
                self.authority(), subject.device_name, subject.dns_names(), subject.ip_addresses()
            )
            write_atomic(self._key_path, pair.key_pem, 0o600)
            write_atomic(self._cert_path, pair.cert_pem, 0o644)
            if self._context is not None:
                self._context.load_cert_chain(self._cert_path, self._key_path)
            _log.info("server certificate issued", names=sorted(subject.dns_names()))
            return True

    def _needs_new(self, subject: CertificateSubject) -> bool:
        if not self._cert_path.exists() or not self._key_path.exists():
            return True
        cert_pem = self._cert_path.read_bytes()
        if expires_at(cert_pem) - datetime.datetime.now(datetime.UTC) < RENEW_BEFORE:
            return True
        dns, ips = subject_alternative_names(cert_pem)
        return dns != frozenset(subject.dns_names()) or ips != frozenset(subject.ip_addresses())

    def server_context(self) -> ssl.SSLContext:
        """The live TLS context (TLS 1.2 or newer); later re-issues load into this same object."""
        with self._lock:
            if self._context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.load_cert_chain(self._cert_path, self._key_path)
                context.set_alpn_protocols(["http/1.1"])
                self._context = context
            return self._context
