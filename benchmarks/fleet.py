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

Usage: python benchmarks/fleet.py [--hosts 100] [--forks 10] [--baseline-hosts 10] [--keep DIR]
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

# Runs ansible-playbook with its output in a log file and prints its return code and the peak RSS (KiB) of the
# largest process of its tree (the controller or one of its workers), which RUSAGE_CHILDREN reports.
MEASURE = "import resource, subprocess, sys; log = open(sys.argv[1], 'wb'); " \
          "rc = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT); " \
          "print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"

RECAP_LINE = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.MULTILINE)


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
            "server_tls_dynamic_config_path": str(root / "hosts") + "/{{ inventory_hostname }}/dynamicconfig.yaml",
            "floor_dir": str(root / "floor") + "/{{ inventory_hostname }}",
        },
        "hosts": {"localhost": {}},
        "children": {"temporal_servers": {"hosts": servers}},
    }}


def run(args, cwd, env, log):
    """(seconds, return code, max RSS in MiB) of one ansible-playbook run, its output in log."""
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-c", MEASURE, str(log)] + args, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - started
    rc, rss_kib = out.stdout.split()
    return elapsed, int(rc), int(rss_kib) / 1024.0


def fleet_runs(root, hosts, env, files=None):
    """site first and rerun, floor first and rerun on a fleet of hosts in root; returns (rows, sample files).
    The floor copies what the site wrote to a host (files, or this fleet's first host's): as many, as large."""
    (root / "inventory.json").write_text(json.dumps(inventory(root, hosts)))
    playbook = [str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json")]
    rows = {}
    rows["site first"] = run(playbook + ["mtls.temporal.site"], REPO, env, root / "site-first.log")
    rows["site rerun"] = run(playbook + ["mtls.temporal.site"], REPO, env, root / "site-rerun.log")
    if files is None:
        files = sorted(str(p) for p in (root / "hosts" / "node0001").rglob("*") if p.is_file())
    (root / "floor.yml").write_text(FLOOR)
    floor = playbook + ["-e", json.dumps({"floor_files": files}), str(root / "floor.yml")]
    rows["floor first"] = run(floor, REPO, env, root / "floor-first.log")
    rows["floor rerun"] = run(floor, REPO, env, root / "floor-rerun.log")
    failed = ["{0} ({1} hosts), its output ends:\n{2}".format(name, hosts, (root / (name.replace(" ", "-") + ".log")).read_text(errors="replace")[-3000:])
              for name, (_s, rc, _m) in rows.items() if rc]
    servers = ["node{0:04d}".format(i) for i in range(1, hosts + 1)]
    problems = ["site rerun, " + p for p in unchanged_problems(root / "site-rerun.log", ["localhost"] + servers)]
    problems += ["floor rerun, " + p for p in unchanged_problems(root / "floor-rerun.log", servers)]
    return rows, files, failed, problems


def growth_kib(big, small, hosts, baseline):
    """KiB of peak RSS per host beyond the baseline fleet."""
    return (big - small) * 1024.0 / (hosts - baseline)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--forks", type=int, default=10)
    parser.add_argument("--baseline-hosts", type=int, default=10, help="the small fleet per-host growth is measured against")
    parser.add_argument("--keep", help="keep the fleet in this directory")
    opts = parser.parse_args()
    baseline = min(opts.baseline_hosts, opts.hosts // 2)
    if baseline < 1:
        parser.error("--hosts must be at least 2 (the baseline fleet has at most half as many)")

    root = Path(opts.keep or tempfile.mkdtemp(prefix="mtls-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_FORKS=str(opts.forks), ANSIBLE_NOCOLOR="1")
    (root / "inventory.json").write_text(json.dumps(inventory(root, opts.hosts)))
    try:
        # Not timed: the CAs, which both sides need and which cost the same at any fleet size. The baseline fleet
        # gets a copy of them, so the two fleets issue their node certificates separately.
        setup = subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), "mtls.temporal.pki"],
                               cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if setup.returncode:
            sys.exit("pki setup failed:\n" + setup.stdout[-3000:])
        shutil.copytree(root / "pki", root / "baseline" / "pki")
        small, _files, small_failed, small_problems = fleet_runs(root / "baseline", baseline, env)
        rows, files, failed, problems = fleet_runs(root, opts.hosts, env)
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("fleet benchmark: {0} hosts, forks {1}, {2} files per host, baseline {3} hosts".format(opts.hosts, opts.forks, len(files), baseline))
    print("{0:<12} {1:>6} {2:>9} {3:>12}".format("run", "hosts", "seconds", "max RSS MiB"))
    for hosts, table in ((opts.hosts, rows), (baseline, small)):
        for name, (seconds, _rc, rss) in table.items():
            print("{0:<12} {1:>6} {2:>9.1f} {3:>12.1f}".format(name, hosts, seconds, rss))
    for kind, target in (("first", 1.3), ("rerun", 1.1)):
        site, base = rows["site " + kind], rows["floor " + kind]
        ratio = site[0] / base[0]
        print("site/floor {0:<6} time {1:.2f}x (target <= {2}x: {3})   memory {4:.2f}x".format(
            kind, ratio, target, "met" if ratio <= target else "MISSED", site[2] / base[2]))
    for kind in ("first", "rerun"):
        site = growth_kib(rows["site " + kind][2], small["site " + kind][2], opts.hosts, baseline)
        base = growth_kib(rows["floor " + kind][2], small["floor " + kind][2], opts.hosts, baseline)
        print("per-host memory {0:<6} site {1:.1f} KiB/host, floor {2:.1f} KiB/host (target site <= floor: {3})".format(
            kind, site, base, "met" if site <= base else "MISSED"))
    if small_failed or failed:
        sys.exit("runs failed: " + ", ".join(small_failed + failed))
    if small_problems or problems:
        sys.exit("a rerun changed something:\n" + "\n".join(small_problems + problems))
    print("reruns: changed=0 for every host in the recaps of site ({0} + localhost) and floor".format(opts.hosts))


if __name__ == "__main__":
    main()
