"""The sync client's TLS context: made once per process, and always checking certificates."""

from __future__ import annotations

import ssl

from sync.client import DossierClient, tls_context


def test_the_context_checks_certificates_and_host_names() -> None:
    context = tls_context()
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


def test_clients_share_one_context() -> None:
    # Loading the CA bundle is the slow part of making a client; each sync cycle makes one.
    first, second = (
        DossierClient("https://dossier.example.org"),
        DossierClient("http://127.0.0.1:1"),
    )
    try:
        assert tls_context() is tls_context()
        assert tls_context.cache_info().currsize == 1
    finally:
        first.close()
        second.close()
