"""HTTPS for the audience server. Browsers give WebCodecs (the page's audio decoder) only to
secure contexts: ``http://localhost`` or ``https://``. Phones on a LAN therefore need HTTPS:
``--serve-tls CERT.pem:KEY.pem`` uses a real certificate, ``--serve-tls auto`` makes a
self-signed one for this machine's addresses (phones show a warning once; the page then has
audio). The key stays in memory: written to a private temporary file only for ``ssl`` to
load, then removed.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile

from translator.errors import UsageError
from translator.serve.addresses import interface_addresses


def ssl_context(spec: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    if spec == "auto":
        cert, key = self_signed(["127.0.0.1", *interface_addresses()])
        with tempfile.TemporaryDirectory(prefix="translator-tls-") as d:
            cert_path, key_path = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
            for path, data in ((cert_path, cert), (key_path, key)):
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            context.load_cert_chain(cert_path, key_path)
        return context
    cert_path, _, key_path = spec.partition(":")
    try:
        context.load_cert_chain(cert_path, key_path or None)
    except (OSError, ssl.SSLError) as e:
        reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or e.__class__.__name__
        raise UsageError(f"--serve-tls {cert_path}: cannot load the certificate and key: {reason}") from None
    return context


def self_signed(addresses: list[str]) -> tuple[bytes, bytes]:
    """A P-256 certificate for ``addresses`` (and ``localhost``), valid for 30 days; (cert, key) PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "translator listener page")])
    now = datetime.datetime.now(datetime.timezone.utc)
    names: list[x509.GeneralName] = [x509.DNSName("localhost")]
    names += [x509.IPAddress(ipaddress.ip_address(a)) for a in dict.fromkeys(addresses)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem
