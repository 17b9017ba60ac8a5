"""The collection's action groups (meta/runtime.yml) through real ansible-playbook: module_defaults keyed on
group/mtls.temporal.temporal sets the file options every writing module takes, module_defaults keyed on
mtls.temporal.temporal_leaf or on group/mtls.temporal.leaf sets the CA once for several leaves, and a
rerun changes nothing."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import pytest
from cryptography import x509

from conftest import BIN, REPO, snapshot, tool_env

pytestmark = pytest.mark.slow

RECAP = re.compile(r"^localhost\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)

PLAYBOOK = """
- name: module_defaults through the collection's action groups
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/mtls.temporal.temporal:
      backup: true
      mode: "0640"
  tasks:
    - name: Root CA
      mtls.temporal.temporal_ca:
        path: "{{ out }}/root.pem"
        private_key_path: "{{ out }}/root.key"
        common_name: Defaults Root CA
        path_length: 1
        validity: 3650d

    - name: Intermediate CA
      mtls.temporal.temporal_ca:
        path: "{{ out }}/servers.pem"
        private_key_path: "{{ out }}/servers.key"
        chain_path: "{{ out }}/servers-chain.pem"
        common_name: Defaults Servers CA
        parent_ca_path: "{{ out }}/root.pem"
        parent_ca_private_key_path: "{{ out }}/root.key"
        path_length: 0
        validity: 1825d

    - name: A worker key that stays where it is, and its CSR
      mtls.temporal.temporal_csr:
        private_key_path: "{{ out }}/worker-own.key"
        csr_path: "{{ out }}/worker.csr"
      register: worker_csr

    - name: Server leaves, the CA set once for temporal_leaf
      module_defaults:
        mtls.temporal.temporal_leaf:
          ca_path: "{{ out }}/servers-chain.pem"
          ca_private_key_path: "{{ out }}/servers.key"
      block:
        - name: Internode
          mtls.temporal.temporal_leaf:
            profile: internode
            path: "{{ out }}/internode.pem"
            private_key_path: "{{ out }}/internode.key"
            chain_path: "{{ out }}/internode-chain.pem"
            dns_names: "{{ ['internode.defaults.test'] + (extra_dns | default([])) }}"
            ip_addresses: [127.0.0.1]

        - name: Frontend
          mtls.temporal.temporal_leaf:
            profile: frontend
            path: "{{ out }}/frontend.pem"
            private_key_path: "{{ out }}/frontend.key"
            dns_names: [frontend.defaults.test]

        - name: Worker, signed from the CSR
          mtls.temporal.temporal_leaf:
            profile: worker
            common_name: temporal-system-worker
            path: "{{ out }}/worker.pem"
            csr_content: "{{ worker_csr.csr }}"

    - name: Client identities, the CA set once for group/mtls.temporal.leaf
      module_defaults:
        group/mtls.temporal.leaf:
          ca_path: "{{ out }}/servers-chain.pem"
          ca_private_key_path: "{{ out }}/servers.key"
      block:
        - name: One client with temporal_leaf
          mtls.temporal.temporal_leaf:
            profile: client
            common_name: payments
            path: "{{ out }}/payments.pem"
            private_key_path: "{{ out }}/payments.key"

        - name: Two clients with temporal_leaf_batch
          mtls.temporal.temporal_leaf_batch:
            certificates:
              - profile: client
                common_name: "{{ billing_cn | default('billing') }}"
                path: "{{ out }}/billing.pem"
                private_key_path: "{{ out }}/billing.key"
              - profile: client
                common_name: shipping
                path: "{{ out }}/shipping.pem"
                private_key_path: "{{ out }}/shipping.key"

- name: Read back outside the group's scope (temporal_cert_info takes no file options)
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Facts of every leaf
      mtls.temporal.temporal_cert_info:
        paths:  # the name before path: still accepted
          - "{{ out }}/internode.pem"
          - "{{ out }}/frontend.pem"
          - "{{ out }}/worker.pem"
          - "{{ out }}/payments.pem"
          - "{{ out }}/billing.pem"
          - "{{ out }}/shipping.pem"
        issuer_path: "{{ out }}/servers.pem"
      register: info

    - name: Every leaf was issued by the intermediate the defaults named
      ansible.builtin.assert:
        that:
          - info.files | map(attribute='issued_by_issuer') | list == [true] * 6
        quiet: true
"""

CERT_INFO_IN_GROUP_SCOPE = """
- name: temporal_cert_info inside a group/mtls.temporal.temporal scope that sets backup
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/mtls.temporal.temporal:
      backup: true
  tasks:
    - name: Read a certificate
      mtls.temporal.temporal_cert_info:
        path: ["{{ out }}/root.pem"]
"""

CERTS = ("root.pem", "servers.pem", "servers-chain.pem", "internode.pem", "internode-chain.pem", "frontend.pem", "worker.pem", "payments.pem",
         "billing.pem", "shipping.pem", "worker.csr")
KEYS = ("root.key", "servers.key", "worker-own.key", "internode.key", "frontend.key", "payments.key", "billing.key", "shipping.key")


def playbook(path, out, *extra):
    env = tool_env()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(path), "-e", "out=" + str(out), *extra],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    recap = RECAP.search(proc.stdout)
    return proc, (dict(ok=int(recap.group(1)), changed=int(recap.group(2)), failed=int(recap.group(4))) if recap else None)


def backups(out, name):
    return sorted(p.name for p in out.iterdir() if p.name.startswith(name + ".") and p.name.endswith("~"))


def test_group_and_module_defaults_issue_once_and_rerun_changes_nothing(tmp_path):
    out = tmp_path / "pki"
    out.mkdir()
    site = tmp_path / "site.yml"
    site.write_text(PLAYBOOK)

    proc, recap = playbook(site, out)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert recap["changed"] == 8 and recap["failed"] == 0, proc.stdout[-3000:]  # 2 CAs, the CSR key, 4 leaves, the batch
    # mode from group/mtls.temporal.temporal reached every writing module; keys keep private_key_mode.
    for name in CERTS:
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o640, name
    for name in KEYS:
        assert stat.S_IMODE(os.stat(out / name).st_mode) == 0o600, name
    servers = x509.load_pem_x509_certificate((out / "servers.pem").read_bytes())
    for name in ("internode.pem", "frontend.pem", "worker.pem", "payments.pem", "billing.pem", "shipping.pem"):
        assert x509.load_pem_x509_certificate((out / name).read_bytes()).issuer == servers.subject, name

    before = snapshot(*(str(out / n) for n in CERTS + KEYS))
    proc, recap = playbook(site, out)
    assert proc.returncode == 0 and recap["changed"] == 0, proc.stdout[-3000:]
    proc, recap = playbook(site, out, "--check")
    assert proc.returncode == 0 and recap["changed"] == 0, proc.stdout[-3000:]
    assert snapshot(*(str(out / n) for n in CERTS + KEYS)) == before
    assert not any(p.name.endswith("~") for p in out.iterdir())

    # backup from group/mtls.temporal.temporal reaches the leaves under both CA-setting blocks.
    extra = json.dumps({"extra_dns": ["lb.defaults.test"], "billing_cn": "billing-2"})
    proc, recap = playbook(site, out, "-e", extra)
    assert proc.returncode == 0 and recap["changed"] == 2, proc.stdout[-3000:]
    assert len(backups(out, "internode.pem")) == 1 and len(backups(out, "billing.pem")) == 1, sorted(os.listdir(out))
    assert backups(out, "frontend.pem") == [] and backups(out, "shipping.pem") == []
    internode = x509.load_pem_x509_certificate((out / "internode.pem").read_bytes())
    assert "lb.defaults.test" in internode.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    proc, recap = playbook(site, out, "-e", extra)
    assert proc.returncode == 0 and recap["changed"] == 0, proc.stdout[-3000:]


def test_cert_info_takes_no_file_option_of_the_group(tmp_path):
    """What README.md says about group/mtls.temporal.temporal: the read-only temporal_cert_info takes none of
    the file options, so Ansible fails it when such a default is in its scope."""
    out = tmp_path / "pki"
    out.mkdir()
    (tmp_path / "ca.yml").write_text(PLAYBOOK.split("\n    - name: Intermediate CA", 1)[0])
    proc, recap = playbook(tmp_path / "ca.yml", out)
    assert proc.returncode == 0 and recap["changed"] == 1, proc.stdout[-3000:]
    (tmp_path / "info.yml").write_text(CERT_INFO_IN_GROUP_SCOPE)
    proc, recap = playbook(tmp_path / "info.yml", out)
    assert proc.returncode != 0 and recap["failed"] == 1
    assert "Unsupported parameters for (mtls.temporal.temporal_cert_info) module: backup" in proc.stdout, proc.stdout[-3000:]
