"""Every key type and every profile, issued through temporal_ca's and temporal_leaf's main(), then checked by
three checkers that share no code with the collection: openssl verify with the TLS purpose, cryptography's
X.509 verifiers (server and client), and pkilint's RFC 5280 linters (certificate, and signer/signee pair).

Each scenario is one chain: a root, an intermediate under it, one leaf per profile and one leaf signed from a
CSR that openssl made (its key never seen by the collection). Every certificate is checked; the test fails
listing every check that went wrong, so one run shows the whole matrix."""

from __future__ import annotations

import contextlib
import io
import ipaddress
import shutil
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509 import verification
from pkilint.bin import lint_pkix_cert as pkilint_cert  # pkilint is in test-requirements.txt
from pkilint.bin import lint_pkix_signer_signee_cert_chain as pkilint_chain

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf

PROFILES = ("internode", "frontend", "client", "worker")
SERVER = {"internode", "frontend"}
CLIENT = {"internode", "client", "worker"}
DNS_NAMES = ["node1.temporal.test", "internode.temporal.test"]
IP = "127.0.0.1"

# id -> (root key, intermediate key, leaf key per profile, key of the CSR that openssl makes).
# RSA keygen is what costs time, so the big RSA sizes share one chain: a 4096-bit root over a 3072-bit
# intermediate, leaves of both sizes. The mixed chain puts each family under another.
SCENARIOS = {
    "ecdsa-p256": ("ecdsa-p256", "ecdsa-p256", dict.fromkeys(PROFILES, "ecdsa-p256"), "ecdsa-p256"),
    "ecdsa-p384": ("ecdsa-p384", "ecdsa-p384", dict.fromkeys(PROFILES, "ecdsa-p384"), "ecdsa-p384"),
    "ed25519": ("ed25519", "ed25519", dict.fromkeys(PROFILES, "ed25519"), "ed25519"),
    "rsa-2048": ("rsa-2048", "rsa-2048", dict.fromkeys(PROFILES, "rsa-2048"), "rsa-2048"),
    "rsa-3072-4096": ("rsa-4096", "rsa-3072", dict(internode="rsa-3072", frontend="rsa-4096", client="rsa-3072", worker="rsa-3072"), "rsa-3072"),
    "mixed": ("ecdsa-p384", "rsa-2048", dict(internode="ed25519", frontend="ecdsa-p256", client="ed25519", worker="ecdsa-p384"), "ed25519"),
}
# openssl req -newkey arguments per key type.
NEWKEY = {
    "ecdsa-p256": ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "ecdsa-p384": ["ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
    "rsa-2048": ["rsa:2048"], "rsa-3072": ["rsa:3072"], "ed25519": ["ed25519"],
}

# Temporal (Go) takes client certificates without a SAN, as RFC 5280 does when the subject is set; the
# Web PKI default of cryptography's client verifier wants one, so only that requirement is relaxed.
CLIENT_EE_POLICY = verification.ExtensionPolicy.webpki_defaults_ee().may_be_present(
    x509.SubjectAlternativeName, verification.Criticality.AGNOSTIC, None
)


def key_type(cert):
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "rsa-{0}".format(key.key_size)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return {"secp256r1": "ecdsa-p256", "secp384r1": "ecdsa-p384"}[key.curve.name]
    return "ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else type(key).__name__


def load_all(path):
    with open(path, "rb") as handle:
        return x509.load_pem_x509_certificates(handle.read())


def openssl_verify(root, intermediate, cert, purpose):
    proc = subprocess.run(
        ["openssl", "verify", "-x509_strict", "-purpose", purpose, "-CAfile", str(root), "-untrusted", str(intermediate), str(cert)],
        capture_output=True, text=True, check=False,
    )
    return proc.returncode == 0 and proc.stdout.strip().endswith(": OK"), (proc.stdout + proc.stderr).strip()


def pkilint(main, *files):
    """pkilint's own command-line entry point, run in this process (its start-up dwarfs the lint itself).
    -s ERROR reports ERROR and FATAL findings only, and the exit code counts them."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["lint", "-s", "ERROR", *[str(f) for f in files]])
    return code == 0 and "ERROR" not in out.getvalue() and "FATAL" not in out.getvalue(), out.getvalue().strip()


def server_verify(store, chain, subject):
    leaf, *intermediates = chain
    return verification.PolicyBuilder().store(store).build_server_verifier(subject).verify(leaf, intermediates)


def client_verify(store, chain):
    leaf, *intermediates = chain
    builder = verification.PolicyBuilder().store(store).extension_policies(
        ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=CLIENT_EE_POLICY
    )
    return builder.build_client_verifier().verify(leaf, intermediates).chain


def openssl_csr(tmp_path, name, newkey):
    key, csr = tmp_path / (name + "-own.key"), tmp_path / (name + ".csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", *newkey, "-nodes", "-keyout", str(key), "-out", str(csr), "-subj", "/CN=ignored-by-the-module"],
                   capture_output=True, check=True)
    return csr


def leaf_options(profile, key_type):
    options = dict(key_type=key_type)
    if profile in SERVER:
        options.update(dns_names=DNS_NAMES, ip_addresses=[IP])
    else:
        options.update(common_name=profile + "-identity")
    return options


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_certificate_passes_openssl_cryptography_and_pkilint(run_module, ca_factory, leaf_factory, tmp_path, scenario):
    root_key, inter_key, leaf_keys, csr_key = SCENARIOS[scenario]
    root = ca_factory("Root " + scenario, key_type=root_key, path_length=1, validity="3650d")
    inter = ca_factory("Servers " + scenario, parent=root, key_type=inter_key, path_length=0, validity="1825d")
    root_cert, inter_cert = load_all(root["path"])[0], load_all(inter["path"])[0]
    assert inter_cert.issuer == root_cert.subject and (key_type(root_cert), key_type(inter_cert)) == (root_key, inter_key)

    leaves = {}  # name -> (profile, leaf args)
    for profile in PROFILES:
        leaves[profile] = (profile, leaf_factory(profile, profile, inter, **leaf_options(profile, leaf_keys[profile])))
    csr = openssl_csr(tmp_path, "csr-leaf", NEWKEY[csr_key])
    csr_args = dict(
        profile="internode", path=str(tmp_path / "csr-leaf.pem"), chain_path=str(tmp_path / "csr-leaf-chain.pem"),
        csr_path=str(csr), ca_path=inter["chain_path"], ca_private_key_path=inter["private_key_path"], dns_names=DNS_NAMES, ip_addresses=[IP],
    )
    run = run_module(temporal_leaf.main, csr_args)
    assert not run.failed and run["reason"] == "created", run.msg
    assert run["key_type"] == csr_key, run["key_type"]
    leaves["csr-leaf"] = ("internode", csr_args)
    wanted_types = dict(leaf_keys, **{"csr-leaf": csr_key})

    store = verification.Store([root_cert])
    problems = []
    # cryptography's verifiers apply the Web PKI's algorithm list, which has no Ed25519 signatures: a chain
    # signed by Ed25519 CAs is refused for that reason alone (openssl and pkilint still check it, and the
    # mixed chain has cryptography verify Ed25519 leaves under ECDSA and RSA CAs).
    webpki_refuses = "Forbidden public key algorithm" if "ed25519" in (root_key, inter_key) else None

    def check(what, ok, detail=""):
        if not ok:
            problems.append("{0}: {1}".format(what, detail))

    def refused_as_expected(exc, wanted):
        """A certificate of the wrong purpose must be refused; one of the right purpose only for the Ed25519 reason."""
        return not wanted or (webpki_refuses is not None and webpki_refuses in str(exc))

    # The CAs themselves: the intermediate chains to the root, both lint clean, and the pair links.
    ok, detail = openssl_verify(root["path"], inter["path"], inter["path"], "any")
    check("openssl verify intermediate", ok, detail)
    for name, path in (("root", root["path"]), ("intermediate", inter["path"])):
        check("pkilint " + name, *pkilint(pkilint_cert.main, path))
    check("pkilint chain root -> intermediate", *pkilint(pkilint_chain.main, root["path"], inter["path"]))

    for name, (profile, args) in leaves.items():
        chain = load_all(args["chain_path"])
        assert chain[0] == load_all(args["path"])[0] and chain[1:] == [inter_cert], name
        assert key_type(chain[0]) == wanted_types[name], name
        for purpose, wanted in (("sslserver", profile in SERVER), ("sslclient", profile in CLIENT)):
            ok, detail = openssl_verify(root["path"], inter["path"], args["path"], purpose)
            check("openssl verify -purpose {0} {1} (expected {2})".format(purpose, name, "OK" if wanted else "refusal"), ok == wanted, detail)
        subjects = [verification.DNSName(n) for n in DNS_NAMES] + [verification.IPAddress(ipaddress.ip_address(IP))]
        for subject in subjects:
            what = "cryptography server verifier {0} for {1}".format(name, subject)
            try:
                built = server_verify(store, chain, subject)
                check(what, profile in SERVER and not webpki_refuses and built[-1] == root_cert, "accepted a {0} certificate".format(profile))
            except verification.VerificationError as exc:
                check(what, refused_as_expected(exc, profile in SERVER), str(exc))
        what = "cryptography client verifier " + name
        try:
            built = client_verify(store, chain)
            check(what, profile in CLIENT and not webpki_refuses and built[0] == chain[0], "accepted a {0} certificate".format(profile))
        except verification.VerificationError as exc:
            check(what, refused_as_expected(exc, profile in CLIENT), str(exc))
        check("pkilint " + name, *pkilint(pkilint_cert.main, args["path"]))
        check("pkilint chain intermediate -> " + name, *pkilint(pkilint_chain.main, inter["path"], args["path"]))

    assert not problems, "\n".join(problems)
