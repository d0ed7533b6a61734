"""`azsim start | stop | serve`: run the stand-in in the background or the foreground."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shlex
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from aiohttp import web

from azsim import identity
from azsim.core.sim import Sim
from azsim.core.store import open_database
from azsim.proxy import ConnectProxy, backend_socket_path, certificate_directory
from azsim.server import Application
from azsim.tls import LOCAL_HOSTS, Authority, server_context

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
LOOPBACK = "127.0.0.1,localhost"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    directory = Path(args.dir).resolve()
    if args.command == "start":
        return start(directory, args)
    if args.command == "stop":
        return stop(directory)
    return serve(directory, args)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="azsim", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("start", "serve"):
        command = commands.add_parser(name)
        command.add_argument("--dir", required=True, help="state directory")
        command.add_argument(
            "--time-scale", type=float, help="simulated seconds per real second (default 60, kept)"
        )
        command.add_argument("--port", type=int, help="HTTPS port (default: the previous one)")
        command.add_argument("--proxy-port", type=int, help="CONNECT proxy port")
        command.add_argument("--blob-endpoint", help="blob service URL storage accounts report")
        command.add_argument(
            "--extra-subscription",
            action="append",
            default=[],
            help="add a subscription (repeatable)",
        )
        command.add_argument(
            "--config",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="a provider option, read with sim.config(NAME) (repeatable)",
        )
    stop_command = commands.add_parser("stop")
    stop_command.add_argument("--dir", required=True)
    return parser


# -- start / stop --------------------------------------------------------------------------


def _read_info(directory: Path) -> dict[str, Any]:
    try:
        return json.loads((directory / "azsim.json").read_text())
    except (OSError, ValueError):
        return {}


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie nobody reaped yet is gone for our purposes
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


def _answers(info: dict[str, Any]) -> bool:
    context = ssl.create_default_context(cafile=info["ca_file"])
    try:
        with urllib.request.urlopen(f"{info['url']}/_sim/clock", context=context, timeout=2):
            return True
    except OSError:
        return False


def start(directory: Path, args: argparse.Namespace) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    info = _read_info(directory)
    if _alive(info.get("pid")) and info.get("url") and _answers(info):
        print(f"azsim already running at {info['url']} (pid {info['pid']})")
        return 0
    command = [sys.executable, "-m", "azsim", "serve", "--dir", str(directory)]
    for flag, value in (
        ("--time-scale", args.time_scale),
        ("--port", args.port),
        ("--proxy-port", args.proxy_port),
        ("--blob-endpoint", args.blob_endpoint),
    ):
        if value is not None:
            command += [flag, str(value)]
    for extra in args.extra_subscription:
        command += ["--extra-subscription", extra]
    for option in args.config:
        command += ["--config", option]
    with open(directory / "azsim.log", "ab") as log_file:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            print(
                f"azsim exited with {process.returncode}; see {directory / 'azsim.log'}",
                file=sys.stderr,
            )
            return 1
        info = _read_info(directory)
        if info.get("pid") == process.pid and _answers(info):
            print(
                f"azsim running at {info['url']} (pid {process.pid}); source {directory / 'env.sh'}"
            )
            return 0
        time.sleep(0.1)
    print("azsim did not answer in time", file=sys.stderr)
    process.terminate()
    return 1


def stop(directory: Path) -> int:
    pid = _read_info(directory).get("pid")
    if not _alive(pid):
        print("azsim is not running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while _alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    print(f"azsim stopped (pid {pid})")
    return 0


# -- serve ---------------------------------------------------------------------------------


def serve(directory: Path, args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    directory.mkdir(parents=True, exist_ok=True)
    asyncio.run(_serve(directory, args))
    return 0


def _prepare_sim(directory: Path, args: argparse.Namespace) -> Sim:
    sim = Sim(open_database(directory / "state.db"))
    sim.directory = directory
    with sim.transaction():
        if args.time_scale:
            sim.clock.set_scale(args.time_scale)
        if args.blob_endpoint:
            sim.settings.set("config.blob_endpoint", args.blob_endpoint.rstrip("/") + "/")
        if args.extra_subscription:
            known = sim.config("extra_subscriptions", [])
            merged = known + [s for s in args.extra_subscription if s not in known]
            sim.settings.set("config.extra_subscriptions", merged)
        for option in args.config:
            name, separator, value = option.partition("=")
            if not separator:
                raise SystemExit(f"--config needs NAME=VALUE, not {option!r}")
            sim.settings.set(f"config.{name}", value)
    sim.tokens = identity.TokenService.load_or_create(directory, sim.tenant_id)
    identity.ensure_default_principal(sim, directory)
    sim.ensure_defaults()
    return sim


async def _start_site(
    runner: web.AppRunner, port: int | None, context: ssl.SSLContext | None, previous: int | None
) -> int:
    for candidate in (port, previous, 0):
        if candidate is None:
            continue
        site = web.TCPSite(runner, "127.0.0.1", candidate, ssl_context=context, reuse_address=True)
        try:
            await site.start()
        except OSError:
            if candidate == port:
                raise
            continue
        server = site._server
        assert server is not None and isinstance(server, asyncio.base_events.Server)
        return server.sockets[0].getsockname()[1]
    raise OSError("no port")


async def _serve(directory: Path, args: argparse.Namespace) -> None:
    previous = _read_info(directory)
    sim = _prepare_sim(directory, args)
    authority = Authority.load_or_create(directory)
    certs = certificate_directory(directory)
    context = server_context(authority, certs, "server", LOCAL_HOSTS)
    contexts: dict[str, ssl.SSLContext] = {}

    def context_for(host: str) -> ssl.SSLContext:
        if host not in contexts:
            contexts[host] = server_context(authority, certs, host, (host,))
        return contexts[host]

    runner = web.AppRunner(Application(sim).web_app(), access_log=None, handle_signals=False)
    await runner.setup()
    port = await _start_site(runner, args.port, context, previous.get("port"))
    backend = backend_socket_path(directory)
    backend.unlink(missing_ok=True)
    await web.UnixSite(runner, str(backend)).start()
    proxy = ConnectProxy(context_for, backend)
    proxy_port = await _start_proxy(proxy, args.proxy_port, previous.get("proxy_port"))
    write_files(directory, sim, port, proxy_port)
    logging.getLogger("azsim").info(
        "serving on https://127.0.0.1:%d, proxy on %d", port, proxy_port
    )
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await stopping.wait()
    await proxy.close()
    await runner.cleanup()
    backend.unlink(missing_ok=True)
    sim.conn.close()


async def _start_proxy(proxy: ConnectProxy, port: int | None, previous: int | None) -> int:
    for candidate in (port, previous, 0):
        if candidate is None:
            continue
        try:
            return await proxy.start(candidate)
        except OSError:
            if candidate == port:
                raise
    raise OSError("no port")


# -- the files clients read -------------------------------------------------------------------


def _exports(values: dict[str, str]) -> str:
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())


def write_files(directory: Path, sim: Sim, port: int, proxy_port: int) -> None:
    record = sim.principals.by_client_id(sim.default_client_id)
    assert record is not None and record.secret is not None
    url = f"https://127.0.0.1:{port}"
    proxy_url = f"http://127.0.0.1:{proxy_port}"
    ca_file = str(directory / "ca.pem")
    credentials = {
        "AZURE_SUBSCRIPTION_ID": sim.subscription_id,
        "AZURE_CLIENT_ID": record.client_id,
        "AZURE_SECRET": record.secret,
        "AZURE_TENANT": sim.tenant_id,
        "AZURE_CLIENT_SECRET": record.secret,
        "AZURE_TENANT_ID": sim.tenant_id,
    }
    common = {"REQUESTS_CA_BUNDLE": ca_file, "NO_PROXY": LOOPBACK, "AZSIM_URL": url}
    identity_header = sim.settings.get("identity_header")
    files = {
        "env.sh": _exports(
            {**credentials, "AZURE_CLOUD_ENVIRONMENT": url, "AZURE_AUTHORITY_HOST": url, **common}
        ),
        "env-proxy.sh": _exports({**credentials, "HTTPS_PROXY": proxy_url, **common}),
        "env-msi.sh": _exports(
            {
                "AZURE_SUBSCRIPTION_ID": sim.subscription_id,
                "AZURE_TENANT_ID": sim.tenant_id,
                "AZURE_CLOUD_ENVIRONMENT": url,
                "IDENTITY_ENDPOINT": f"{url}/msi/token",
                "IDENTITY_HEADER": identity_header,
                **common,
            }
        ),
        "federated-token.jwt": sim.tokens.federated_token(),
    }
    for name, text in files.items():
        path = directory / name
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(text)
    info = {
        "url": url,
        "port": port,
        "proxy_url": proxy_url,
        "proxy_port": proxy_port,
        "pid": os.getpid(),
        "ca_file": ca_file,
        "subscription_id": sim.subscription_id,
        "tenant_id": sim.tenant_id,
        "client_id": record.client_id,
        "client_secret": record.secret,
        "object_id": record.object_id,
        "client_certificate_file": str(directory / "client-cert.pem"),
        "federated_token_file": str(directory / "federated-token.jwt"),
        "identity_endpoint": f"{url}/msi/token",
        "identity_header": identity_header,
        "time_scale": sim.scale,
    }
    temporary = directory / "azsim.json.tmp"
    temporary.touch(mode=0o600, exist_ok=True)
    temporary.write_text(json.dumps(info, indent=2) + "\n")
    temporary.replace(directory / "azsim.json")
