"""The notification settings' rules and the small pure pieces: fingerprints, LAN addresses, back-off."""

from __future__ import annotations

import pytest

from homeport.core.errors import InvalidInput
from homeport.notify.failures import DeliveryFailed
from homeport.notify.models import EmailSettings, WebhookSettings
from homeport.notify.queue import retry_delay
from homeport.notify.rules import email_changes, webhook_changes
from homeport.notify.smtp import is_lan_address
from homeport.notify.tlspin import normalise_fingerprint, shown
from homeport.notify.webhook import refuse_plain_http_off_network as refuse_off_network

HEX = "0123456789abcdef" * 4


def problems(error: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    return set(error.value.fields)


def test_a_fingerprint_is_accepted_as_viewers_show_it() -> None:
    assert normalise_fingerprint(shown(HEX)) == HEX
    assert normalise_fingerprint(f"SHA256={HEX.upper()}") == HEX
    assert normalise_fingerprint("") == ""
    assert normalise_fingerprint("ab:cd") is None


@pytest.mark.parametrize(
    ("address", "lan"),
    [("127.0.0.1", True), ("192.168.1.5", True), ("10.1.2.3", True), ("fd00::1", True), ("fe80::1%eth0", True),
     ("8.8.8.8", False), ("2001:4860::8888", False), ("mail.example.com", False)],
)  # fmt: skip
def test_unencrypted_smtp_only_to_the_lan(address: str, lan: bool) -> None:
    assert is_lan_address(address) is lan


def test_email_settings_enabled_need_a_server_and_a_sender() -> None:
    with pytest.raises(InvalidInput) as error:
        email_changes(EmailSettings(), {"enabled": True})
    assert problems(error) == {"host", "from_address"}
    saved = email_changes(EmailSettings(), {"enabled": True, "host": " smtp.example.com ", "from_address": "a@b.c"})
    assert saved.host == "smtp.example.com" and saved.enabled


def test_email_settings_refuse_what_could_inject_or_leak() -> None:
    with pytest.raises(InvalidInput) as error:
        email_changes(
            EmailSettings(),
            {"host": "smtp.example.com\r\nX: y", "from_address": "a@b.c\r\nBcc: evil@x.y", "username": "u\nv"},
        )
    assert problems(error) == {"host", "from_address", "username"}
    with pytest.raises(InvalidInput) as error:
        email_changes(EmailSettings(), {"host": "8.8.8.8", "security": "none"})
    assert problems(error) == {"security"}
    assert email_changes(EmailSettings(), {"host": "192.168.1.2", "security": "none"}).security == "none"


def test_webhook_addresses() -> None:
    assert webhook_changes(WebhookSettings(), {"url": "https://ntfy.example.com/nas", "format": "ntfy"}).url
    for url, word in [
        ("ftp://example.com/x", "https://"),
        ("https://user:secret@example.com/x", "token field"),
        ("https://ntfy.example.com/", "topic"),
        ("https://example.com:99999/x", "port"),
        ("https://example.com:0/x", "port"),
        ("http://192.168.1.5:0/x", "port"),
        ("http://8.8.8.8/x", "https://"),
        ("http://[2001:4860::8888]/x", "https://"),
    ]:
        with pytest.raises(InvalidInput) as error:
            webhook_changes(WebhookSettings(format="ntfy" if "ntfy" in url else "json"), {"url": url})
        assert word in error.value.fields["url"]
    with pytest.raises(InvalidInput):
        webhook_changes(WebhookSettings(), {"enabled": True})
    for url in ("http://192.168.1.5:8080/x", "http://127.0.0.1/x", "http://[fe80::1%25eth0]/x", "http://nas.lan/x"):
        assert webhook_changes(WebhookSettings(), {"url": url}).url == url


class _Peer:
    """Where a connected socket says it leads (no traffic leaves the machine in a test)."""

    def __init__(self, address: str) -> None:
        self.address = address

    def getpeername(self) -> tuple[str, int]:
        return (self.address, 80)


def test_plain_http_sends_nothing_to_a_peer_off_this_network() -> None:
    refuse_off_network(_Peer("192.168.1.5"), "http://nas.lan")  # type: ignore[arg-type]
    with pytest.raises(DeliveryFailed) as error:
        refuse_off_network(_Peer("93.184.216.34"), "http://example.com")  # type: ignore[arg-type]
    assert error.value.reason == "not_local"
    assert "93.184.216.34" in str(error.value)


def test_retries_wait_30_s_doubling_to_an_hour() -> None:
    assert [retry_delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
