"""Linux `struct input_event` (linux/input.h) on 64-bit: struct timeval, __u16 type, __u16 code, __s32 value."""

from __future__ import annotations

import struct
from dataclasses import dataclass

INPUT_EVENT = struct.Struct("qqHHi")  # 8 + 8 + 2 + 2 + 4 = 24 bytes
EV_SYN, EV_KEY, EV_SND = 0x00, 0x01, 0x12
SYN_REPORT = 0
SND_TONE = 0x02
KEY_CODES = {"KEY_RESTART": 0x198, "KEY_POWER": 116, "KEY_PROG1": 148, "BTN_0": 0x100, "BTN_MISC": 0x100}
KEY_RELEASED, KEY_PRESSED, KEY_REPEAT = 0, 1, 2


@dataclass(frozen=True)
class InputEvent:
    seconds: float
    type: int
    code: int
    value: int

    def pack(self) -> bytes:
        whole = int(self.seconds)
        return INPUT_EVENT.pack(whole, round((self.seconds - whole) * 1_000_000), self.type, self.code, self.value)

    @classmethod
    def unpack(cls, record: bytes) -> InputEvent:
        sec, usec, kind, code, value = INPUT_EVENT.unpack(record)
        return cls(sec + usec / 1_000_000, kind, code, value)


def key_code(name: str) -> int:
    """`KEY_RESTART`, a name from KEY_CODES, or a number (decimal or 0x...)."""
    if name in KEY_CODES:
        return KEY_CODES[name]
    try:
        return int(name, 0)
    except ValueError:
        raise ValueError(f"unknown key '{name}': use one of {', '.join(sorted(KEY_CODES))} or a number") from None


class RecordSplitter:
    """Reassembles whole 24-byte records from reads of any size."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[InputEvent]:
        self._buffer += chunk
        whole = len(self._buffer) - len(self._buffer) % INPUT_EVENT.size
        records, self._buffer = self._buffer[:whole], self._buffer[whole:]
        return [InputEvent.unpack(records[i : i + INPUT_EVENT.size]) for i in range(0, whole, INPUT_EVENT.size)]
