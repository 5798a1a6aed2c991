"""`python -m homeport.tls.issue DIR`: create the CA if needed and issue the server certificate.

Runs as a short-lived child of the daemon, so the CA's private key is only ever in this process's memory
(and the daemon never loads the cryptography library). The request comes as JSON on stdin:
`{"authority": str, "common_name": str, "dns_names": [str], "addresses": [str]}`; a JSON summary of the
issued certificate is written beside it as `server.json`.
"""

from __future__ import annotations

import ipaddress
import json
import sys
from pathlib import Path

from homeport.core.atomic import write_atomic
from homeport.tls.authority import (
    IssuedPair,
    create_authority,
    expires_at,
    issue_server_certificate,
    subject_alternative_names,
)


def authority(directory: Path, name: str) -> IssuedPair:
    key_path, cert_path = directory / "ca.key", directory / "ca.crt"
    if not key_path.exists() or not cert_path.exists():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        pair = create_authority(name)
        write_atomic(key_path, pair.key_pem, 0o600)
        write_atomic(cert_path, pair.cert_pem, 0o644)
    return IssuedPair(key_path.read_bytes(), cert_path.read_bytes())


def issue(directory: Path, request: dict[str, object]) -> dict[str, object]:
    ca = authority(directory, str(request["authority"]))
    addresses = [ipaddress.ip_address(str(a)) for a in request.get("addresses", [])]  # type: ignore[attr-defined]
    dns_names = [str(n) for n in request.get("dns_names", [])]  # type: ignore[attr-defined]
    pair = issue_server_certificate(ca, str(request["common_name"]), dns_names, addresses)
    dns, ips = subject_alternative_names(pair.cert_pem)
    summary: dict[str, object] = {
        "dns_names": sorted(dns),
        "addresses": sorted(str(ip) for ip in ips),
        "not_after": expires_at(pair.cert_pem).timestamp(),
    }
    write_atomic(directory / "server.key", pair.key_pem, 0o600)
    write_atomic(directory / "server.crt", pair.cert_pem, 0o644)
    write_atomic(directory / "server.json", json.dumps(summary).encode(), 0o644)
    return summary


def main() -> int:
    if len(sys.argv) != 2:
        print("usage: python -m homeport.tls.issue DIR < request.json", file=sys.stderr)
        return 2
    try:
        issue(Path(sys.argv[1]), json.loads(sys.stdin.read()))
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot issue the certificate: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
