"""Where listeners can reach the server: the listener URL on every non-loopback interface."""

from __future__ import annotations

import ipaddress
import socket
import sys

from translator.serve.options import ServeOptions


def interface_addresses() -> list[str]:
    """IPv4 addresses of this machine's interfaces, loopback excluded (Linux: ioctl; else DNS)."""
    found: list[str] = []
    if sys.platform.startswith("linux"):
        import fcntl
        import struct

        siocgifaddr = 0x8915
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _, name in socket.if_nameindex():
                try:
                    packed = fcntl.ioctl(s.fileno(), siocgifaddr, struct.pack("256s", name[:15].encode()))
                except OSError:
                    continue
                found.append(socket.inet_ntoa(packed[20:24]))
    else:
        try:
            found = socket.gethostbyname_ex(socket.gethostname())[2]
        except OSError:
            found = []
    return [a for a in dict.fromkeys(found) if not ipaddress.ip_address(a).is_loopback]


def listener_urls(options: ServeOptions, port: int) -> list[str]:
    """The listener page's URLs: each interface for a wildcard host, else the host itself."""
    suffix = "/" if options.access_code is None else f"/?code={options.access_code}"
    wildcard = options.host in ("0.0.0.0", "::", "")
    hosts = interface_addresses() if wildcard else [options.host]
    if not hosts:
        hosts = ["127.0.0.1"]
    scheme = "https" if options.tls else "http"
    return [f"{scheme}://{_bracket(h)}:{port}{suffix}" for h in hosts]


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
