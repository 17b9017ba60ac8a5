"""temporal_tls_files' action plugin, through ansible-playbook: src and bundle_srcs are read on the controller, a
bundle puts its newest CA first, and check mode predicts a file whose source an earlier task would create."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

from cryptography import x509

from conftest import BIN, REPO, tool_env


PLAYBOOK = """
- name: Write files from the controller
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: Write them
      mtls.temporal.temporal_tls_files:
        files:
          - path: "{{ out }}/bundle.pem"
            bundle_srcs: "{{ bundle }}"
          - path: "{{ out }}/copy.pem"
            src: "{{ copy_src }}"
      register: written

    - name: Keep the result
      ansible.builtin.copy:
        content: "{{ written | to_json }}"
        dest: "{{ result_file }}"
        mode: "0644"
      check_mode: false
"""


def play(tmp_path, *args):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK)
    env = tool_env()
    proc = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", str(playbook), "-e", "result_file=" + str(tmp_path / "result.json"),
                           *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc


def extra(out, bundle, copy_src):
    return ["-e", json.dumps(dict(out=str(out), bundle=[str(p) for p in bundle], copy_src=str(copy_src)))]


def test_a_bundle_puts_its_newest_ca_first_whatever_the_order_given(tmp_path, ca_factory):
    older = ca_factory("older")
    time.sleep(1.1)  # notBefore has a resolution of one second
    newer = ca_factory("newer")
    out = tmp_path / "out"
    out.mkdir()
    proc = play(tmp_path, *extra(out, [older["path"], newer["path"]], older["path"]))
    assert proc.returncode == 0, proc.stdout[-3000:]
    subjects = [cert.subject.rfc4514_string() for cert in x509.load_pem_x509_certificates((out / "bundle.pem").read_bytes())]
    assert subjects == ["CN=newer,O=mtls.temporal tests", "CN=older,O=mtls.temporal tests"]
    assert (out / "copy.pem").read_bytes() == Path(older["path"]).read_bytes()
    rerun = play(tmp_path, *extra(out, [newer["path"], older["path"]], older["path"]))
    assert rerun.returncode == 0, rerun.stdout[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert not result["changed"] and result["changed_files"] == [], result


def test_check_mode_predicts_a_file_whose_source_is_still_to_be_made(tmp_path, ca_factory):
    ca = ca_factory("present")
    out = tmp_path / "out"
    out.mkdir()
    missing = tmp_path / "made-later.pem"
    proc = play(tmp_path, "--check", *extra(out, [ca["path"], missing], missing))
    assert proc.returncode == 0, proc.stdout[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["changed"] and sorted(result["changed_files"]) == [str(out / "bundle.pem"), str(out / "copy.pem")]
    assert "made-later.pem does not exist yet (an earlier task would create it)" in proc.stdout + proc.stderr
    assert sorted(os.listdir(out)) == []
    # Outside check mode the missing source is an error naming the entry, and nothing is written.
    failed = play(tmp_path, *extra(out, [ca["path"]], missing))
    assert failed.returncode != 0 and "files[1]: cannot read src {0}".format(missing) in failed.stdout, failed.stdout[-3000:]
    assert sorted(os.listdir(out)) == []
