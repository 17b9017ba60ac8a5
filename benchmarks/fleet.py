"""Fleet benchmark: the collection's site playbook against a floor that only copies the same files.

Builds an N-host local fleet (every host its own directory, local connection), then times in one run, at
the same forks: `site` first run, `site` rerun (nothing to do), and a floor playbook that creates each
host's directory and copies the same number and size of files with ansible.builtin.copy (first run and
rerun). Prints a table with the ratios site/floor and the controller's peak memory (max RSS of the
ansible-playbook process). Targets: first run <= 1.3x the floor's, rerun <= 1.1x, and memory no more
than the floor's. Not a test: tests/benchmarks only checks that it runs at small N.

Usage: python benchmarks/fleet.py [--hosts 100] [--forks 10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FLOOR = """---
- name: Floor - copy the same files to every host, nothing else
  hosts: temporal_servers
  gather_facts: false
  become: false
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

MEASURE = "import resource, subprocess, sys; rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL); " \
          "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def inventory(root, hosts):
    servers = {"node{0:04d}".format(i): {"node_certs_ip_addresses": ["127.{0}.{1}.{2}".format(10 + i // 65536, (i // 256) % 256, i % 256)]}
               for i in range(1, hosts + 1)}
    return {"all": {
        "vars": {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "mtls_temporal_become": False,
            "pki_dir": str(root / "pki"),
            "node_certs_dir": str(root / "hosts") + "/{{ inventory_hostname }}/tls",
            "node_certs_internode_server_name": "internode.temporal.bench",
            "server_tls_config_path": str(root / "hosts") + "/{{ inventory_hostname }}/config.yaml",
            "floor_dir": str(root / "floor") + "/{{ inventory_hostname }}",
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": servers}},
    }}


def run(args, cwd, env):
    """(seconds, return code, max RSS in MiB) of one ansible-playbook run."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", MEASURE] + args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    rc, rss_kib = out.stdout.split()
    return elapsed, int(rc), int(rss_kib) / 1024.0


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--keep", help="keep the fleet in this directory")
    opts = parser.parse_args()

    root = Path(opts.keep or tempfile.mkdtemp(prefix="mtls-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_FORKS=str(opts.forks), ANSIBLE_NOCOLOR="1")
    (root / "inventory.json").write_text(json.dumps(inventory(root, opts.hosts)))
    playbook = [str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json")]
    try:
        # Not timed: the CAs, which both sides need and which cost the same at any fleet size.
        setup = subprocess.run(playbook + ["mtls.temporal.pki"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if setup.returncode:
            sys.exit("pki setup failed:\n" + setup.stdout[-3000:])
        rows = {}
        rows["site first"] = run(playbook + ["mtls.temporal.fleet"], REPO, env)
        rows["site rerun"] = run(playbook + ["mtls.temporal.fleet"], REPO, env)

        # The floor copies what the site wrote to a host: the same number of files, of the same sizes.
        sample = root / "hosts" / "node0001"
        files = sorted(str(p) for p in sample.rglob("*") if p.is_file())
        (root / "floor.yml").write_text(FLOOR)
        floor = playbook + ["-e", json.dumps({"floor_files": files}), str(root / "floor.yml")]
        rows["floor first"] = run(floor, REPO, env)
        rows["floor rerun"] = run(floor, REPO, env)
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)

    failed = [name for name, (_s, rc, _m) in rows.items() if rc]
    print("fleet benchmark: {0} hosts, forks {1}, {2} files per host".format(opts.hosts, opts.forks, len(files)))
    print("{0:<12} {1:>9} {2:>10}".format("run", "seconds", "max RSS MiB"))
    for name, (seconds, _rc, rss) in rows.items():
        print("{0:<12} {1:>9.1f} {2:>10.1f}".format(name, seconds, rss))
    for kind, target in (("first", 1.3), ("rerun", 1.1)):
        site, base = rows["site " + kind], rows["floor " + kind]
        ratio = site[0] / base[0]
        print("site/floor {0:<6} time {1:.2f}x (target <= {2}x: {3})   memory {4:.2f}x".format(
            kind, ratio, target, "met" if ratio <= target else "MISSED", site[2] / base[2]))
    if failed:
        sys.exit("runs failed: " + ", ".join(failed))


if __name__ == "__main__":
    main()
