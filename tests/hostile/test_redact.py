"""The one scrubber (pure): every spelling of the key, a key cut short, credentials in URLs,
redaction before truncation, and no false alarms on ordinary words."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from translator import logs

KEY = "sk-Unit/Redact+Key=0123456789abcdef"


@pytest.fixture(autouse=True)
def _registered() -> None:
    logs.register_secret(KEY)
    logs.register_secret("emulator-local-key")


@pytest.mark.parametrize(
    "form",
    [
        KEY,
        base64.b64encode(KEY.encode()).decode(),
        base64.urlsafe_b64encode(KEY.encode()).decode().rstrip("="),
        quote(KEY, safe=""),
        KEY[:8],
        KEY[:20],
    ],
)
def test_every_form_of_the_key_is_hidden(form: str) -> None:
    text = logs.redact(f"audio rejected for {form}. Try again")
    assert form not in text and "***" in text


def test_redaction_comes_before_truncation() -> None:
    clipped = logs.clip("x" * 190 + KEY, 200)
    assert KEY[:8] not in clipped and clipped.endswith("***")


def test_credentials_in_urls_are_hidden() -> None:
    assert logs.redact("endpoint https://user:hunter2@example.com/x") == "endpoint https://***@example.com/x"


def test_ordinary_words_survive() -> None:
    assert logs.redact("emulator_connection_closed") == "emulator_connection_closed"
    message = "service.api_key: keys never live in a profile"
    assert logs.redact(message) == message
    values = 'api-key: abcdefghijkl "api_key": "zz" api-key=XYZ'
    assert logs.redact(values) == 'api-key: *** "api_key": "***" api-key=***'

