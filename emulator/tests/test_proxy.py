"""Proxy mode: unmodified clients that only know management.azure.com and
login.microsoftonline.com reach the stand-in through HTTPS_PROXY."""

from __future__ import annotations

import socket
import ssl
import uuid
from typing import Any

import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.resources import ResourceManagementClient

from azsim.client import AdminClient


@pytest.fixture
def proxy_env(azsim_proxy_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in azsim_proxy_env.items():
        monkeypatch.setenv(name, value)
    return azsim_proxy_env


def test_env_proxy_file(proxy_env: dict[str, str], azsim: dict[str, Any]) -> None:
    assert proxy_env["HTTPS_PROXY"] == azsim["proxy_url"]
    assert proxy_env["AZURE_CLIENT_SECRET"] == azsim["client_secret"]
    assert "127.0.0.1" in proxy_env["NO_PROXY"]
    assert "AZURE_CLOUD_ENVIRONMENT" not in proxy_env


def test_sdk_through_the_proxy(proxy_env: dict[str, str], admin: AdminClient) -> None:
    credential = ClientSecretCredential(
        proxy_env["AZURE_TENANT_ID"],
        proxy_env["AZURE_CLIENT_ID"],
        proxy_env["AZURE_CLIENT_SECRET"],
    )
    client = ResourceManagementClient(credential, proxy_env["AZURE_SUBSCRIPTION_ID"])
    since = admin.last_seq()
    name = f"rg-proxy-{uuid.uuid4().hex[:6]}"
    group = client.resource_groups.create_or_update(name, {"location": "northeurope"})
    assert group.id.startswith(f"/subscriptions/{proxy_env['AZURE_SUBSCRIPTION_ID']}/")
    poller = client.resource_groups.begin_delete(name)
    poller.result(timeout=60)
    assert poller.status() == "Succeeded"
    entries = admin.requests(since)
    hosts = {e["host"] for e in entries}
    assert "management.azure.com" in hosts and "login.microsoftonline.com" in hosts
    polls = [e for e in entries if "/operations/" in e["path"]]
    assert polls and {e["host"] for e in polls} == {"management.azure.com"}


def _connect(azsim: dict[str, Any], target: str) -> bytes:
    with socket.create_connection(("127.0.0.1", azsim["proxy_port"]), timeout=10) as sock:
        sock.sendall(f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode())
        return sock.recv(1024)


def test_other_hosts_are_refused(azsim: dict[str, Any]) -> None:
    assert _connect(azsim, "example.com:443").startswith(b"HTTP/1.1 403")
    assert _connect(azsim, "management.azure.com:80").startswith(b"HTTP/1.1 403")


def test_certificate_is_for_the_host_asked(azsim: dict[str, Any]) -> None:
    context = ssl.create_default_context(cafile=azsim["ca_file"])
    with socket.create_connection(("127.0.0.1", azsim["proxy_port"]), timeout=10) as sock:
        sock.sendall(b"CONNECT login.microsoftonline.com:443 HTTP/1.1\r\n\r\n")
        assert sock.recv(1024).startswith(b"HTTP/1.1 200")
        with context.wrap_socket(sock, server_hostname="login.microsoftonline.com") as tls:
            names = [v for k, v in tls.getpeercert()["subjectAltName"]]
            assert names == ["login.microsoftonline.com"]
            tls.sendall(
                b"GET /metadata/endpoints?api-version=2022-09-01 HTTP/1.1\r\n"
                b"Host: login.microsoftonline.com\r\nConnection: close\r\n\r\n"
            )
            reply = b""
            while chunk := tls.recv(65536):
                reply += chunk
    assert reply.startswith(b"HTTP/1.1 200")
    assert b"https://login.microsoftonline.com/" in reply
