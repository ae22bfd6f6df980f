"""The dashboard's TLS settings for its HTTP clients."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context per dashboard process, made on first use: building one loads the CA
    bundle (≈25 ms), which each session's two clients would otherwise pay at sign-in."""
    return httpx.create_ssl_context()
