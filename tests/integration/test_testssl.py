"""testssl.sh against a real daemon on loopback: no finding rated MEDIUM or worse, no CBC, no suite without FS.

The device CA is handed to testssl.sh (`--add-ca`) as the owner's browser has it after trusting it once, so the
chain of trust is really checked. What a private LAN CA cannot offer is allowed below by id, each with its reason
and the exact wording expected, so a different finding under the same id still fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemon import Daemon

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "testssl"
SCAN_TIMEOUT = 240
# Protocols, standard cipher lists, forward secrecy, server preference, ciphers per protocol, every vulnerability
# check, server defaults (certificate, chain, session tickets) and HTTP headers: the default run minus the client
# simulation, plus the per-protocol cipher list.
CHECKS = ["-p", "-s", "-f", "-P", "-E", "-U", "-S", "-h"]
FAILING = {"MEDIUM", "HIGH", "CRITICAL", "FATAL"}

# id -> (expected finding, why it is inherent to a LAN appliance with its own CA).
ALLOWED: dict[str, tuple[str, str]] = {
    "cert_revocation": (
        r"Neither CRL nor OCSP URI provided",
        "a LAN CA has no always-reachable CRL or OCSP responder; it is name-constrained to LAN names instead",
    ),
}
# Sections that must have run, so a scan that silently skipped one cannot pass.
REQUIRED_IDS = {
    "SSLv2", "SSLv3", "TLS1", "TLS1_1", "TLS1_2", "TLS1_3", "cipherlist_NULL", "cipherlist_EXPORT",
    "cipher_order", "heartbleed", "CCS", "ROBOT", "secure_renego", "CRIME_TLS", "POODLE_SSL", "SWEET32",
    "FREAK", "LOGJAM", "BEAST", "LUCKY13", "RC4", "cert_chain_of_trust", "cert_trust", "cert_revocation",
    "HSTS_time", "X-Content-Type-Options",
}  # fmt: skip
CIPHER_ID = re.compile(r"cipher(-\w+)?_(?P<code>x[0-9a-f]+)")
TLS13_SUITE = re.compile(r"TLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256|AES_128_CCM(_8)?_SHA256)")
TLS12_SUITE = re.compile(r"TLS_ECDHE_(ECDSA|RSA)_WITH_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)")


def find_testssl() -> str:
    found = shutil.which("testssl") or shutil.which("testssl.sh")  # Debian installs it as `testssl`
    assert found, "testssl.sh is not installed: run `make test` as root (it installs the Debian package testssl.sh)"
    return found


@pytest.fixture(scope="module")
def findings() -> Iterator[list[dict[str, Any]]]:
    """One scan of a fresh daemon (half a minute to a minute), shared by the checks below."""
    command = find_testssl()
    base = Path(tempfile.mkdtemp(prefix="hp-", dir="/tmp"))
    (base / "volume1").mkdir()
    daemon = Daemon(base / "home", base / "volume1")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report, log = ARTIFACTS / "report.json", ARTIFACTS / "report.txt"
    report.unlink(missing_ok=True)
    try:
        daemon.start()
        started = time.monotonic()
        done = subprocess.run(
            [
                command, "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none", "--ip", "127.0.0.1",
                "--connect-timeout", "10", "--openssl-timeout", "10",
                "--add-ca", str(daemon.home / "tls" / "ca.crt"), "--jsonfile", str(report), *CHECKS,
                f"https://localhost:{daemon.https_port}",
            ],
            capture_output=True, text=True, timeout=SCAN_TIMEOUT, check=False, cwd=base,
        )  # fmt: skip
        log.write_text(done.stdout + done.stderr)
        print(f"testssl.sh: exit {done.returncode} after {time.monotonic() - started:.0f} s, report in {ARTIFACTS}")
        assert report.exists(), f"testssl.sh wrote no report (exit {done.returncode}):\n{done.stdout[-3000:]}"
        yield json.loads(report.read_text())
    finally:
        daemon.kill()
        shutil.rmtree(base, ignore_errors=True)


def show(items: list[dict[str, Any]]) -> str:
    return "\n".join(f"  {f['severity']:8} {f['id']}: {f['finding']}" for f in items)


def test_the_scan_covered_every_section(findings: list[dict[str, Any]]) -> None:
    missing = REQUIRED_IDS - {f["id"] for f in findings}
    assert not missing, f"testssl.sh did not report {sorted(missing)}; see {ARTIFACTS / 'report.txt'}"


def test_no_finding_is_rated_medium_or_worse(findings: list[dict[str, Any]]) -> None:
    bad = [
        f
        for f in findings
        if f["severity"] in FAILING
        and not (f["id"] in ALLOWED and re.fullmatch(ALLOWED[f["id"]][0], f["finding"].strip()))
    ]
    assert not bad, f"testssl.sh findings rated MEDIUM or worse:\n{show(bad)}"


def test_the_chain_of_trust_holds_for_a_browser_that_trusts_the_device_ca(findings: list[dict[str, Any]]) -> None:
    trust = [f for f in findings if f["id"] in ("cert_chain_of_trust", "cert_trust")]
    assert trust and all(f["severity"] == "OK" for f in trust), show(trust)


def offered_suites(findings: list[dict[str, Any]]) -> dict[str, str]:
    """OpenSSL name -> IANA name of every suite the server accepted, from rows like `TLS 1.2 xc02c NAME ... IANA`."""
    suites = {}
    for f in findings:
        if match := CIPHER_ID.fullmatch(f["id"]):
            words = f["finding"].split()
            suites[words[words.index(match["code"]) + 1]] = words[-1]
    return suites


def test_only_aead_suites_with_forward_secrecy_are_offered(findings: list[dict[str, Any]]) -> None:
    suites = offered_suites(findings)
    assert any(TLS12_SUITE.fullmatch(s) for s in suites.values()), f"no TLS 1.2 suite seen: {suites}"
    assert any(TLS13_SUITE.fullmatch(s) for s in suites.values()), f"no TLS 1.3 suite seen: {suites}"
    weak = {
        name: "CBC" if "_CBC_" in iana else "not ECDHE with AES-GCM or ChaCha20-Poly1305"
        for name, iana in suites.items()
        if not (TLS12_SUITE.fullmatch(iana) or TLS13_SUITE.fullmatch(iana))
    }
    assert not weak, f"suites offered that must not be: {weak}"
    # testssl.sh's own verdict on forward secrecy (the id is PFS_ciphers in 3.0, FS_ciphers later).
    forward_secret = {n for f in findings if f["id"] in ("PFS_ciphers", "FS_ciphers") for n in f["finding"].split()}
    assert set(suites) <= forward_secret, f"suites without forward secrecy: {sorted(set(suites) - forward_secret)}"
