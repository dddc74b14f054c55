"""The wire: the only code that knows Voice Live's event names, both ways.

* ``configure``: profile + direction → the ``session.update`` payload;
* ``outbound``: typed builders for every client event the project sends, and client
  event ids whose meaning is parsed, not matched by prefix;
* ``inbound``: SDK server events → small typed wire events.

Audio on the wire is pcm16 mono at 24 kHz, both ways.
"""

INPUT_RATE_HZ = 24_000
OUTPUT_RATE_HZ = 24_000
