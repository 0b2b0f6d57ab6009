"""Several machines on one: the web tier and GPU hosts of an installation, each in a network
namespace of its own with its own host name (a UTS namespace), data folder and temp folder,
sharing no file with the others. They reach PostgreSQL, Redis and the object store, which
listen on this machine's loopback, over a veth pair through TCP forwarders in the test
process: the only way between them is the network, as between real machines.

Making namespaces needs root and iproute2 (`ip netns`, `unshare`); where they cannot be made,
`Fleet` falls back to one network with a per-process host name (COGVIDEO_HOSTNAME) and says so
(`Fleet.isolation`). Addresses come from 198.18.0.0/15 (RFC 2544, for network tests), one /28
per test process.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from cogvideo_site.launcher import ServiceProcesses, cluster_command, free_port, web_command

NETWORK = ipaddress.ip_network("198.18.0.0/15")


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True, timeout=30)


def namespaces_available() -> bool:
    """Whether this process can make network and UTS namespaces (root, iproute2, unshare)."""
    if os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("unshare"):
        return False
    probe = f"cvprobe{os.getpid() % 100000}"
    try:
        _run("ip", "netns", "add", probe)
        _run("ip", "netns", "exec", probe, "unshare", "--uts", "true")
        return True
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return False
    finally:
        subprocess.run(["ip", "netns", "del", probe], capture_output=True, timeout=30)


class Forwarder:
    """TCP forwarding from an address the machines can reach to a port on this loopback, in
    one asyncio loop on a thread of the test process."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.servers: list[asyncio.base_events.Server] = []
        self.thread = threading.Thread(target=self.loop.run_forever, name="host-forwarder", daemon=True)
        self.thread.start()

    def forward(self, listen_host: str, target_port: int) -> int:
        """Listen on listen_host (a free port) and pipe each connection to 127.0.0.1:target_port."""
        port = free_port()

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        async def handle(client_reader, client_writer) -> None:
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
            except OSError:
                client_writer.close()
                return
            await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

        async def start() -> None:
            self.servers.append(await asyncio.start_server(handle, listen_host, port))

        asyncio.run_coroutine_threadsafe(start(), self.loop).result(30)
        return port

    def close(self) -> None:
        async def stop() -> None:
            for server in self.servers:
                server.close()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class Host:
    """One machine: its name (its host name too), folders, address and processes."""

    name: str
    folder: Path
    env: dict[str, str]
    namespace: str = ""  # the network namespace, "" in the fallback
    address: str = "127.0.0.1"  # where the others (and the test) reach it
    gateway: str = "127.0.0.1"  # where it reaches the shared services
    processes: ServiceProcesses = field(init=False)

    def __post_init__(self) -> None:
        self.processes = ServiceProcesses(self.env, logs=self.folder / "logs", stop_timeouts={"cluster": 60, "web": 20})

    def command(self, argv: list[str]) -> list[str]:
        """argv run on this machine: in its namespace, with its own host name (each step
        execs the next, so the pid the launcher holds is the program's own)."""
        if not self.namespace:
            return argv
        return ["ip", "netns", "exec", self.namespace, "unshare", "--uts", "sh", "-c",
                'hostname "$0" && exec "$@"', self.name, *argv]  # fmt: skip

    def start_web(self, port: int) -> None:
        self.processes.spawn("web", self.command(web_command(f"{self.address}:{port}", workers=2, timeout=60)))

    def start_cluster(self) -> None:
        self.processes.spawn("cluster", self.command(cluster_command()))

    def kill_cluster(self) -> None:
        """The machine's workers die at once (a power cut, the OOM killer): parent, workers and
        all, so nothing on this host requeues anything."""
        import signal

        cluster = self.processes.children["cluster"]
        os.killpg(cluster.pid, signal.SIGKILL)
        cluster.wait()

    def log(self, name: str) -> str:
        return self.processes.log(name)


class Fleet:
    """Hosts that share nothing but the network: `base_env` is the installation's environment
    (database, broker, object store, secret key: what every host is given), each host adds its
    own. Addresses of the shared services in it are rewritten per host to the forwarders."""

    def __init__(self, root: Path, base_env: dict[str, str], hosts: dict[str, dict[str, str]]):
        self.root = Path(root)
        self.namespaced = namespaces_available()
        self.isolation = "network + UTS namespaces" if self.namespaced else "one network, COGVIDEO_HOSTNAME per process"
        self.forwarder = Forwarder() if self.namespaced else None
        tag = os.getpid() % 100000
        block = ipaddress.ip_network(
            (int(NETWORK.network_address) + (os.getpid() % (NETWORK.num_addresses // 16)) * 16, 28)
        )
        self.hosts: dict[str, Host] = {}
        for index, (name, extra) in enumerate(hosts.items()):
            folder = self.root / name
            (folder / "tmp").mkdir(parents=True, exist_ok=True)
            env = {
                **base_env,
                "COGVIDEO_DATA_DIR": str(folder / "data"),
                "TMPDIR": str(folder / "tmp"),  # scratch files, device-slot locks
                **extra,
            }
            host = Host(name=name, folder=folder, env=env)
            if self.namespaced:
                host.namespace = f"cv{tag}{name}"[:15]
                gateway, address = block[4 * index + 1], block[4 * index + 2]
                host.gateway, host.address = str(gateway), str(address)
                self._make_namespace(host, f"cvh{tag}{index}", f"cvn{tag}{index}", block.prefixlen + 2)
                env.update(self._through_network(env, host.gateway))
            else:
                env["COGVIDEO_HOSTNAME"] = name
            self.hosts[name] = host

    def _make_namespace(self, host: Host, outside: str, inside: str, prefixlen: int) -> None:
        subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, timeout=30)  # a stale one
        subprocess.run(["ip", "link", "del", outside], capture_output=True, timeout=30)
        _run("ip", "netns", "add", host.namespace)
        _run("ip", "link", "add", outside, "type", "veth", "peer", "name", inside)
        _run("ip", "link", "set", inside, "netns", host.namespace)
        _run("ip", "addr", "add", f"{host.gateway}/{prefixlen}", "dev", outside)
        _run("ip", "link", "set", outside, "up")
        _run("ip", "netns", "exec", host.namespace, "ip", "addr", "add", f"{host.address}/{prefixlen}", "dev", inside)
        _run("ip", "netns", "exec", host.namespace, "ip", "link", "set", inside, "up")
        _run("ip", "netns", "exec", host.namespace, "ip", "link", "set", "lo", "up")

    def _through_network(self, env: dict[str, str], gateway: str) -> dict[str, str]:
        """The host's URLs of PostgreSQL, Redis and the object store: a forwarder on its
        gateway address for each."""
        changed = {}
        for key in ("DATABASE_URL", "REDIS_URL", "COGVIDEO_S3_ENDPOINT_URL"):
            if not env.get(key):
                continue
            parts = urlsplit(env[key])
            port = self.forwarder.forward(gateway, parts.port)
            userinfo = parts.netloc.rpartition("@")[0]
            netloc = f"{userinfo}@{gateway}:{port}" if userinfo else f"{gateway}:{port}"
            changed[key] = urlunsplit(parts._replace(netloc=netloc))
        return changed

    def stop(self) -> None:
        for host in self.hosts.values():
            host.processes.stop()
        if self.forwarder is not None:
            self.forwarder.close()
        for host in self.hosts.values():
            if host.namespace:
                subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True, timeout=30)
