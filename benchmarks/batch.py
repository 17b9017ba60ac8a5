"""Batch issuance benchmark: N client identities by temporal_leaf_batch against raw `cryptography` in the same run.

Creates the CAs once with mtls.temporal.pki (not timed), then times, one after the other on the same machine:
one ansible-playbook run whose single task is `mtls.temporal.temporal_leaf_batch` issuing N client certificates
(profile client, ECDSA P-256, each with its own key) from the clients CA, and a plain Python loop that does the same
with `cryptography` alone: load the CA once, then per identity make the key, build and sign the same certificate
(the same subject, extensions and validity) and write key and certificate as the batch does (each staged in a
temporary file made 0600, fsynced, renamed into place). The batch's time includes ansible-playbook's start-up and its
rerun proves it converged (the script fails unless the rerun reports changed=0). Target: batch <= 1.5x raw.
Not a test: tests/benchmarks only checks that it runs at small N.

Usage: python benchmarks/batch.py [--identities 10000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
VALIDITY_DAYS = 90

PLAYBOOK = """---
- name: Issue every identity in one module run
  hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - name: The batch
      mtls.temporal.temporal_leaf_batch:
        ca_path: "{{ pki_dir }}/clients-ca-chain.pem"
        ca_private_key_path: "{{ pki_dir }}/clients-ca.key"
        create_dirs: true
        compact_result: true
        certificates: "{{ identities }}"
"""


def identity_names(count):
    return ["identity{0:05d}".format(i) for i in range(1, count + 1)]


def write_file(path, data):
    """As the batch writes each file: a 0600 temporary file beside it, fsynced, renamed into place."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix="." + path.name + ".")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def raw_issue(names, pki_dir, out):
    """The same certificates with cryptography alone; returns the seconds it took."""
    started = time.monotonic()
    chain = x509.load_pem_x509_certificates((pki_dir / "clients-ca-chain.pem").read_bytes())
    issuer = chain[0]
    issuer_key = serialization.load_pem_private_key((pki_dir / "clients-ca.key").read_bytes(), password=None)
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(issuer.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
            .sign(issuer_key, hashes.SHA256())
        )
        write_file(out / (name + ".key"), key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
        write_file(out / (name + ".pem"), cert.public_bytes(serialization.Encoding.PEM))
    return time.monotonic() - started


def shape(path):
    """What must be the same on both sides: the subject, issuer, extensions (not their key-dependent values), the
    validity's length, the key's curve and how many certificates the file holds (the leaf alone, as without chain_path)."""
    certs = x509.load_pem_x509_certificates(path.read_bytes())
    leaf = certs[0]
    extensions = sorted((e.oid.dotted_string, e.critical, None if isinstance(e.value, (x509.SubjectKeyIdentifier, x509.AuthorityKeyIdentifier))
                         else repr(e.value)) for e in leaf.extensions)
    return (leaf.subject.rfc4514_string(), leaf.issuer.rfc4514_string(), extensions, leaf.public_key().curve.name,
            round((leaf.not_valid_after_utc - leaf.not_valid_before_utc).total_seconds() / 86400), len(certs))


def playbook_run(argv, env, log):
    started = time.monotonic()
    with open(log, "wb") as handle:
        rc = subprocess.call(argv, cwd=REPO, env=env, stdout=handle, stderr=subprocess.STDOUT)
    return time.monotonic() - started, rc


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--identities", type=int, default=10000)
    parser.add_argument("--keep", help="keep the certificates and logs in this directory")
    opts = parser.parse_args()
    root = Path(opts.keep or tempfile.mkdtemp(prefix="mtls-batch-"))
    root.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PATH=str(BIN) + os.pathsep + os.environ["PATH"], ANSIBLE_NOCOLOR="1")
    names = identity_names(opts.identities)
    try:
        (root / "inventory.json").write_text(json.dumps({"all": {
            "vars": {"ansible_python_interpreter": sys.executable, "pki_dir": str(root / "pki")},
            "hosts": {"localhost": {"ansible_connection": "local"}}}}))
        inventory = [str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json")]
        setup = subprocess.run(inventory + ["mtls.temporal.pki"], cwd=REPO, env=env, capture_output=True, text=True, check=False)
        if setup.returncode:
            sys.exit("pki setup failed:\n" + setup.stdout[-3000:])
        (root / "identities.json").write_text(json.dumps({"identities": [
            {"profile": "client", "common_name": name, "validity": "{0}d".format(VALIDITY_DAYS),
             "path": str(root / "batch" / (name + ".pem")), "private_key_path": str(root / "batch" / (name + ".key"))}
            for name in names]}))
        (root / "batch.yml").write_text(PLAYBOOK)
        batch = inventory + ["-e", "@" + str(root / "identities.json"), str(root / "batch.yml")]
        raw_seconds = raw_issue(names, root / "pki", root / "raw")
        batch_seconds, rc = playbook_run(batch, env, root / "batch-first.log")
        if rc:
            sys.exit("the batch failed:\n" + (root / "batch-first.log").read_text(errors="replace")[-3000:])
        rerun_seconds, rc = playbook_run(batch, env, root / "batch-rerun.log")
        rerun_log = (root / "batch-rerun.log").read_text(errors="replace")
        if rc or "changed=0" not in rerun_log.rsplit("PLAY RECAP", 1)[-1]:
            sys.exit("the batch's rerun did not converge:\n" + rerun_log[-3000:])
        written = {side: sorted(p.name for p in (root / side).iterdir()) for side in ("batch", "raw")}
        expected = sorted(n + suffix for n in names for suffix in (".key", ".pem"))
        for side, files in written.items():
            if files != expected:
                sys.exit("{0} wrote {1} files, not the {2} expected".format(side, len(files), len(expected)))
        for name in (names[0], names[-1]):
            batch_shape, raw_shape = (shape(root / side / (name + ".pem")) for side in ("batch", "raw"))
            if batch_shape != raw_shape:
                sys.exit("batch and raw certificates differ: {0} vs {1}".format(batch_shape, raw_shape))
    finally:
        if not opts.keep:
            shutil.rmtree(root, ignore_errors=True)

    print("batch benchmark: {0} client identities (ECDSA P-256, key and certificate each)".format(opts.identities))
    print("{0:<30} {1:>9} {2:>12}".format("run", "seconds", "certs/s"))
    for name, seconds in (("raw cryptography", raw_seconds), ("temporal_leaf_batch first", batch_seconds),
                          ("temporal_leaf_batch rerun", rerun_seconds)):
        print("{0:<30} {1:>9.1f} {2:>12.1f}".format(name, seconds, opts.identities / seconds))
    ratio = batch_seconds / raw_seconds
    print("temporal_leaf_batch/raw time {0:.2f}x (target <= 1.5x: {1})".format(ratio, "met" if ratio <= 1.5 else "MISSED"))
    print("same certificates on both sides (subject, issuer, extensions, validity, curve, chain); rerun changed=0")


if __name__ == "__main__":
    main()
