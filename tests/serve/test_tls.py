"""HTTPS for phones on a LAN: browsers give WebCodecs only to secure contexts, so a page opened
by a network address over plain http could not play audio. With ``--serve-tls auto`` the run
makes a self-signed certificate for its addresses; Chromium (told to accept it, as a person
taps "proceed") opens the page by this machine's network address, is a secure context with an
Opus decoder, and plays the chosen language live."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ROOT, SAMPLES
from tests.serve.helpers import ServedRun, chromium, wait_for
from translator.serve.addresses import interface_addresses

pytestmark = pytest.mark.slow


def test_the_page_over_https_on_a_network_address_has_audio() -> None:
    addresses = interface_addresses()
    if not addresses:
        pytest.skip("this machine has no network interface besides loopback")
    run = ServedRun(
        "run", str(ROOT / "configs" / "en-es.yaml"), "--emulator",
        "--input", str(SAMPLES / "en-es-sample.wav"), "--scenario", str(SAMPLES / "en-es-sample.yaml"),
        "--no-play", "--quiet",
        "--serve", "0.0.0.0:0", "--serve-tls", "auto",
    )  # fmt: skip
    try:
        with chromium(extra_flags=("--ignore-certificate-errors",)) as driver:
            driver.get(f"https://{addresses[0]}:{run.port}/")
            button = wait_for(
                lambda: driver.find_elements("css selector", "button[data-lang='es-ES']"), 20, "page"
            )
            secure, decoder = driver.execute_script("return [window.isSecureContext, typeof AudioDecoder]")
            assert secure is True and decoder == "function"
            assert (
                driver.find_element("id", "note").get_attribute("hidden") is not None
            )  # no captions-only note
            button[0].click()
            state = driver.find_element("id", "state")
            wait_for(lambda: state.get_attribute("data-state") == "live", 40, "live audio")
            wait_for(lambda: driver.find_elements("css selector", "#finals p"), 40, "a caption")
        code, _, stderr = run.wait()
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
    assert code == 0, stderr[-2000:]
    assert f"https://{addresses[0]}:{run.port}/" in stderr  # the banner names the https address
