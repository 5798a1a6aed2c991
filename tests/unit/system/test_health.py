"""The health panel's readings, from /proc and /sys files laid out as the kernel does."""

from __future__ import annotations

from pathlib import Path

from homeport.system.health import read_health


def test_readings_come_from_proc_and_sys(tmp_path: Path) -> None:
    proc, sys = tmp_path / "proc", tmp_path / "sys"
    proc.mkdir()
    (proc / "uptime").write_text("12345.67 23456.78\n")
    (proc / "loadavg").write_text("0.52 0.41 0.30 1/234 5678\n")
    (proc / "meminfo").write_text(
        "MemTotal:        2048000 kB\nMemFree:          100000 kB\nMemAvailable:    1024000 kB\n"
    )
    zone = sys / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("x86_pkg_temp\n")
    (zone / "temp").write_text("47500\n")
    hwmon = sys / "class" / "hwmon" / "hwmon1"
    hwmon.mkdir(parents=True)
    (hwmon / "name").write_text("drivetemp\n")
    (hwmon / "temp1_input").write_text("38000\n")
    (hwmon / "temp2_input").write_text("-273000\n")  # an absent sensor: ignored
    health = read_health(proc, sys)
    assert health.uptime_seconds == 12345.67
    assert health.load == (0.52, 0.41, 0.30)
    assert health.memory_total_bytes == 2048000 * 1024 and health.memory_available_bytes == 1024000 * 1024
    assert [(t.sensor, t.celsius) for t in health.temperatures] == [("x86_pkg_temp", 47.5), ("drivetemp", 38.0)]


def test_a_machine_without_sensors_reports_none(tmp_path: Path) -> None:
    health = read_health(tmp_path / "proc", tmp_path / "sys")
    assert health.temperatures == () and health.uptime_seconds == 0.0


def test_this_machine_answers() -> None:
    health = read_health()
    assert health.uptime_seconds > 0 and health.memory_total_bytes > 0 and health.cpus >= 1
