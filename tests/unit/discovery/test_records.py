"""The DNS-SD records: the file service is announced while it answers, Time Machine shares as macOS expects."""

from __future__ import annotations

from homeport.discovery.interfaces import Announcement
from homeport.discovery.records import ADISK_TYPE, SMB_TYPE, service_infos

BASE = Announcement(
    name="nas", state="ready", model="Homeport Virtual", serial="HP-1", mac="02:00:00:00:00:01", version="0.1.0",
    https_port=5001, http_port=5000, addresses=("10.211.0.20",),
)  # fmt: skip


def by_type(announcement: Announcement) -> dict[str, object]:
    return {info.type: info for info in service_infos(announcement)}


def test_no_smb_record_while_the_file_service_does_not_answer() -> None:
    assert SMB_TYPE not in by_type(BASE) and ADISK_TYPE not in by_type(BASE)


def test_smb_and_time_machine_records() -> None:
    from dataclasses import replace

    infos = by_type(replace(BASE, smb_port=445, time_machine_shares=("Backups", "Mac Mini")))
    smb = infos[SMB_TYPE]
    assert smb.port == 445 and smb.server == "nas.local."  # type: ignore[attr-defined]
    adisk = infos[ADISK_TYPE]
    assert adisk.properties == {  # type: ignore[attr-defined]
        b"sys": b"waMa=0,adVF=0x100",
        b"dk0": b"adVN=Backups,adVF=0x82",
        b"dk1": b"adVN=Mac Mini,adVF=0x82",
    }
    assert ADISK_TYPE not in by_type(replace(BASE, smb_port=445))  # no Time Machine share: no _adisk
