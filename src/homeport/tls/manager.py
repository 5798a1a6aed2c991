"""Keeps the HTTPS certificate matching the device: issued at first start, re-issued when the device name,
the host's addresses or the expiry call for it, and swapped into the live TLS context without a restart.

The daemon issues in a child process (`homeport.tls.issue`): the CA key never enters its memory, and the
daemon never loads the cryptography library.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import structlog

from homeport.core.errors import OperationFailed
from homeport.tls.names import IpAddress, address_permitted, dns_name_permitted

_log = structlog.get_logger("homeport.tls")

RENEW_BEFORE_SECONDS = 30 * 24 * 3600
ISSUE_TIMEOUT = 60
# TLS 1.2 suites: ephemeral ECDH (forward secrecy) with an AEAD cipher only; CBC suites carry padding-oracle
# history. TLS 1.3 suites are configured apart in OpenSSL, and all of them are of this kind already.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:@SECLEVEL=2"


@dataclass(frozen=True)
class CertificateSubject:
    """What the server certificate must name."""

    device_name: str
    addresses: frozenset[IpAddress]
    # Another `.local` label the device answers to: the one announced when another device had its name first.
    host_label: str = ""

    def dns_names(self) -> set[str]:
        """localhost, `<name>.local`, `<host>.local` and the host's LAN domain name (e.g. nas.home.arpa).

        A bare single-label host name is left out: a name-constrained CA cannot vouch for it without also
        vouching for every name under a public top-level domain of the same spelling.
        """
        host = socket.gethostname().split(".")[0].lower()
        names = {"localhost", f"{self.device_name.lower()}.local", f"{host}.local", socket.getfqdn().lower()}
        if self.host_label:
            names.add(f"{self.host_label.lower()}.local")
        return {n for n in names if dns_name_permitted(n)}

    def ip_addresses(self) -> set[IpAddress]:
        loopback = {ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")}
        return {a for a in self.addresses | loopback if address_permitted(a)}


Issuer = Callable[[Path, dict[str, object]], object]
"""Creates the CA if needed and issues the server certificate into a folder (see `homeport.tls.issue`)."""


def issue_in_child(directory: Path, request: dict[str, object]) -> None:
    """The daemon's issuer: a child process, so the CA key never enters the daemon's memory."""
    done = subprocess.run(  # noqa: S603 - our own module, fixed arguments
        [sys.executable, "-m", "homeport.tls.issue", str(directory)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=ISSUE_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise OperationFailed(f"Could not issue the HTTPS certificate: {done.stderr.strip()}")


class TlsManager:
    def __init__(self, directory: Path, authority_name: str, issuer: Issuer = issue_in_child) -> None:
        self.directory = directory
        self.ca_cert_path = directory / "ca.crt"
        self._cert_path = directory / "server.crt"
        self._key_path = directory / "server.key"
        self._summary_path = directory / "server.json"
        self._authority_name = authority_name
        self._issuer = issuer
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        self._hosts: frozenset[str] = frozenset({"localhost"})

    def known_hosts(self) -> frozenset[str]:
        """The names and addresses the device answers to (lower case): those its certificate holds."""
        return self._hosts

    def ca_certificate_pem(self) -> bytes:
        return self.ca_cert_path.read_bytes()

    def expires_at(self) -> float | None:
        """When the server certificate in use expires (from the issuer's summary); None if there is none."""
        try:
            return float(json.loads(self._summary_path.read_text())["not_after"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def ensure(self, subject: CertificateSubject) -> bool:
        """Issue a new server certificate if the current one is missing, stale or names the wrong things."""
        with self._lock:
            self._hosts = frozenset(subject.dns_names() | {str(a) for a in subject.ip_addresses()})
            if not self._needs_new(subject):
                return False
            request: dict[str, object] = {
                "authority": self._authority_name,
                "common_name": subject.device_name,
                "dns_names": sorted(subject.dns_names()),
                "addresses": sorted(str(a) for a in subject.ip_addresses()),
            }
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._issuer(self.directory, request)
            if self._context is not None:
                self._context.load_cert_chain(self._cert_path, self._key_path)
            _log.info("server certificate issued", names=request["dns_names"])
            return True

    def _needs_new(self, subject: CertificateSubject) -> bool:
        try:
            summary = json.loads(self._summary_path.read_text())
            expiry = float(summary["not_after"])
            dns, addresses = set(summary["dns_names"]), set(summary["addresses"])
        except (OSError, ValueError, KeyError, TypeError):
            return True
        if not self._cert_path.exists() or not self._key_path.exists() or not self.ca_cert_path.exists():
            return True
        if expiry - time.time() < RENEW_BEFORE_SECONDS:
            return True
        return dns != subject.dns_names() or addresses != {str(a) for a in subject.ip_addresses()}

    def server_context(self) -> ssl.SSLContext:
        """The live TLS context (TLS 1.2 or newer); later re-issues load into this same object."""
        with self._lock:
            if self._context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                context.minimum_version = ssl.TLSVersion.TLSv1_2
                context.set_ciphers(TLS12_CIPHERS)
                context.load_cert_chain(self._cert_path, self._key_path)
                context.set_alpn_protocols(["http/1.1"])
                self._context = context
            return self._context
