"""Fleet benchmark: the collection's site playbook against a floor that only copies the same files.

Builds an N-host local fleet (every host its own directory, local connection), then times in one run, at
the same forks: `mtls.temporal.site` first run, `site` rerun (nothing to do: the script fails unless its recap
shows changed=0 for every host), and a floor playbook that creates each host's directory and copies the same
number and size of files with ansible.builtin.copy (first run and rerun). The same four runs on a small
baseline fleet (--baseline-hosts, default 10) in the same invocation give the memory each extra host costs:
(peak RSS at N - peak RSS at the baseline) / (N - baseline hosts), for the site and for the floor.
Prints a table with the ratios site/floor and the controller's peak memory (max RSS of the ansible-playbook
process and its workers). Targets: first run <= 1.3x the floor's, rerun <= 1.1x, and memory not growing per
host beyond the floor's. Not a test: tests/benchmarks only checks that it runs at small N.

--transport ssh runs the same comparison over real SSH with become (tests/harness/ssh_fleet.py: one sshd per host in
its own namespaces; needs root), with a third playbook: the community.crypto pipeline a user would write for the same
certificates and files (openssl_privatekey and openssl_csr_pipe on the node, x509_certificate_pipe on the
controller, copies). community.crypto comes from PyPI's `ansible` package, unpacked once into --community-crypto-dir
(outside the collection). Every run starts without a persistent SSH connection. --pipelining on, off or both.
Targets: the site's first run and rerun <= 0.5x the floor's and >= 3x faster than community.crypto's, and the site
converged in one run (the script fails unless its rerun shows changed=0 on every host).

--scale 200,500,1000 runs only the site (first run and rerun) at the baseline fleet and at each N, on the local
connection or with --transport ssh (one --pipelining), and prints at each N the time and the controller's peak memory
per host beyond the baseline's, with their ratio to the smallest N's: a ratio near 1 means both grow linearly with the
fleet. --forks 5,10,20 repeats all of it for each number of forks. Each run's line comes as soon as it is done.

Usage: python benchmarks/fleet.py [--hosts 100] [--forks 10] [--baseline-hosts 10] [--keep DIR]
       python benchmarks/fleet.py --transport ssh --hosts 50 --baseline-hosts 20 [--pipelining both]
       python benchmarks/fleet.py --scale 200,500,1000 [--baseline-hosts 20] [--forks 5,10,20] [--transport ssh --pipelining on]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FLOOR = """---
- name: Floor - copy the same files to every host, nothing else
  hosts: temporal_servers
  gather_facts: false
  become: "{{ mtls_temporal_become }}"
  tasks:
    - name: Create the host's directory
      ansible.builtin.file:
        path: "{{ floor_dir }}"
        state: directory
        mode: "0750"
    - name: Copy the files
      ansible.builtin.copy:
        src: "{{ item }}"
        dest: "{{ floor_dir }}/{{ item | basename }}"
        mode: "0640"
      loop: "{{ floor_files }}"
"""

# What a user of community.crypto would write for the node_certs files: the keys made on the node, a CSR from each,
# signed on the controller by the same servers CA (the existing certificate passed in, so that a valid one is kept),
# the certificate followed by its intermediate, then the CA bundles and the two config files (from the site's, as
# the floor copies them). The CSR task writes nothing, hence changed_when: false.
COMMUNITY_CRYPTO = """---
- name: community.crypto - the same certificates and files, as a user would write it
  hosts: temporal_servers
  gather_facts: false
  become: "{{ mtls_temporal_become }}"
  vars:
    cc_certificates:
      - name: internode
        dns_names: ["{{ inventory_hostname }}", "{{ node_certs_internode_server_name }}"]
        extended_key_usage: [serverAuth, clientAuth]
      - name: frontend
        dns_names: ["{{ inventory_hostname }}"]
        extended_key_usage: [serverAuth]
  tasks:
    - name: Create the host's directory
      ansible.builtin.file:
        path: "{{ cc_dir }}"
        state: directory
        mode: "0750"
    - name: Make the keys on the node
      community.crypto.openssl_privatekey:
        path: "{{ cc_dir }}/{{ item.name }}.key"
        type: ECC
        curve: secp256r1
        mode: "0600"
      loop: "{{ cc_certificates }}"
    - name: Read the certificates there
      ansible.builtin.slurp:
        src: "{{ cc_dir }}/{{ item.name }}.pem"
      loop: "{{ cc_certificates }}"
      register: cc_existing
      failed_when: false
    - name: Make the CSRs on the node
      community.crypto.openssl_csr_pipe:
        privatekey_path: "{{ cc_dir }}/{{ item.name }}.key"
        subject_alt_name: "{{ item.dns_names | map('regex_replace', '^', 'DNS:') | list + node_certs_ip_addresses | map('regex_replace', '^', 'IP:') | list }}"
        use_common_name_for_san: false
        basic_constraints: ["CA:FALSE"]
        basic_constraints_critical: true
        key_usage: [digitalSignature]
        key_usage_critical: true
        extended_key_usage: "{{ item.extended_key_usage }}"
      loop: "{{ cc_certificates }}"
      register: cc_csrs
      changed_when: false
    - name: Sign them with the servers CA on the controller
      community.crypto.x509_certificate_pipe:
        provider: ownca
        csr_content: "{{ item.csr }}"
        # The leaf alone: the file holds the intermediate after it.
        content: "{{ (existing.content | b64decode | regex_search(leaf_pem)) if 'content' in existing else omit }}"
        ownca_path: "{{ pki_dir }}/servers-ca.pem"
        ownca_privatekey_path: "{{ pki_dir }}/servers-ca.key"
        ownca_not_after: +365d
      loop: "{{ cc_csrs.results }}"
      loop_control:
        label: "{{ item.item.name }}"
      vars:
        existing: "{{ cc_existing.results | selectattr('item.name', '==', item.item.name) | first }}"
        leaf_pem: "(?s)-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\\n"
      register: cc_signed
      delegate_to: localhost
      become: false
    - name: Ship the certificates, each followed by its intermediate
      ansible.builtin.copy:
        content: "{{ item.certificate }}{{ lookup('ansible.builtin.file', pki_dir ~ '/servers-ca.pem') }}\\n"
        dest: "{{ cc_dir }}/{{ item.item.item.name }}.pem"
        mode: "0644"
      loop: "{{ cc_signed.results }}"
      loop_control:
        label: "{{ item.item.item.name }}"
    - name: Copy the CA bundles and the config files
      ansible.builtin.copy:
        src: "{{ item }}"
        dest: "{{ cc_dir }}/{{ item | basename }}"
        mode: "0640"
      loop: "{{ cc_files }}"
"""

# Runs ansible-playbook with its output in a log file and prints its return code and the peak RSS (KiB) of the
# largest process of its tree (the controller or one of its workers), which RUSAGE_CHILDREN reports.
MEASURE = "import resource, subprocess, sys; log = open(sys.argv[1], 'wb'); " \
          "rc = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT); " \
          "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"

RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)

# The ansible package whose community.crypto the ssh comparison runs: the release built for ansible-core 2.19.
ANSIBLE_PACKAGE = "ansible==12.3.0"
COMMUNITY_CRYPTO_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "mtls-temporal-benchmarks" / "collections"


def recap(log):
    """{host: (changed, unreachable, failed)} from the PLAY RECAP of an ansible-playbook log."""
    text = Path(log).read_text(errors="replace")
    if "PLAY RECAP" not in text:
        return {}
    section = text.rsplit("PLAY RECAP", 1)[1]
    return {m.group(1): (int(m.group(3)), int(m.group(4)), int(m.group(5))) for m in RECAP_LINE.finditer(section)}


def unchanged_problems(log, hosts):
    """What keeps a rerun's recap from showing changed=0 (and no failure) for every one of hosts."""
    found = recap(log)
    problems = ["{0}: not in the recap".format(host) for host in hosts if host not in found]
    problems += ["{0}: changed={1} unreachable={2} failed={3}".format(host, *counts)
                 for host, counts in sorted(found.items()) if counts != (0, 0, 0)]
    return problems


def server_names(hosts):
    return ["node{0:04d}".format(i) for i in range(1, hosts + 1)]


def inventory(root, hosts, ssh=None, host_root=None):
    """The fleet's inventory. Local: every host's files under root. ssh (an SshFleet): each host reached over SSH
    with become, its files under host_root on its own disk, the controller's under root."""
    if ssh is None:
        servers = {name: {"node_certs_ip_addresses": ["127.{0}.{1}.{2}".format(10 + i // 65536, (i // 256) % 256, i % 256)]}
                   for i, name in enumerate(server_names(hosts), 1)}
        on_host = str(root / "hosts") + "/{{ inventory_hostname }}"
        connection = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "mtls_temporal_become": False}
        floor_dir = str(root / "floor") + "/{{ inventory_hostname }}"
    else:
        connections = ssh.host_vars()
        servers = {name: dict(connections[name], node_certs_ip_addresses=[ssh.addresses[name]]) for name in server_names(hosts)}
        on_host = host_root + "/site"
        connection = {"mtls_temporal_become": True, "cc_dir": host_root + "/community-crypto"}
        floor_dir = host_root + "/floor"
    return {"all": {
        "vars": dict(connection, **{
            "pki_dir": str(root / "pki"),
            "node_certs_dir": on_host + "/tls",
            "node_certs_internode_server_name": "internode.temporal.bench",
            "server_tls_config_path": on_host + "/config.yaml",
            "server_tls_dynamic_config_path": on_host + "/dynamicconfig.yaml",
            "floor_dir": floor_dir,
        }),
        "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, "mtls_temporal_become": False}},
        "children": {"temporal_servers": {"hosts": servers}},
    }}


def run(args, cwd, env, log):
    """(seconds, return code, max RSS in MiB) of one ansible-playbook run, its output in log."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", MEASURE, str(log)] + args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    rc, rss_kib = out.stdout.split()
    return elapsed, int(rc), int(rss_kib) / 1024.0


class Fleet:
    """The runs on one fleet of hosts, whose inventory and logs are in root."""

    def __init__(self, root, hosts, env, ssh=None, host_root=None, extra_vars=None):
        self.root, self.hosts, self.env, self.ssh = root, hosts, env, ssh
        root.mkdir(parents=True, exist_ok=True)
        (root / "inventory.json").write_text(json.dumps(inventory(root, hosts, ssh, host_root)))
        self.playbook = [str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), "-e", json.dumps(extra_vars or {})]
        self.rows = {}
        self.failed = []

    def run(self, name, args):
        if self.ssh is not None:
            # No run reuses the previous run's connections: each pays its own, as a later run would.
            self.ssh.close_connections()
        argv = self.playbook + args
        if self.ssh is not None:
            argv = self.ssh.command(argv)
        log = self.root / (name.replace(" ", "-").replace(".", "-") + ".log")
        self.rows[name] = seconds, rc, _rss = run(argv, REPO, self.env, log)
        if rc:
            self.failed.append("{0} ({1} hosts), its output ends:\n{2}".format(name, self.hosts, log.read_text(errors="replace")[-3000:]))
        return seconds

    def first_and_rerun(self, name, args):
        self.run(name + " first", args)
        self.run(name + " rerun", args)
        return unchanged_problems(self.root / (name.replace(" ", "-").replace(".", "-") + "-rerun.log"),
                                  (["localhost"] if name == "site" else []) + server_names(self.hosts))

    def site(self):
        return ["site rerun, " + p for p in self.first_and_rerun("site", ["mtls.temporal.site"])]

    def floor(self, files):
        (self.root / "floor.yml").write_text(FLOOR)
        return ["floor rerun, " + p for p in self.first_and_rerun("floor", ["-e", json.dumps({"floor_files": files}), str(self.root / "floor.yml")])]

    def community_crypto(self, files):
        (self.root / "community-crypto.yml").write_text(COMMUNITY_CRYPTO)
        return self.first_and_rerun("community.crypto", ["-e", json.dumps({"cc_files": files}), str(self.root / "community-crypto.yml")])

    def sample_files(self, keep):
        """Copies of the files the site wrote to the first host, into keep: what the floor copies to each host (as many,
        as large)."""
        first = server_names(self.hosts)[0]
        written = self.root / "hosts" / first
        if self.ssh is not None:
            written = self.ssh.host_path(first, json.loads((self.root / "inventory.json").read_text())["all"]["vars"]["node_certs_dir"].rsplit("/", 1)[0])
        keep.mkdir(parents=True, exist_ok=True)
        files = []
        for path in sorted(p for p in written.rglob("*") if p.is_file()):
            shutil.copyfile(path, keep / path.name)
            files.append(str(keep / path.name))
        return files


def growth_kib(big, small, hosts, baseline):
    """KiB of peak RSS per host beyond the baseline fleet."""
    return (big - small) * 1024.0 / (hosts - baseline)


def create_cas(root, env):
    """Not timed: the CAs, which every side needs and which cost the same at any fleet size."""
    (root / "inventory.json").write_text(json.dumps(inventory(root, 1)))
    setup = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), "mtls.temporal.pki"],
                           cwd=REPO, env=env, capture_output=True, text=True, check=False)
    if setup.returncode:
        sys.exit("pki setup failed:\n" + setup.stdout[-3000:])


def copy_cas(root, fleet_root):
    """A fleet's own copy of the CAs, so that each fleet issues its node certificates itself."""
    shutil.copytree(root / "pki", fleet_root / "pki")


def local_main(opts, env, root):
    baseline = min(opts.baseline_hosts, opts.hosts // 2)
    create_cas(root, env)
    copy_cas(root, root / "baseline")
    small = Fleet(root / "baseline", baseline, env)
    big = Fleet(root / "main", opts.hosts, env)
    copy_cas(root, root / "main")
    problems = []
    for fleet in (small, big):
        problems += fleet.site()
        problems += fleet.floor(fleet.sample_files(fleet.root / "sample"))
    rows = big.rows
    print("fleet benchmark: {0} hosts, forks {1}, {2} files per host, baseline {3} hosts".format(
        opts.hosts, opts.forks[0], len(list((big.root / "sample").iterdir())), baseline))
    print("{0:<12} {1:>6} {2:>9} {3:>12}".format("run", "hosts", "seconds", "max RSS MiB"))
    for fleet in (big, small):
        for name, (seconds, _rc, rss) in fleet.rows.items():
            print("{0:<12} {1:>6} {2:>9.1f} {3:>12.1f}".format(name, fleet.hosts, seconds, rss))
    for kind, target in (("first", 1.3), ("rerun", 1.1)):
        site, base = rows["site " + kind], rows["floor " + kind]
        ratio = site[0] / base[0]
        print("site/floor {0:<6} time {1:.2f}x (target <= {2}x: {3})   memory {4:.2f}x".format(
            kind, ratio, target, "met" if ratio <= target else "MISSED", site[2] / base[2]))
    for kind in ("first", "rerun"):
        site = growth_kib(rows["site " + kind][2], small.rows["site " + kind][2], opts.hosts, baseline)
        base = growth_kib(rows["floor " + kind][2], small.rows["floor " + kind][2], opts.hosts, baseline)
        print("per-host memory {0:<6} site {1:.1f} KiB/host, floor {2:.1f} KiB/host (target site <= floor: {3})".format(
            kind, site, base, "met" if site <= base else "MISSED"))
    finish(small.failed + big.failed, problems)
    print("reruns: changed=0 for every host in the recaps of site ({0} + localhost) and floor".format(opts.hosts))


def finish(failed, problems):
    if failed:
        sys.exit("runs failed: " + ", ".join(failed))
    if problems:
        sys.exit("a rerun changed something:\n" + "\n".join(problems))


def install_community_crypto(target):
    """community.crypto, unpacked from the ansible package on PyPI into target once (the collection's own
    .collections stays as it is); returns the collections path that holds it."""
    if (target / "ansible_collections" / "community" / "crypto" / "MANIFEST.json").exists():
        return target
    with tempfile.TemporaryDirectory() as download:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", download, ANSIBLE_PACKAGE],
                       check=True, capture_output=True, text=True)
        wheel = next(Path(download).glob("ansible-*.whl"))
        staging = Path(tempfile.mkdtemp(prefix="collections-", dir=target.parent if target.parent.exists() else None))
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(staging, [n for n in archive.namelist() if n.startswith("ansible_collections/community/crypto/")])
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(target, ignore_errors=True)
    os.replace(staging, target)
    return target


def ssh_main(opts, env, root):
    ssh_fleet = ssh_harness()
    baseline = min(opts.baseline_hosts, opts.hosts // 2)
    collections = install_community_crypto(Path(opts.community_crypto_dir))
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join([str(REPO / ".collections"), str(collections)])
    modes = {"on": [True], "off": [False], "both": [True, False]}[opts.pipelining]
    create_cas(root, env)
    failed, problems, results = [], [], {}
    with ssh_fleet.SshFleet(server_names(opts.hosts)) as hosts:
        for pipelining in modes:
            for size in (baseline, opts.hosts):
                tag = "pipelining-{0}-{1}".format("on" if pipelining else "off", size)
                copy_cas(root, root / tag)
                fleet = Fleet(root / tag, size, env, ssh=hosts, host_root=ssh_fleet.HOST_DIR + "/" + tag,
                              extra_vars={"ansible_ssh_pipelining": pipelining})
                problems += ["{0}: {1}".format(tag, p) for p in fleet.site()]
                files = fleet.sample_files(fleet.root / "sample")
                problems += ["{0}: {1}".format(tag, p) for p in fleet.floor(files)]
                # The community.crypto play makes the certificates and keys itself: it copies the rest.
                cc_files = [f for f in files if not re.search(r"/(internode|frontend)\.(pem|key)$", f)]
                results[pipelining, size] = fleet, fleet.community_crypto(cc_files), len(files)
                failed += fleet.failed

    print("fleet benchmark over ssh: {0} hosts, forks {1}, {2} files per host, baseline {3} hosts, pipelining {4}".format(
        opts.hosts, opts.forks[0], results[modes[0], opts.hosts][2], baseline, " and ".join("on" if m else "off" for m in modes)))
    print("{0:<22} {1:>10} {2:>6} {3:>9} {4:>12}".format("run", "pipelining", "hosts", "seconds", "max RSS MiB"))
    for pipelining in modes:
        for size in (opts.hosts, baseline):
            for name, (seconds, _rc, rss) in results[pipelining, size][0].rows.items():
                print("{0:<22} {1:>10} {2:>6} {3:>9.1f} {4:>12.1f}".format(name, "on" if pipelining else "off", size, seconds, rss))
    for pipelining in modes:
        mode = "pipelining {0:<3}".format("on" if pipelining else "off")
        rows, small_rows = results[pipelining, opts.hosts][0].rows, results[pipelining, baseline][0].rows
        for kind in ("first", "rerun"):
            site, floor, cc = rows["site " + kind], rows["floor " + kind], rows["community.crypto " + kind]
            ratio, speedup = site[0] / floor[0], cc[0] / site[0]
            print("{0} {1:<6} site/floor time {2:.2f}x (target <= 0.5x: {3})   community.crypto/site time {4:.2f}x "
                  "(target >= 3x: {5})".format(mode, kind, ratio, "met" if ratio <= 0.5 else "MISSED", speedup,
                                               "met" if speedup >= 3 else "MISSED"))
        for kind in ("first", "rerun"):
            growth = [growth_kib(rows[name + " " + kind][2], small_rows[name + " " + kind][2], opts.hosts, baseline)
                      for name in ("site", "floor", "community.crypto")]
            print("{0} {1:<6} per-host memory site {2:.1f}, floor {3:.1f}, community.crypto {4:.1f} KiB/host".format(mode, kind, *growth))
        cc_changed = results[pipelining, opts.hosts][1]
        print("{0} community.crypto rerun: {1}".format(
            mode, "changed=0 on every host" if not cc_changed else "not converged on {0} hosts".format(len(cc_changed))))
    finish(failed, problems)
    print("site reruns: changed=0 for every host ({0} + localhost, pipelining {1}) and floor".format(
        opts.hosts, " and ".join("on" if m else "off" for m in modes)))


def ratio(value, reference):
    return "{0:.2f}x".format(value / reference) if reference else "-"


def ssh_harness():
    """tests/harness/ssh_fleet.py, or exit saying why this machine cannot run it."""
    sys.path.insert(0, str(REPO / "tests" / "harness"))
    import ssh_fleet

    reason = ssh_fleet.unsupported()
    if reason:
        sys.exit("--transport ssh: " + reason)
    return ssh_fleet


def scale_main(opts, env, root):
    """Prints each run's line as soon as it is done: what a long run measured is kept if it is stopped."""
    sizes = sorted(int(n) for n in opts.scale.split(","))
    baseline = min(opts.baseline_hosts, sizes[0] // 2)
    create_cas(root, env)
    where = "local connection" if opts.transport == "local" else "ssh, pipelining " + opts.pipelining
    print("fleet scale: site at {0} hosts, {1}, forks {2}, baseline {3} hosts".format(
        ", ".join(str(n) for n in sizes), where, ", ".join(str(n) for n in opts.forks), baseline))
    print("{0:<11} {1:>5} {2:>6} {3:>9} {4:>12} {5:>8} {6:>9} {7:>10} {8:>9}".format(
        "run", "forks", "hosts", "seconds", "max RSS MiB", "s/host", "ratio", "KiB/host", "ratio"), flush=True)
    if opts.transport == "local":
        problems, failed = scale_runs(opts, env, root, sizes, baseline)
    else:
        ssh_fleet = ssh_harness()
        with ssh_fleet.SshFleet(server_names(sizes[-1])) as hosts:
            problems, failed = scale_runs(opts, env, root, sizes, baseline, hosts, ssh_fleet.HOST_DIR)
    finish(failed, problems)
    print("reruns: changed=0 for every host at every size")


def scale_runs(opts, env, root, sizes, baseline, ssh=None, host_dir=None):
    """The site's first run and rerun at the baseline and at each size, for each number of forks; (rerun problems,
    failed runs)."""
    problems, failed = [], []
    extra_vars = None if ssh is None else {"ansible_ssh_pipelining": opts.pipelining == "on"}
    for forks in opts.forks:
        fleets, smallest = {}, {}
        for size in [baseline] + sizes:
            tag = "forks-{0}-{1}".format(forks, size)
            copy_cas(root, root / tag)
            fleets[size] = fleet = Fleet(root / tag, size, dict(env, ANSIBLE_FORKS=str(forks)), ssh=ssh,
                                         host_root=host_dir and host_dir + "/" + tag, extra_vars=extra_vars)
            for name in ("site first", "site rerun"):
                fleet.run(name, ["mtls.temporal.site"])
                seconds, _rc, rss = fleet.rows[name]
                if size == baseline:
                    print("{0:<11} {1:>5} {2:>6} {3:>9.1f} {4:>12.1f}".format(name, forks, size, seconds, rss), flush=True)
                    continue
                small = fleets[baseline].rows[name]
                per_host = ((seconds - small[0]) / (size - baseline), growth_kib(rss, small[2], size, baseline))
                first = smallest.setdefault(name, per_host)
                print("{0:<11} {1:>5} {2:>6} {3:>9.1f} {4:>12.1f} {5:>8.3f} {6:>9} {7:>10.1f} {8:>9}".format(
                    name, forks, size, seconds, rss, per_host[0], ratio(per_host[0], first[0]), per_host[1],
                    ratio(per_host[1], first[1])), flush=True)
            problems += ["forks {0}, {1} hosts: site rerun, {2}".format(forks, size, p)
                         for p in unchanged_problems(fleet.root / "site-rerun.log", ["localhost"] + server_names(size))]
            failed += fleet.failed
    return problems, failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--forks", default="10", help="with --scale, a comma-separated list: the runs at every size for each")
    parser.add_argument("--baseline-hosts", type=int, default=10, help="the small fleet per-host growth is measured against")
    parser.add_argument("--transport", choices=["local", "ssh"], default="local")
    parser.add_argument("--pipelining", choices=["on", "off", "both"], default="both", help="with --transport ssh (with --scale, on or off)")
    parser.add_argument("--community-crypto-dir", default=str(COMMUNITY_CRYPTO_DIR), help="with --transport ssh")
    parser.add_argument("--scale", help="comma-separated fleet sizes: the site alone at each")
    parser.add_argument("--keep", help="keep the fleet in this directory")
    opts = parser.parse_args()
    smallest = min(int(n) for n in opts.scale.split(",")) if opts.scale else opts.hosts
    if min(opts.baseline_hosts, smallest // 2) < 1:
        parser.error("the fleet must be at least 2 hosts (the baseline fleet has at most half as many)")
    opts.forks = [int(n) for n in opts.forks.split(",")]
    if len(opts.forks) > 1 and not opts.scale:
        parser.error("a list of forks runs with --scale")
    if opts.scale and opts.transport == "ssh" and opts.pipelining == "both":
        parser.error("--scale over ssh runs with one --pipelining: on or off")

    root = Path(opts.keep or tempfile.mkdtemp(prefix="mtls-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_FORKS=str(opts.forks[0]), ANSIBLE_NOCOLOR="1")
    try:
        if opts.scale:
            scale_main(opts, env, root)
        elif opts.transport == "ssh":
            ssh_main(opts, env, root)
        else:
            local_main(opts, env, root)
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
