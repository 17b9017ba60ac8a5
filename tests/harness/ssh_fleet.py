"""A fleet of real SSH hosts on this machine, for playbooks that run over SSH with become.

Each host is a network namespace with its own sshd (key auth only, a non-root login user with passwordless sudo) and
its own mount namespace in which a private tmpfs covers HOST_DIR: what the playbook writes there on one host, no other
host and not the controller sees. The hosts sit on a bridge inside a "hub" namespace; the controller's commands
(ansible-playbook, molecule) run in the hub through `command()`, so no address or interface of the fleet exists in the
machine's own network namespace and parallel fleets can use the same addresses.

    fleet = SshFleet(["node1", "node2"]).start()    # or: with SshFleet(...) as fleet
    subprocess.run(fleet.command(["ansible-playbook", "-i", fleet.write_inventory(path), ...]))
    fleet.host_path("node1", HOST_DIR + "/x")      # that host's file, read on disk from the controller
    fleet.stop()                                   # every process by PID, then the namespaces

`unsupported()` says why a machine cannot run it (not root, no namespaces), for a skip. `ensure_host_software()`
installs openssh-server and sudo and creates the login user once; it is quick when they are there.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The one directory each host has to itself; every other path is the machine's, shared by all hosts.
HOST_DIR = "/srv/mtls-temporal-fleet"
LOGIN_USER = "mtls-fleet"
SUDOERS_FILE = "/etc/sudoers.d/mtls-fleet"
SSHD = "/usr/sbin/sshd"
# Exists only inside the fleet's namespaces: the hub is .254, host i is .i+1.
SUBNET = "10.231.7."
_counter = itertools.count()


def _run(argv, **kwargs):
    return subprocess.run(argv, check=True, capture_output=True, text=True, timeout=60, **kwargs)


def unsupported():
    """Why this machine cannot run a fleet, or None."""
    if os.geteuid() != 0:
        return "the SSH fleet needs root (network and mount namespaces, sshd)"
    for tool in ("ip", "unshare", "ssh-keygen"):
        if shutil.which(tool) is None:
            return "{0} is not installed".format(tool)
    probe = "mtf-probe-{0}".format(os.getpid())
    try:
        _run(["ip", "netns", "add", probe])
    except subprocess.CalledProcessError as exc:
        return "network namespaces are not allowed here: " + exc.stderr.strip()
    try:
        _run(["ip", "netns", "exec", probe, "unshare", "--mount", "--propagation", "private",
              "mount", "-t", "tmpfs", "tmpfs", "/mnt"])
    except subprocess.CalledProcessError as exc:
        return "mount namespaces are not allowed here: " + exc.stderr.strip()
    finally:
        subprocess.run(["ip", "netns", "del", probe], check=False, capture_output=True)
    return None


def ensure_host_software():
    """openssh-server, sudo and the login user with passwordless sudo: installed once, checked quickly after."""
    if not (os.path.exists(SSHD) and shutil.which("sudo")):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], check=True, capture_output=True, env=env, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "openssh-server", "sudo"], check=True, capture_output=True,
                       env=env, timeout=600)
    if subprocess.run(["id", LOGIN_USER], capture_output=True, check=False).returncode != 0:
        # '*' rather than useradd's locked '!': sshd without PAM refuses a locked account even for key auth. Not
        # checked: another process may have added the user meanwhile; `id` says whether it is there.
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", "--password", "*", LOGIN_USER],
                       capture_output=True, check=False)
        _run(["id", LOGIN_USER])
    if not os.path.exists(SUDOERS_FILE):
        fd = os.open(SUDOERS_FILE + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o440)
        with os.fdopen(fd, "w") as handle:
            handle.write("{0} ALL=(ALL) NOPASSWD:ALL\n".format(LOGIN_USER))
        os.replace(SUDOERS_FILE + ".tmp", SUDOERS_FILE)
    # sshd's privilege separation directory and each host's mount point, in the machine's own filesystem.
    os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
    os.makedirs(HOST_DIR, mode=0o755, exist_ok=True)


class SshFleet:
    """Hosts by name, each reachable as LOGIN_USER@address with the fleet's key; see the module docstring."""

    def __init__(self, names, python=sys.executable):
        self.names = list(names)
        # The hosts share the machine's filesystem outside HOST_DIR, so this interpreter (with the collection's
        # requirements) is theirs too; Debian 12's python3-cryptography is older than the collection needs.
        self.python = python
        tag = "mtf{0}x{1}".format(os.getpid(), next(_counter))
        self.hub = tag + "-hub"
        self.namespaces = {name: "{0}-{1}".format(tag, index) for index, name in enumerate(self.names)}
        self.addresses = {name: SUBNET + str(index + 1) for index, name in enumerate(self.names)}
        self.sshd = {}
        self.state = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # --- what a test uses

    @property
    def key(self):
        return self.state / "id_ed25519"

    def ssh_args(self):
        """The ssh options of every connection: the fleet's known_hosts, and one persistent connection per host whose
        sockets live in the fleet's state directory, where stop() finds them."""
        return ["-o", "UserKnownHostsFile={0}".format(self.state / "known_hosts"), "-o", "StrictHostKeyChecking=yes",
                "-o", "ControlMaster=auto", "-o", "ControlPersist=300s",
                "-o", "ControlPath={0}/cp-%C".format(self.state), "-o", "BatchMode=yes"]

    def command(self, argv):
        """argv run in the hub namespace, from where the hosts are reachable."""
        return ["ip", "netns", "exec", self.hub] + list(argv)

    def host_vars(self):
        """{name: the connection variables of an Ansible inventory}."""
        # ansible_ssh_args replaces Ansible's default ssh_args, whose ControlPersist would come first and win.
        common = dict(ansible_connection="ssh", ansible_user=LOGIN_USER, ansible_ssh_private_key_file=str(self.key),
                      ansible_ssh_args=" ".join(self.ssh_args()), ansible_ssh_pipelining=True,
                      ansible_python_interpreter=self.python)
        return {name: dict(common, ansible_host=self.addresses[name]) for name in self.names}

    def host_path(self, name, path):
        """path as host `name` sees it (its HOST_DIR is its own), for reading on disk from the controller."""
        return Path("/proc/{0}/root".format(self.sshd[name].pid)) / str(path).lstrip("/")

    def ssh(self, name, *remote):
        """Runs a command on a host over SSH, as the login user."""
        return subprocess.run(self.command(["ssh", *self.ssh_args(), "-i", str(self.key), "-l", LOGIN_USER,
                                            self.addresses[name], "--", *remote]),
                              capture_output=True, text=True, timeout=60, check=False)

    def close_connections(self):
        """Ends each host's persistent connection, so the next command connects anew (a benchmark's runs then each
        pay their own connection set-up)."""
        for name in self.names:
            # -l: the user is part of the socket's name (%C).
            subprocess.run(self.command(["ssh", *self.ssh_args(), "-l", LOGIN_USER, "-O", "exit", self.addresses[name]]),
                           capture_output=True, timeout=30, check=False)

    # --- lifecycle

    def start(self):
        ensure_host_software()
        self.state = Path(tempfile.mkdtemp(prefix="mtf-", dir="/tmp"))
        # sshd reads authorized_keys as the login user.
        self.state.chmod(0o755)
        try:
            self._keys()
            self._network()
            for name in self.names:
                self._start_sshd(name)
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _keys(self):
        _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mtls-fleet", "-f", str(self.key)])
        (self.state / "authorized_keys").write_text(self.key.with_suffix(".pub").read_text())
        (self.state / "authorized_keys").chmod(0o644)
        known = []
        for name in self.names:
            host_key = self.state / "host-{0}".format(name)
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(host_key)])
            known.append("{0} {1}".format(self.addresses[name], host_key.with_suffix(".pub").read_text()))
        (self.state / "known_hosts").write_text("".join(known))

    def _network(self):
        _run(["ip", "netns", "add", self.hub])
        hub = ["ip", "-n", self.hub]
        _run(hub + ["link", "set", "lo", "up"])
        _run(hub + ["link", "add", "br0", "type", "bridge"])
        _run(hub + ["addr", "add", SUBNET + "254/24", "dev", "br0"])
        _run(hub + ["link", "set", "br0", "up"])
        for index, name in enumerate(self.names):
            namespace = self.namespaces[name]
            _run(["ip", "netns", "add", namespace])
            port = "h{0}".format(index)
            _run(hub + ["link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace])
            _run(hub + ["link", "set", port, "master", "br0", "up"])
            host = ["ip", "-n", namespace]
            _run(host + ["link", "set", "lo", "up"])
            _run(host + ["addr", "add", self.addresses[name] + "/24", "dev", "eth0"])
            _run(host + ["link", "set", "eth0", "up"])

    def _start_sshd(self, name):
        config = self.state / "sshd-{0}.conf".format(name)
        config.write_text("\n".join([
            "ListenAddress {0}:22".format(self.addresses[name]),
            "HostKey {0}".format(self.state / "host-{0}".format(name)),
            "PidFile none",
            "AuthorizedKeysFile {0}".format(self.state / "authorized_keys"),
            "AuthenticationMethods publickey",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin no",
            "AllowUsers {0}".format(LOGIN_USER),
            # The fleet's files are in /tmp, which StrictModes refuses for being world-writable.
            "StrictModes no",
            "UsePAM no",
            "Subsystem sftp internal-sftp",
            "",
        ]))
        log = open(self.state / "sshd-{0}.log".format(name), "wb")  # noqa: SIM115 -- the child keeps it
        # ip netns exec, unshare and sh each exec the next, so the PID Popen returns is sshd's; its sessions inherit
        # the network namespace and the mount namespace with the host's own tmpfs on HOST_DIR.
        script = 'mount -t tmpfs -o mode=0755 "mtls-fleet-$0" "$1" && exec "$2" -D -e -f "$3"'
        self.sshd[name] = subprocess.Popen(
            ["ip", "netns", "exec", self.namespaces[name], "unshare", "--mount", "--propagation", "private",
             "sh", "-c", script, name, HOST_DIR, SSHD, str(config)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        log.close()

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        pending = list(self.names)
        while pending:
            name = pending[0]
            if self.sshd[name].poll() is not None:
                raise RuntimeError("sshd of {0} exited: {1}".format(name, self._log(name)))
            if self.ssh(name, "sudo", "-n", "true").returncode == 0:
                pending.pop(0)
            elif time.monotonic() > deadline:
                raise RuntimeError("{0} not reachable over SSH with sudo: {1}".format(name, self._log(name)))
            else:
                time.sleep(0.2)

    def _log(self, name):
        return (self.state / "sshd-{0}.log".format(name)).read_text(errors="replace")[-2000:]

    def stop(self):
        """Ends the persistent connections, stops each sshd and whatever is left in the fleet's namespaces by PID,
        then removes the namespaces (their veths and the bridge go with them) and the state directory."""
        if self.state is not None and self.sshd:
            self.close_connections()
        for process in self.sshd.values():
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        for namespace in [self.hub] + list(self.namespaces.values()):
            self._stop_leftovers(namespace)
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, check=False)
        if self.state is not None:
            shutil.rmtree(self.state, ignore_errors=True)

    @staticmethod
    def _stop_leftovers(namespace):
        """SIGTERM, then SIGKILL, to the processes still in a namespace (sessions, a persistent connection)."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            listed = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False)
            pids = [int(pid) for pid in listed.stdout.split()]
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
