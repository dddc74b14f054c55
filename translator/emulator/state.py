"""The mutable state one connection's handlers share: the effective session
configuration and the conversation. Owned by one :class:`Connection`; only its
``session.update`` handler replaces ``config``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translator.emulator.codec import input_format
from translator.emulator.conversation import Conversation, new_id


@dataclass
class SessionState:
    config: dict[str, Any]
    realtime: bool
    """Realtime ordering (item first, transcript later) instead of cascaded."""
    conversation: Conversation = field(default_factory=Conversation)
    conversation_id: str = field(default_factory=lambda: new_id("conv"))

    @property
    def input_rate_hz(self) -> int:
        return input_format(
            self.config["input_audio_format"], self.config["input_audio_sampling_rate"]
        ).sample_rate_hz

    @property
    def turn_detection(self) -> dict[str, Any]:
        """The turn detection settings, ``{}`` when it is off."""
        return self.config["turn_detection"] or {}
