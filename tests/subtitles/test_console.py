"""The stdout sink on a real pseudo-terminal, and on a pipe-like stream."""

from __future__ import annotations

import fcntl
import io
import os
import re
import struct
import termios
from collections.abc import Iterator
from typing import TextIO

import pytest

from tests.subtitles.scenario import EN_ES, ES_EN, two_way_run
from translator.events import TranslationFinal, TranslationPartial
from translator.subtitles import SubtitleOptions, open_stdout_sink
from translator.subtitles.console import fit_tail
from translator.subtitles.textunits import display_width

COLUMNS = 60


@pytest.fixture
def terminal() -> Iterator[tuple[TextIO, int]]:
    """A real pty: (the slave as a text stream, the master fd to read what was drawn)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, COLUMNS, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.OPOST  # no "\n" → "\r\n" translation: read back exactly what was written
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    stream = os.fdopen(slave, "w", encoding="utf-8")
    os.set_blocking(master, False)
    yield stream, master
    stream.close()
    os.close(master)


def _drain(master: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except BlockingIOError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8")


def render(output: str) -> list[str]:
    """What a terminal shows after ``output`` (handles \\r, \\n, clear-line and cursor-up)."""
    screen = [""]
    row = 0
    for token in re.findall(r"\x1b\[1A|\x1b\[2K|\r|\n|[^\x1b\r\n]+", output):
        if token == "\n":
            row += 1
            if row == len(screen):
                screen.append("")
        elif token == "\r":
            pass  # the writer always clears after \r, so the column does not matter here
        elif token == "\x1b[2K":
            screen[row] = ""
        elif token == "\x1b[1A":
            row = max(0, row - 1)
        else:
            screen[row] += token
    while screen and screen[-1] == "":
        screen.pop()
    return screen


def test_terminal_shows_live_status_lines_and_keeps_final_lines(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    sink = open_stdout_sink(SubtitleOptions(), stream=stream)
    output = ""
    saw_two_status_lines = False
    events = two_way_run()
    # en→es starts translating its long utterance while es→en shows its own partial.
    first_es_en = next(
        i for i, e in enumerate(events) if isinstance(e, TranslationPartial) and e.direction == ES_EN
    )
    events.insert(first_es_en, TranslationPartial(EN_ES, "u2", "Tengo que tomar"))
    for event in events:
        sink.handle(event)
        output += _drain(master)
        screen = render(output)
        status = [line for line in screen if line.startswith("[~ ")]
        saw_two_status_lines |= len(status) == 2
        assert screen[len(screen) - len(status) :] == status, "status lines stay below the final lines"
        assert all(display_width(line) < COLUMNS for line in status)
    sink.close()
    output += _drain(master)
    non_tty = io.StringIO()
    plain = open_stdout_sink(SubtitleOptions(), stream=non_tty)
    for event in two_way_run():
        plain.handle(event)
    plain.close()
    assert saw_two_status_lines, "each direction has its own status line"
    assert "\x1b[2K" in output
    # Reconnect notices ("[! ... reconnect]") are for the terminal only: a file or pipe gets none.
    assert [line for line in render(output) if not line.startswith("[! ")] == non_tty.getvalue().splitlines()
    assert any(line.startswith("[! ") for line in render(output))
    assert "[! " not in non_tty.getvalue()


def test_final_lines_are_never_rewritten(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    sink = open_stdout_sink(SubtitleOptions(), stream=stream)
    finals_seen: list[str] = []
    output = ""
    for event in two_way_run():
        sink.handle(event)
        output += _drain(master)
        screen = [line for line in render(output) if not line.startswith("[~ ")]
        assert screen[: len(finals_seen)] == finals_seen
        finals_seen = screen
    sink.close()


def test_quiet_terminal_prints_only_final_lines(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    sink = open_stdout_sink(SubtitleOptions(), quiet=True, stream=stream)
    for event in two_way_run():
        sink.handle(event)
    sink.close()
    output = _drain(master)
    assert "\x1b" not in output and "[~ " not in output and "[! " not in output
    assert "[00:01.0 en→es] ¿Dónde está la estación?\n" in output


def test_pipe_gets_no_partials_or_escape_codes() -> None:
    stream = io.StringIO()
    sink = open_stdout_sink(SubtitleOptions(), stream=stream)
    sink.handle(TranslationPartial(ES_EN, "v1", "Good"))
    sink.handle(TranslationFinal(EN_ES, "u1", "en-US", "es-ES", 12_400, 13_000, "¿Dónde?", "Where?"))
    sink.close()
    sink.close()
    assert stream.getvalue() == "[00:12.4 en] Where?\n[00:12.4 en→es] ¿Dónde?\n"


def test_long_partial_keeps_its_tail_within_the_width() -> None:
    text = "[~ en→es] " + "palabra " * 30 + "final"
    cut = fit_tail(text, 40)
    assert cut.startswith("…") and cut.endswith("final")
    assert display_width(cut) <= 40
    assert fit_tail("火车站" * 20, 11) == "…火车站火车"[:1] + ("火车站" * 20)[-5:]
