"""What the audience server is asked to do: where it listens, the access code, its limits (pure)."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from translator.errors import UsageError

DEFAULT_HOST = "127.0.0.1"


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = 8080
    access_code: str | None = None
    max_listeners: int = 500
    """Audio sockets and caption streams, each counted on its own; one more gets HTTP 503."""
    broadcast: str | None = None
    """``icecast://user:pass@host:port/mount-{target}``: also publish each target to Icecast."""
    tls: str | None = None
    """``auto`` (self-signed) or ``CERT.pem[:KEY.pem]``: serve HTTPS (phones need it for audio)."""

    @property
    def listening(self) -> bool:
        """False when only a broadcast was asked for (no listener server)."""
        return self.port >= 0

    @property
    def loopback(self) -> bool:
        return _is_loopback(self.host)


def parse_listen(spec: str) -> tuple[str, int]:
    """``"8080"``, ``":8080"``, ``"0.0.0.0:8080"``, ``"[::1]:8080"`` → (host, port); loopback by default."""
    text = spec.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "", text
    host = host.strip("[]") or DEFAULT_HOST
    try:
        port = int(port_text)
    except ValueError:
        raise UsageError(f"--serve {spec!r}: expected [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080") from None
    if not 0 <= port <= 65535:
        raise UsageError(f"--serve {spec!r}: port {port} is outside 0..65535")
    if not host or any(c.isspace() for c in host):
        raise UsageError(f"--serve {spec!r}: expected [HOST:]PORT, e.g. 8080 or 0.0.0.0:8080")
    return host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(
    profile_serve: Any,
    listen: str | None,
    code: str | None,
    max_listeners: int | None,
    broadcast: str | None,
    tls: str | None = None,
) -> ServeOptions | None:
    """Command line over the profile's ``serve:`` section; None when nothing is to be served."""
    spec = listen or profile_serve.listen
    if spec is None and broadcast is None:
        if code is not None or max_listeners is not None or tls is not None:
            raise UsageError(
                "--serve-code, --serve-max-listeners and --serve-tls go with --serve (or serve.listen)"
            )
        return None
    host, port = parse_listen(spec) if spec is not None else (DEFAULT_HOST, -1)
    code = code if code is not None else profile_serve.access_code
    if code is not None and (len(code) < 4 or not code.isprintable() or any(c in code for c in " &#?/%")):
        raise UsageError("--serve-code: use 4 or more letters, digits or - _ . ~ (it goes in the URL)")
    limit = max_listeners if max_listeners is not None else profile_serve.max_listeners
    if limit < 1:
        raise UsageError(f"--serve-max-listeners {limit}: must be at least 1")
    return ServeOptions(host, port, code, limit, broadcast, tls if tls is not None else profile_serve.tls)
