"""Button sources and feedback, fed and read in the kernel's own formats (input_event records, sysfs files)."""

from __future__ import annotations

import asyncio
import os
import threading
from collections import deque
from pathlib import Path

import pytest

from homeport.hardware.buttons import EvdevButton, VirtualButton
from homeport.hardware.feedback import BEEPS, EvdevBuzzer, Played, SysfsLed, VirtualFeedback
from homeport.hardware.input_events import (
    EV_KEY,
    EV_SND,
    EV_SYN,
    INPUT_EVENT,
    KEY_CODES,
    SND_TONE,
    InputEvent,
    RecordSplitter,
    key_code,
)
from homeport.hardware.interfaces import ButtonEdge, ButtonEvent

KEY_RESTART = KEY_CODES["KEY_RESTART"]


def test_an_input_event_is_24_bytes_in_the_kernels_layout() -> None:
    record = InputEvent(1700000000.25, EV_KEY, KEY_RESTART, 1).pack()
    assert len(record) == INPUT_EVENT.size == 24
    assert record[:8] == (1700000000).to_bytes(8, "little") and record[8:16] == (250000).to_bytes(8, "little")
    assert record[16:18] == EV_KEY.to_bytes(2, "little") and record[18:20] == (0x198).to_bytes(2, "little")
    assert record[20:24] == (1).to_bytes(4, "little", signed=True)


def test_records_split_across_reads_are_reassembled() -> None:
    stream = b"".join(InputEvent(10.0 + n, EV_KEY, KEY_RESTART, n % 2).pack() for n in range(3))
    splitter = RecordSplitter()
    events = splitter.feed(stream[:30]) + splitter.feed(stream[30:47]) + splitter.feed(stream[47:])
    assert [(e.seconds, e.value) for e in events] == [(10.0, 0), (11.0, 1), (12.0, 0)]


def test_key_names_and_numbers() -> None:
    assert key_code("KEY_RESTART") == 0x198 and key_code("0x100") == 256 and key_code("116") == 116
    with pytest.raises(ValueError, match="unknown key"):
        key_code("KEY_NOPE")


def test_the_evdev_reader_takes_real_records_through_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "event0"
    os.mkfifo(fifo)
    records = [
        InputEvent(100.000, EV_KEY, KEY_RESTART, 1),
        InputEvent(100.000, EV_SYN, 0, 0),
        InputEvent(101.000, EV_KEY, KEY_RESTART, 2),  # autorepeat: not an edge
        InputEvent(102.000, EV_KEY, 30, 1),  # another key ("A"): not ours
        InputEvent(104.500, EV_KEY, KEY_RESTART, 0),
        InputEvent(104.500, EV_SYN, 0, 0),
    ]

    def write() -> None:
        with fifo.open("wb") as out:
            data = b"".join(r.pack() for r in records)
            out.write(data[:40])  # a record cut in two across writes
            out.flush()
            out.write(data[40:])

    async def read() -> list[ButtonEvent]:
        button = EvdevButton(fifo)
        got: list[ButtonEvent] = []
        events = button.events()
        async with asyncio.timeout(5):
            while len(got) < 2:
                got.append(await anext(events))
        await events.aclose()
        return got

    writer = threading.Thread(target=write)
    loop = asyncio.new_event_loop()
    try:
        task = loop.create_task(read())
        writer.start()
        got = loop.run_until_complete(task)
    finally:
        writer.join(5)
        loop.close()
    assert [e.edge for e in got] == [ButtonEdge.PRESSED, ButtonEdge.RELEASED]
    assert got[1].at - got[0].at == pytest.approx(4.5)  # the kernel's timestamps, not the reading times


def test_the_buzzer_writes_tone_events_in_the_kernels_format(tmp_path: Path) -> None:
    device = tmp_path / "pcspkr"
    device.write_bytes(b"")
    buzzer = EvdevBuzzer(device)

    async def play() -> None:
        buzzer.play("three-beeps")
        assert buzzer._task is not None
        await buzzer._task

    asyncio.run(play())
    data = device.read_bytes()
    events = RecordSplitter().feed(data)
    tones = [e.value for e in events if e.type == EV_SND and e.code == SND_TONE]
    assert tones[:6] == [2000, 0, 2000, 0, 2000, 0]
    assert all(e.type in (EV_SND, EV_SYN) for e in events)
    assert len(BEEPS["three-beeps"]) == 3


def test_the_led_is_driven_through_sysfs_files(tmp_path: Path) -> None:
    for name, value in (
        ("trigger", "none"),
        ("brightness", "0"),
        ("max_brightness", "255"),
        ("delay_on", "0"),
        ("delay_off", "0"),
    ):
        (tmp_path / name).write_text(value)
    led = SysfsLed(tmp_path)
    led.play("recovery")
    assert (tmp_path / "trigger").read_text() == "timer"
    assert ((tmp_path / "delay_on").read_text(), (tmp_path / "delay_off").read_text()) == ("1000", "1000")
    led.play("applying")
    assert (tmp_path / "delay_on").read_text() == "100"
    led.play("ready")
    assert ((tmp_path / "trigger").read_text(), (tmp_path / "brightness").read_text()) == ("none", "255")


def test_virtual_feedback_remembers_what_it_showed() -> None:
    history: deque[Played] = deque(maxlen=10)
    VirtualFeedback("buzzer", history).play("one-beep")
    VirtualFeedback("led", history).play("recovery")
    assert [(p.device, p.pattern) for p in history] == [("buzzer", "one-beep"), ("led", "recovery")]


def test_the_virtual_button_holds_for_real_time() -> None:
    async def scenario() -> list[ButtonEvent]:
        button = VirtualButton()
        events = button.events()
        await button.hold(0.2)
        return [await anext(events), await anext(events)]

    pressed, released = asyncio.run(scenario())
    assert (pressed.edge, released.edge) == (ButtonEdge.PRESSED, ButtonEdge.RELEASED)
    assert released.at - pressed.at >= 0.2
