"""What every profile model shares: strict, frozen fields and BCP-47 language tags."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

BCP47 = re.compile(r"[a-z]{2,3}(-[A-Z][a-z]{3})?(-([A-Z]{2}|\d{3}))?")  # whole string: fullmatch


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def language_tag(value: str) -> str:
    if not isinstance(value, str) or not BCP47.fullmatch(value):
        raise ValueError(f"{value!r} is not a BCP-47 language tag such as en-US, es-ES or zh-CN")
    return value


Language = Annotated[str, Field(description="A BCP-47 language tag, e.g. en-US, es-ES, zh-CN")]
