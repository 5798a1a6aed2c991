"""How the box is doing, read from /proc and /sys at the moment it is asked (no daemon, no history): uptime,
load, memory, and the temperatures the hardware reports (thermal zones, hwmon sensors)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Temperature:
    sensor: str
    celsius: float


@dataclass(frozen=True)
class Health:
    uptime_seconds: float
    load: tuple[float, float, float]  # 1, 5 and 15 minutes
    cpus: int
    memory_total_bytes: int
    memory_available_bytes: int
    temperatures: tuple[Temperature, ...]


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _meminfo(text: str) -> dict[str, int]:
    found = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            found[key] = int(parts[0]) * (1024 if parts[1:2] == ["kB"] else 1)
    return found


def _millidegrees(text: str) -> float | None:
    try:
        value = int(text) / 1000
    except ValueError:
        return None
    return value if -40 <= value <= 150 else None  # outside that, a sensor that is absent or broken


def temperatures(sys: Path) -> tuple[Temperature, ...]:
    found: list[Temperature] = []
    for zone in sorted(sys.glob("class/thermal/thermal_zone*")):
        celsius = _millidegrees(_read(zone / "temp"))
        if celsius is not None:
            found.append(Temperature(_read(zone / "type") or zone.name, celsius))
    for sensor in sorted(sys.glob("class/hwmon/hwmon*/temp*_input")):
        celsius = _millidegrees(_read(sensor))
        if celsius is not None:
            chip = _read(sensor.parent / "name") or sensor.parent.name
            label = _read(sensor.with_name(sensor.name.replace("_input", "_label")))
            found.append(Temperature(f"{chip} {label}".strip(), celsius))
    return tuple(found)


def read_health(proc: Path = Path("/proc"), sys: Path = Path("/sys")) -> Health:
    uptime = _read(proc / "uptime").split()
    load = _read(proc / "loadavg").split()
    memory = _meminfo(_read(proc / "meminfo"))
    return Health(
        uptime_seconds=float(uptime[0]) if uptime else 0.0,
        load=(float(load[0]), float(load[1]), float(load[2])) if len(load) >= 3 else (0.0, 0.0, 0.0),
        cpus=os.cpu_count() or 1,
        memory_total_bytes=memory.get("MemTotal", 0),
        memory_available_bytes=memory.get("MemAvailable", memory.get("MemFree", 0)),
        temperatures=temperatures(sys),
    )
