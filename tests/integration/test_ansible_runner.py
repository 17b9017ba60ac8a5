"""mtls.temporal.site and mtls.temporal.rotate_ca run through ansible-runner as AWX/AAP runs a job (a private data
dir, no process isolation), and what the runner records, every job event and artifact, carries no secret: not the
root CA key's passphrase nor a Vault token given as extra vars, and no private key PEM."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

import ansible_runner
import pytest
from cryptography.hazmat.primitives import serialization

from conftest import BIN, REPO
from rotation_fleet import inventory, state

pytestmark = pytest.mark.slow

# The end of every private key PEM header: PRIVATE KEY, EC PRIVATE KEY, ENCRYPTED PRIVATE KEY.
PEM_KEY = "PRIVATE KEY-----"


def run_job(private_data_dir, playbook, fleet, extravars):
    # A fresh private data dir per job, as AWX makes: ansible-runner 2.4 given extravars for a dir whose env/extravars
    # already exists puts them on the command line, and so in artifacts/<ident>/command.
    private_data_dir.mkdir()
    return ansible_runner.run(
        private_data_dir=str(private_data_dir), ident="job", project_dir=str(REPO), playbook=playbook,
        inventory=str(fleet / "inventory.json"), extravars=extravars, process_isolation=False, quiet=True,
        envvars={"ANSIBLE_COLLECTIONS_PATH": str(REPO / ".collections"), "PATH": str(BIN) + os.pathsep + os.environ["PATH"]})


def files_holding(directory, needles):
    """{relative path: the needles it holds} of every file under directory that holds any."""
    found = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            held = [needle for needle in needles if needle in text]
            if held:
                found[str(path.relative_to(directory))] = held
    return found


def test_site_and_rotate_ca_through_ansible_runner_record_no_secret(tmp_path):
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "inventory.json").write_text(json.dumps(inventory(fleet)))
    passphrase = "pass-" + secrets.token_urlsafe(18)
    vault_token = "hvs." + secrets.token_urlsafe(24)
    secret_vars = {"pki_root_private_key_passphrase": passphrase,
                   # Unused by the controller issuer, yet read by every role's argument validation.
                   "pki_vault_token": vault_token, "node_certs_vault_token": vault_token, "client_certs_vault_token": vault_token}
    site = run_job(tmp_path / "site", "mtls.temporal.site", fleet, secret_vars)
    assert (site.status, site.rc) == ("successful", 0), site.stdout.read()[-3000:]
    rotation = run_job(tmp_path / "rotate_ca", "mtls.temporal.rotate_ca", fleet, dict(secret_vars, rotate_ca_step="introduce"))
    assert (rotation.status, rotation.rc) == ("successful", 0), rotation.stdout.read()[-3000:]
    assert state(fleet) == "introduced"

    # The passphrase reached the modules that wrote the root CA keys, the current and the introduced one: each key
    # opens with it alone.
    for root_key in (fleet / "pki" / "root-ca.key", fleet / "pki" / "next" / "root-ca.key"):
        serialization.load_pem_private_key(root_key.read_bytes(), password=passphrase.encode())
        with pytest.raises(TypeError):
            serialization.load_pem_private_key(root_key.read_bytes(), password=None)

    # What AWX keeps of a job: its events (job_events/*.json) and the other artifacts (stdout, command, fact_cache...).
    for job in (site, rotation):
        events = list(job.events)
        assert any(event["event"] == "runner_on_ok" and event["event_data"].get("task_action", "").startswith("mtls.temporal.")
                   for event in events)
        artifacts = Path(job.config.artifact_dir)
        assert len(list((artifacts / "job_events").glob("*.json"))) == len(events)
        assert (artifacts / "stdout").read_text().count("PLAY RECAP") == 1
        assert files_holding(artifacts, [passphrase, vault_token, PEM_KEY]) == {}
        # The same scan finds the secrets where the runner keeps its input: the private data dir's env/extravars.
        assert files_holding(Path(job.config.private_data_dir) / "env", [passphrase, vault_token]) == {"extravars": [passphrase, vault_token]}
