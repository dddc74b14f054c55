"""The input on its way to the service (``tape.py``) and what the service has heard of it
(``resend.HeardMarks``), no I/O."""

from __future__ import annotations

from translator.voicelive.resend import HeardMarks
from translator.voicelive.tape import Tape

BYTES_PER_MS = 48


def test_the_tape_maps_the_connection_clock_and_skips_what_was_trimmed() -> None:
    tape = Tape(24_000)
    tape.append(bytes(5000 * BYTES_PER_MS))
    tape.restart(1000)  # a new connection resumes at 1 s
    assert tape.input_ms(0) == 1000
    assert len(tape.send(3000, 0.0)) == 2000 * BYTES_PER_MS
    assert (tape.sent_ms, tape.unsent_ms, tape.all_sent) == (3000, 2000, False)
    tape.keep_from(4500)  # the backlog outgrew the buffer before the connection had 3-4.5 s
    assert len(tape.send(None, 0.1)) == 500 * BYTES_PER_MS
    assert tape.input_ms(0) == 2500, "the service's clock skips the trimmed audio, and so does the map"
    assert tape.all_sent


def test_an_unanswered_request_shows_the_service_is_behind() -> None:
    marks = HeardMarks()
    marks.sent(0.0, 1000)
    marks.sent(1.0, 2000)
    marks.asked(1.0, 2000)  # a response.create, with the audio up to 2000 before it
    marks.sent(2.0, 3000)
    assert marks.settled(0, 5.0, 9.0) == 1000, "only what went out a second before the request"
    marks.answered(5.0)  # 4 s round trip: everything before the request was heard
    assert marks.heard(0) == 2000
    assert marks.settled(0, 5.1, 9.0) == 2000, "the rest waits two round trips"
    assert marks.settled(0, 13.1, 9.0) == 3000
    stuck = HeardMarks()
    stuck.sent(0.0, 1000)
    stuck.asked(0.5, 1000)
    stuck.sent(1.0, 2000)
    assert stuck.settled(0, 10.0, 9.0) == 0
    assert stuck.settled(0, 10.6, 9.0) == 2000, "a request never answered holds nothing back for ever"
