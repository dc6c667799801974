"""A throw-away certificate authority and a certificate for openapi.pleo.io, made with openssl.

What an organisation's internal CA would issue for the proxy standing in for Pleo's legacy host
(README: "Standing in for openapi.pleo.io"). The ``openssl`` command line is used because the
``cryptography`` package is not a dependency; tests skip with that reason when neither exists.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["LEGACY_HOST", "TlsFiles", "make_tls_files"]

LEGACY_HOST = "openapi.pleo.io"


@dataclass(frozen=True)
class TlsFiles:
    ca: Path
    certificate: Path
    key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)


def make_tls_files(directory: Path) -> TlsFiles:
    """A CA, and a certificate it signed for openapi.pleo.io and 127.0.0.1 (the readiness probe)."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command line to make a test certificate authority")
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "proxy.key", directory / "proxy.csr", directory / "proxy.pem"
    extensions = directory / "san.cnf"
    extensions.write_text(
        f"subjectAltName=DNS:{LEGACY_HOST},IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n",
        encoding="utf-8",
    )
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(ca_key),
             "-out", str(ca), "-days", "2", "-subj", "/CN=pleo-export-adapter test CA",
             "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign")  # fmt: skip
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr),
             "-subj", f"/CN={LEGACY_HOST}")  # fmt: skip
    _openssl("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key),
             "-CAcreateserial", "-out", str(cert), "-days", "2",
             "-extfile", str(extensions))  # fmt: skip
    return TlsFiles(ca=ca, certificate=cert, key=key)
