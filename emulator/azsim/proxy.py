"""An HTTP CONNECT proxy that terminates TLS for Azure's public host names and hands the
decrypted stream to the same application, so unmodified clients reach the stand-in."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import socket
import ssl
import tempfile
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("azsim.proxy")

INTERCEPTED_HOSTS = frozenset(
    {
        "management.azure.com",
        "management.core.windows.net",
        "login.microsoftonline.com",
        "login.windows.net",
    }
)
MAX_HEADER_BYTES = 16 * 1024


class ConnectProxy:
    def __init__(self, context_for: Callable[[str], ssl.SSLContext], backend: Path) -> None:
        self._context_for = context_for
        self._backend = backend  # the application's Unix socket, plain HTTP
        self._server: asyncio.Server | None = None

    async def start(self, port: int) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        return self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _no_delay(writer)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split()
        if len(parts) != 3 or parts[0].upper() != "CONNECT":
            await _refuse(writer, "405 Method Not Allowed")
            return
        host, _, port = parts[1].rpartition(":")
        if host.lower() not in INTERCEPTED_HOSTS or port != "443":
            await _refuse(writer, "403 Forbidden")
            return
        writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
        await writer.drain()
        try:
            await writer.start_tls(self._context_for(host.lower()))
        except (ssl.SSLError, ConnectionError, OSError) as error:
            log.info("TLS with a proxy client failed: %s", error)
            writer.close()
            return
        await self._bridge(reader, writer)

    async def _bridge(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            backend_reader, backend_writer = await asyncio.open_unix_connection(str(self._backend))
        except OSError:
            writer.close()
            return
        await asyncio.gather(
            _pump(reader, backend_writer),
            _pump(backend_reader, writer),
            return_exceptions=True,
        )


def _no_delay(writer: asyncio.StreamWriter) -> None:
    """Small request and response writes must not wait for Nagle's algorithm."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def _pump(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
    try:
        while chunk := await source.read(65536):
            target.write(chunk)
            await target.drain()
    except (ConnectionError, OSError, ssl.SSLError):
        target.transport.abort()
        return
    finally:
        with contextlib.suppress(Exception):
            if target.can_write_eof():
                target.write_eof()
            else:
                target.close()
    # the other side closed: end this direction too so the client sees the close
    with contextlib.suppress(Exception):
        target.close()


async def _refuse(writer: asyncio.StreamWriter, status: str) -> None:
    writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    with contextlib.suppress(ConnectionError):
        await writer.drain()
    writer.close()


def certificate_directory(state_directory: Path) -> Path:
    return state_directory / "certs"


def backend_socket_path(state_directory: Path) -> Path:
    """Where the application listens for the proxy's decrypted streams; Unix socket paths
    are short, so a long state directory gets one in the temporary directory."""
    path = state_directory / "azsim.sock"
    if len(str(path)) < 100:
        return path
    digest = hashlib.sha256(str(state_directory).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"azsim-{digest}.sock"
