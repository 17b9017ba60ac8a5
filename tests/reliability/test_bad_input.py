"""Bad input, table-driven: every case must fail, name the option and the problem, and write nothing.

The module cases run against real, valid material made first (CAs, the very certificate, key, chain and
PKCS#12 file the bad run targets, a rendered Temporal config, temporal.toml and env files), so "nothing
written" also proves that the existing files stayed as they were: the whole directory tree (every name,
hidden temp files included; every file's inode, mtime and bytes; every directory's mtime; every mode, owner
and group) is compared before and after the bad run. Cases that only read the material share one directory
per module; a case that spoils a file first gets its own.

The role cases run real ansible-playbook with one wrong-typed role variable; argument spec validation must
stop the play before any task runs, so the seeded files there stay as they were too."""

from __future__ import annotations

import base64
import collections
import contextlib
import copy
import datetime
import functools
import io
import json
import os
import subprocess

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.temporal.plugins.modules import temporal_ca, temporal_leaf, temporal_tls_config
from ansible.module_utils.testing import patch_module_args
from conftest import BIN, ModuleRun, REPO, snapshot, tool_env

MODULES = dict(ca=temporal_ca.main, leaf=temporal_leaf.main, tls=temporal_tls_config.main)
PASSPHRASE = "ca-pass-7Qx"


def tree(root):
    """Every name under root (hidden ones included), each file's (inode, mtime_ns, bytes), each directory's
    (inode, mtime_ns) (a temp file made and removed again still shows in its directory's mtime), and every
    entry's mode, owner and group."""
    names, dirs, files, attributes = set(), {}, [], {}
    for dirpath, dirnames, filenames in os.walk(root):
        st = os.stat(dirpath)
        dirs[dirpath] = (st.st_ino, st.st_mtime_ns)
        names.update(os.path.relpath(os.path.join(dirpath, name), root) for name in dirnames + filenames)
        files.extend(os.path.join(dirpath, name) for name in filenames)
        for path in [dirpath] + [os.path.join(dirpath, name) for name in filenames]:
            st = os.lstat(path)
            attributes[path] = (st.st_mode, st.st_uid, st.st_gid)
    return dict(names=names, dirs=dirs, files=snapshot(*files), attributes=attributes)


# --- material -------------------------------------------------------------------------------------------


def without(args, *options):
    """args with options left out altogether (not set to null)."""
    return {k: v for k, v in args.items() if k not in options}


def write_pem(path, data):
    with open(path, "wb") as handle:
        handle.write(data)
    return str(path)


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def make_csr(key, ca=False, name="node1.temporal.test"):
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
    if ca:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)


def tampered_csr():
    """A well-formed CSR whose signature no longer verifies: one byte of the signature value flipped."""
    der = bytearray(x509.load_pem_x509_csr(make_csr(ec.generate_private_key(ec.SECP256R1()))).public_bytes(serialization.Encoding.DER))
    der[-1] ^= 0x01  # the last byte of the DER is the last byte of the ECDSA signature's s
    assert not x509.load_der_x509_csr(bytes(der)).is_signature_valid
    return b"-----BEGIN CERTIFICATE REQUEST-----\n" + base64.encodebytes(bytes(der)) + b"-----END CERTIFICATE REQUEST-----\n"


def run_quietly(main, args):
    """conftest's run_module for material made outside one test (no capsys): main() as Ansible runs it."""
    out = io.StringIO()
    with patch_module_args(dict(args, _ansible_check_mode=False, _ansible_diff=False)), contextlib.redirect_stdout(out):
        with pytest.raises(SystemExit) as exc:
            main()
    result = json.loads(out.getvalue())
    return ModuleRun(result, exc.value.code != 0 or result.get("failed", False))


class Lab:
    """Valid material made on demand in one directory, through the modules themselves where they can.

    The same options as conftest's ca_factory and leaf_factory, in a directory that many cases share: a case
    only reads it, and its tree is compared around every bad run."""

    def __init__(self, directory):
        self.tmp = directory
        self.run_module = run_quietly

    def ca_factory(self, name, parent=None, **options):
        args = dict(path=self.p(name + ".pem"), private_key_path=self.p(name + ".key"), common_name=name, organization="mtls.temporal tests")
        if parent is not None:
            args.update(parent_ca_path=parent["path"], parent_ca_private_key_path=parent["private_key_path"], chain_path=self.p(name + "-chain.pem"))
        args.update(options)
        run = self.run_module(temporal_ca.main, args)
        assert not run.failed, run.msg
        return args

    def leaf_factory(self, name, profile, ca, **options):
        args = dict(profile=profile, ca_path=ca.get("chain_path") or ca["path"], ca_private_key_path=ca["private_key_path"], **self.paths(name))
        args.update(options)
        run = self.run_module(temporal_leaf.main, args)
        assert not run.failed, run.msg
        return args

    def p(self, name):
        return str(self.tmp / name)

    def paths(self, name, **extra):
        """Options that point a certificate at new files called name."""
        return dict(path=self.p(name + ".pem"), private_key_path=self.p(name + ".key"), chain_path=self.p(name + "-chain.pem"), **extra)

    # CAs
    @functools.cached_property
    def root(self):
        return self.ca_factory("Root", path_length=1, validity="3650d")

    @functools.cached_property
    def servers(self):
        return self.ca_factory("Servers", parent=self.root, path_length=0, validity="1825d")

    @functools.cached_property
    def clients(self):
        return self.ca_factory("Clients", parent=self.root, path_length=0, validity="1825d")

    @functools.cached_property
    def locked(self):
        return self.ca_factory("Locked", key_type="ecdsa-p256", private_key_passphrase=PASSPHRASE, path_length=1)

    @functools.cached_property
    def constrained(self):
        return self.ca_factory("Constrained", key_type="ecdsa-p256", name_constraints_permitted=["DNS:.temporal.test", "IP:10.0.0.0/8"],
                               name_constraints_excluded=["DNS:evil.temporal.test"])

    @functools.cached_property
    def expired(self):
        """A CA that ended yesterday, built directly with cryptography (the module would never make one)."""
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Expired CA")])
        now = datetime.datetime.now(datetime.timezone.utc)
        usage = x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                              key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False)
        cert = (
            x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=60)).not_valid_after(now - datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(usage, critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256())
        )
        return dict(path=write_pem(self.tmp / "expired-ca.pem", cert.public_bytes(serialization.Encoding.PEM)),
                    private_key_path=write_pem(self.tmp / "expired-ca.key", key_pem(key)))

    @functools.cached_property
    def stray_key(self):
        return write_pem(self.tmp / "stray.key", key_pem(ec.generate_private_key(ec.SECP256R1())))

    # The leaf every temporal_leaf case targets: issued, so its four files exist before the bad run.
    @functools.cached_property
    def node1(self):
        return self.leaf_factory("node1", "internode", self.servers, dns_names=["node1.temporal.test", "internode.temporal.test"],
                                 ip_addresses=["10.0.0.1"], pkcs12_path=self.p("node1.pfx"))

    def leaf(self, **change):
        return dict(self.node1, **change)

    def csr_leaf(self, csr, **change):
        """The node1 certificate reissued from a CSR: no key and no PKCS#12 file in this flow."""
        args = {k: v for k, v in self.node1.items() if k not in ("private_key_path", "pkcs12_path")}
        return dict(args, csr_content=csr.decode("ascii"), **change)

    def with_issuer(self, ca, **change):
        return self.leaf(ca_path=ca.get("chain_path") or ca["path"], ca_private_key_path=ca["private_key_path"], **change)

    # temporal_ca cases target the existing Servers intermediate.
    def intermediate(self, **change):
        return dict(self.servers, **change)

    def under(self, parent, **change):
        """An intermediate under parent that already exists (made once with valid options)."""
        args = self.ca_factory("Sub", parent=parent, key_type="ecdsa-p256", path_length=0,
                               parent_ca_private_key_passphrase=PASSPHRASE if parent is self.locked else None)
        return dict(args, **change)

    # temporal_tls_config: a full node config and a client profile, rendered once so the files exist.
    @functools.cached_property
    def tls_base(self):
        san = dict(dns_names=["internode.temporal.test", "node1.temporal.test"], ip_addresses=["127.0.0.1"])
        internode = self.leaf_factory("internode", "internode", self.servers, **san)
        frontend = self.leaf_factory("frontend", "frontend", self.servers, dns_names=["frontend.temporal.test", "acme.temporal.test"])
        client = self.leaf_factory("payments", "client", self.clients, common_name="payments")
        ca = self.root["path"]
        args = dict(
            config_path=self.p("config.yaml"),
            dynamic_config_path=self.p("dynamicconfig.yaml"),
            internode=dict(
                server=dict(cert_file=internode["chain_path"], key_file=internode["private_key_path"], client_ca_files=[ca], require_client_auth=True),
                client=dict(server_name="internode.temporal.test", root_ca_files=[ca]),
            ),
            frontend=dict(
                server=dict(cert_file=frontend["chain_path"], key_file=frontend["private_key_path"], client_ca_files=[ca], require_client_auth=True),
                client=dict(server_name="frontend.temporal.test", root_ca_files=[ca]),
            ),
            expiration_checks=dict(warning_window="30d", error_window="7d", check_interval="1h"),
            client=dict(profile="payments", address="frontend.temporal.test:7233", namespace="payments", server_name="frontend.temporal.test",
                        cert_file=client["chain_path"], key_file=client["private_key_path"], ca_file=ca,
                        toml_path=self.p("temporal.toml"), env_path=self.p("client.env")),
        )
        run = self.run_module(temporal_tls_config.main, args)
        assert not run.failed and run["written"] == ["config_path", "client.toml_path", "client.env_path", "dynamic_config_path"], run.msg
        return args

    def tls(self):
        return copy.deepcopy(self.tls_base)

    @functools.cached_property
    def tls_env_base(self):
        """The server part rendered as the image's env file instead, which exists before the bad run."""
        args = {k: v for k, v in self.tls().items() if k not in ("config_path", "client")}
        args["env_path"] = self.p("tls.env")
        run = self.run_module(temporal_tls_config.main, args)
        assert not run.failed and run["written"] == ["env_path"], run.msg
        return args

    def tls_env(self):
        return copy.deepcopy(self.tls_env_base)


# --- the table ------------------------------------------------------------------------------------------

# own: the case changes the material before its run, so it gets a directory of its own.
Case = collections.namedtuple("Case", "id module build option phrase own")
CASES = []


def case(module, case_id, build, option, phrase, own=False):
    CASES.append(Case(module + "-" + case_id, module, build, option, phrase, own))


def leaf(case_id, change, option, phrase):
    case("leaf", case_id, lambda lab: lab.leaf(**change), option, phrase)


def ca(case_id, change, option, phrase):
    case("ca", case_id, lambda lab: lab.intermediate(**change), option, phrase)


def tls(case_id, mutate, option, phrase):
    def build(lab):
        args = lab.tls()
        mutate(args, lab)
        return args

    case("tls", case_id, build, option, phrase)


LONG_LABEL = "a" * 64 + ".temporal.test"
LONG_NAME = ".".join(["a" * 50] * 5) + ".test"  # 259 characters, every label legal
assert len(LONG_NAME) > 253

# temporal_leaf: choices, durations, lifetimes
leaf("unknown-profile", dict(profile="server"), "profile", "must be one of")
leaf("unknown-key-type", dict(key_type="ecdsa-p521"), "key_type", "must be one of")
leaf("rsa-1024-key-type", dict(key_type="rsa-1024"), "key_type", "must be one of")
leaf("unknown-key-format", dict(private_key_format="der"), "private_key_format", "must be one of")
leaf("validity-30x", dict(validity="30x"), "validity", "is not a duration")
leaf("validity-negative", dict(validity="-5d"), "validity", "is not a duration")
leaf("validity-0", dict(validity="0"), "validity", "is not a duration")
leaf("validity-0d", dict(validity="0d"), "validity", "must be longer than zero")
leaf("validity-list", dict(validity=["365d"]), "validity", "is not a duration")
leaf("renew-before-30x", dict(renew_before="30x"), "renew_before", "is neither a duration nor a percentage")
leaf("renew-before-negative", dict(renew_before="-5d"), "renew_before", "is neither a duration nor a percentage")
leaf("renew-before-0", dict(renew_before="0"), "renew_before", "is neither a duration nor a percentage")
leaf("renew-before-0-percent", dict(renew_before="0%"), "renew_before", "must be a percentage above 0% and below 100%")
leaf("renew-before-100-percent", dict(renew_before="100%"), "renew_before", "must be a percentage above 0% and below 100%")
leaf("renew-before-equals-validity", dict(validity="30d", renew_before="30d"), "renew_before", "is not shorter than validity")
leaf("renew-before-beyond-validity", dict(renew_before="400d"), "renew_before", "is not shorter than validity")
# A lifetime the CA cannot cover is refused whenever a certificate is issued: forced over the existing one, or a new one.
leaf("validity-beyond-ca-forced", dict(validity="4000d", force=True), "validity", "would end on")
case("leaf", "validity-beyond-ca-new", lambda lab: lab.leaf(validity="4000d", **lab.paths("node2", pkcs12_path=None)), "validity", "would end on")
# temporal_leaf: subject alternative names and subject
leaf("ip-300", dict(ip_addresses=["300.1.1.1"]), "ip_addresses", "is not an IPv4 or IPv6 address")
leaf("ip-prefix-33", dict(ip_addresses=["10.0.0.1/33"]), "ip_addresses", "is not an IPv4 or IPv6 address")
leaf("ip-v6-bad-hex", dict(ip_addresses=["fe80::zz"]), "ip_addresses", "is not an IPv4 or IPv6 address")
leaf("ip-v6-zone", dict(ip_addresses=["fe80::1%eth0"]), "ip_addresses", "has a zone ID")
leaf("dns-space", dict(dns_names=["node 1.temporal.test"]), "dns_names", "contains whitespace")
leaf("dns-double-wildcard", dict(dns_names=["*.*.x"]), "dns_names", "has a wildcard that is not the whole leftmost label")
leaf("dns-inner-wildcard", dict(dns_names=["node*.temporal.test"]), "dns_names", "has a wildcard")
leaf("dns-label-64", dict(dns_names=[LONG_LABEL]), "dns_names", "has a label longer than 63 characters")
leaf("dns-name-over-253", dict(dns_names=[LONG_NAME]), "dns_names", "is longer than 253 characters")
leaf("dns-empty", dict(dns_names=[""]), "dns_names", "an empty DNS name is not allowed")
leaf("dns-underscore", dict(dns_names=["node_1.temporal.test"]), "dns_names", "is not a valid DNS name")
leaf("dns-trailing-dot", dict(dns_names=["node1.temporal.test."]), "dns_names", "is not a valid DNS name")
leaf("dns-not-ascii", dict(dns_names=["knoten-ü.temporal.test"]), "dns_names", "is not ASCII")
leaf("internode-no-san", dict(dns_names=[], ip_addresses=[]), "dns_names", "the internode profile needs at least one name")
leaf("frontend-no-san", dict(profile="frontend", dns_names=[], ip_addresses=[]), "dns_names", "the frontend profile needs at least one name")
leaf("cn-65", dict(common_name="n" * 65), "common_name", "is 65 characters long; X.509 allows at most 64")
leaf("client-without-cn", dict(profile="client", dns_names=[], ip_addresses=[]), "common_name", "the client profile needs a common_name")
leaf("country-3-letters", dict(country="USA"), "country", "is not a two-letter ISO 3166 country code")
leaf("organization-whitespace", dict(organization=" Example"), "organization", "has leading or trailing whitespace")
leaf("subject-equals-issuer", dict(common_name="Servers", organization="mtls.temporal tests"), "common_name", "equals that of its issuer")
# temporal_leaf: the issuer
case("leaf", "wrong-ca-passphrase", lambda lab: lab.with_issuer(lab.locked, ca_private_key_passphrase="not-it"),
     "ca_private_key_passphrase", "wrong passphrase")
case("leaf", "encrypted-ca-key-no-passphrase", lambda lab: lab.with_issuer(lab.locked), "ca_private_key_passphrase", "is encrypted; give its passphrase")
case("leaf", "ca-not-a-ca", lambda lab: lab.with_issuer(lab.leaf_factory("other", "client", lab.servers, common_name="other", chain_path=None)),
     "ca_path", "is not a CA certificate")
case("leaf", "ca-key-mismatch", lambda lab: lab.leaf(ca_private_key_path=lab.stray_key), "ca_private_key_path", "does not match the CA certificate")
case("leaf", "ca-expired", lambda lab: lab.with_issuer(lab.expired), "ca_path", "expired on")
case("leaf", "ca-missing", lambda lab: lab.leaf(ca_path=lab.p("no-such-ca.pem")), "ca_path", "does not exist")
case("leaf", "ca-path-holds-a-key", lambda lab: lab.leaf(ca_path=lab.servers["private_key_path"]), "ca_path", "is a PRIVATE KEY, not a CERTIFICATE")
case("leaf", "ca-key-option-unset", lambda lab: without(lab.leaf(), "ca_private_key_path"), "ca_private_key_path", "required when state is present")
case("leaf", "name-constraints-dns-outside", lambda lab: lab.with_issuer(lab.constrained, dns_names=["node1.example.com"]),
     "dns_names", "is outside the names permitted")
case("leaf", "name-constraints-dns-excluded", lambda lab: lab.with_issuer(lab.constrained, dns_names=["evil.temporal.test"]),
     "dns_names", "is excluded by the name constraints")
case("leaf", "name-constraints-ip-outside", lambda lab: lab.with_issuer(lab.constrained, dns_names=["node1.temporal.test"], ip_addresses=["192.168.0.1"]),
     "ip_addresses", "is outside the networks permitted")
# temporal_leaf: CSRs
case("leaf", "csr-rsa-1024", lambda lab: lab.csr_leaf(make_csr(rsa.generate_private_key(public_exponent=65537, key_size=1024))),
     "csr_content", "RSA key of 1024 bits is too weak")
case("leaf", "csr-p521", lambda lab: lab.csr_leaf(make_csr(ec.generate_private_key(ec.SECP521R1()))), "csr_content", "has a key type outside")
case("leaf", "csr-bad-signature", lambda lab: lab.csr_leaf(tampered_csr()), "csr_content", "the signature of the CSR")
case("leaf", "csr-asks-for-ca", lambda lab: lab.csr_leaf(make_csr(ec.generate_private_key(ec.SECP256R1()), ca=True)), "csr_content", "asks for CA:true")
case("leaf", "csr-not-pem", lambda lab: lab.csr_leaf(b"-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgQ1NS\n-----END CERTIFICATE REQUEST-----\n"),
     "csr_content", "is not a readable PEM certificate signing request")
case("leaf", "csr-path-missing", lambda lab: dict(without(lab.csr_leaf(b""), "csr_content"), csr_path=lab.p("no-such.csr")), "csr_path", "does not exist")
case("leaf", "csr-with-pkcs12", lambda lab: lab.csr_leaf(make_csr(ec.generate_private_key(ec.SECP256R1())), pkcs12_path=lab.node1["pkcs12_path"]),
     "pkcs12_path", "needs the private key")
case("leaf", "csr-and-private-key", lambda lab: lab.leaf(csr_content=make_csr(ec.generate_private_key(ec.SECP256R1())).decode()),
     "private_key_path", "mutually exclusive")


# temporal_leaf: unreadable existing files are kept, not replaced, without force
def _spoil(lab, option, data):
    args = lab.leaf()
    write_pem(args[option], data)
    return args


case("leaf", "existing-key-unreadable", lambda lab: _spoil(lab, "private_key_path", b"not a key\n"), "private_key_path", "is not a readable PEM private key",
     own=True)
case("leaf", "existing-cert-unreadable", lambda lab: _spoil(lab, "path", b"not a certificate\n"), "path", "set force to replace it", own=True)

# temporal_ca
ca("rsa-1024-key-type", dict(key_type="rsa-1024"), "key_type", "must be one of")
ca("validity-30x", dict(validity="30x"), "validity", "is not a duration")
ca("validity-negative", dict(validity="-5d"), "validity", "is not a duration")
ca("validity-0", dict(validity="0"), "validity", "is not a duration")
ca("renew-before-30x", dict(renew_before="30x"), "renew_before", "is neither a duration nor a percentage")
ca("renew-before-negative", dict(renew_before="-5d"), "renew_before", "is neither a duration nor a percentage")
ca("renew-before-equals-validity", dict(validity="30d", renew_before="30d"), "renew_before", "is not shorter than validity")
ca("intermediate-beyond-parent-forced", dict(validity="4000d", force=True), "validity", "the intermediate CA would end on")
case("ca", "intermediate-beyond-parent-new", lambda lab: lab.intermediate(validity="4000d", common_name="Servers 2", **lab.paths("servers2")),
     "validity", "the intermediate CA would end on")
ca("nc-empty-dns", dict(name_constraints_permitted=["DNS:"]), "name_constraints_permitted", "must look like DNS:example.com")
ca("nc-host-bits", dict(name_constraints_permitted=["IP:10.0.0.1/8"]), "name_constraints_permitted", "is not a network in CIDR form")
ca("nc-uri", dict(name_constraints_permitted=["URI:spiffe://temporal.test"]), "name_constraints_permitted", "only DNS and IP name constraints")
ca("nc-wildcard", dict(name_constraints_permitted=["DNS:*.temporal.test"]), "name_constraints_permitted", "a name constraint has no wildcards")
ca("nc-excluded-space", dict(name_constraints_excluded=["DNS:bad name.test"]), "name_constraints_excluded", "contains whitespace")
ca("path-length-negative", dict(path_length=-1), "path_length", "is negative")
ca("path-length-not-below-parent", dict(path_length=1), "path_length", "is not below the parent's path length 1")
ca("cn-65", dict(common_name="c" * 65), "common_name", "is 65 characters long")
ca("no-subject", dict(common_name=None, organization=None), "common_name", "a CA needs a subject")
ca("subject-equals-parent", dict(common_name="Root"), "common_name", "equals that of its issuer")
case("ca", "parent-without-key", lambda lab: without(lab.intermediate(), "parent_ca_private_key_path"), "parent_ca_private_key_path", "required together")
case("ca", "parent-key-mismatch", lambda lab: lab.intermediate(parent_ca_private_key_path=lab.stray_key), "parent_ca_private_key_path", "does not match")
case("ca", "parent-not-a-ca", lambda lab: lab.intermediate(parent_ca_path=lab.leaf_factory("x", "client", lab.servers, common_name="x")["path"],
                                                           parent_ca_private_key_path=lab.p("x.key")),
     "parent_ca_path", "is not a CA certificate")
case("ca", "parent-expired", lambda lab: lab.intermediate(parent_ca_path=lab.expired["path"], parent_ca_private_key_path=lab.expired["private_key_path"]),
     "parent_ca_path", "expired on")
case("ca", "parent-path-length-0", lambda lab: lab.intermediate(parent_ca_path=lab.servers["path"], parent_ca_private_key_path=lab.servers["private_key_path"],
                                                                common_name="Sub0", **lab.paths("Sub0")),
     "parent_ca_path", "has path length 0 and cannot issue an intermediate CA")
case("ca", "wrong-parent-passphrase", lambda lab: lab.under(lab.locked, parent_ca_private_key_passphrase="not-it"),
     "parent_ca_private_key_passphrase", "wrong passphrase")
case("ca", "parent-encrypted-no-passphrase", lambda lab: lab.under(lab.locked, parent_ca_private_key_passphrase=None),
     "parent_ca_private_key_passphrase", "is encrypted; give its passphrase")
case("ca", "own-key-wrong-passphrase", lambda lab: dict(lab.locked, private_key_passphrase="not-it"), "private_key_passphrase", "wrong passphrase")
case("ca", "own-key-encrypted-no-passphrase", lambda lab: dict(lab.locked, private_key_passphrase=None), "private_key_passphrase", "is encrypted")


# temporal_tls_config: what the server refuses at startup
def _set(block_path, **values):
    def mutate(args, lab):
        block = args
        for key in block_path.split("."):
            block = block[key]
        block.update(values)

    return mutate


tls("cert-file-and-data", _set("internode.server", cert_data="-----BEGIN CERTIFICATE-----"), "internode.server", "cert_file and cert_data are both set")
tls("key-file-and-data", _set("frontend.server", key_data="-----BEGIN PRIVATE KEY-----"), "frontend.server", "key_file and key_data are both set")


def _worker_with_cert_data(args, lab):
    server = args["internode"]["server"]
    args["system_worker"] = dict(cert_file=server["cert_file"], key_file=server["key_file"], cert_data="-----BEGIN CERTIFICATE-----")


tls("worker-cert-file-and-data", _worker_with_cert_data, "system_worker", "cert_file and cert_data are both set")
tls("client-ca-entry-empty", _set("internode.server", client_ca_files=["", "/ca.pem"]), "client_ca_files", "entry 1 of client_ca_files is empty")
tls("root-ca-entry-blank", lambda a, lab: a["frontend"]["client"]["root_ca_files"].append("  "), "root_ca_files", "entry 2 of root_ca_files is empty")
tls("client-ca-data-entry-empty", _set("frontend.server", client_ca_files=None, client_ca_data=[""]), "client_ca_data", "entry 1 of client_ca_data is empty")
tls("host-override-empty-key", _set("frontend", host_overrides={"": dict(cert_file="/c.pem", key_file="/k.pem")}),
    "frontend.host_overrides", "an empty host name key")
tls("host-override-blank-key", _set("frontend", host_overrides={" ": dict(cert_file="/c.pem", key_file="/k.pem")}),
    "frontend.host_overrides", "an empty host name key")
tls("host-override-key-with-space", _set("frontend", host_overrides={"acme temporal.test": dict(cert_file="/c.pem", key_file="/k.pem")}),
    "frontend.host_overrides", "contains whitespace")
tls("host-override-not-a-mapping", _set("frontend", host_overrides={"acme.temporal.test": "/c.pem"}), "frontend.host_overrides", "must be a mapping")
tls("host-override-unknown-option", _set("frontend", host_overrides={"acme.temporal.test": dict(certificate="/c.pem")}),
    "frontend.host_overrides", "Supported parameters include")
tls("remote-cluster-empty-key", lambda a, lab: a.update(remote_clusters={"": {}}), "remote_clusters", "an empty host key")
tls("key-without-cert", _set("internode.server", cert_file=None), "internode.server", "a key without a certificate")
tls("key-not-matching-cert", lambda a, lab: a["internode"]["server"].update(key_file=a["frontend"]["server"]["key_file"]),
    "internode.server", "does not match the certificate")
tls("server-name-with-space", _set("internode.client", server_name="internode temporal.test"), "internode.client.server_name", "contains whitespace")
tls("config-without-server-block", lambda a, lab: [a.pop(k) for k in ("internode", "frontend", "expiration_checks")], "config_path", "need at least one of")
tls("unknown-relaxed-check", lambda a, lab: a.update(relaxed_checks=["everything"]), "relaxed_checks", "must be one or more of")
# temporal_tls_config: durations (a plain day unit such as 30d is accepted and written as 720h; Go's own fractions and ms are not)
tls("refresh-30x", lambda a, lab: a.update(refresh_interval="30x"), "refresh_interval", "is not a duration")
tls("refresh-negative", lambda a, lab: a.update(refresh_interval="-1m"), "refresh_interval", "is not a duration")
tls("refresh-go-ms-with-days", lambda a, lab: a.update(refresh_interval="1d300ms"), "refresh_interval", "is not a duration")
tls("refresh-empty", lambda a, lab: a.update(refresh_interval=""), "refresh_interval", "is not a duration")
tls("warning-window-30x", _set("expiration_checks", warning_window="30x"), "expiration_checks.warning_window", "is not a duration")
tls("error-window-fractional-days", _set("expiration_checks", error_window="1.5d"), "expiration_checks.error_window", "is not a duration")
tls("check-interval-negative", _set("expiration_checks", check_interval="-5d"), "expiration_checks.check_interval", "is not a duration")
# temporal_tls_config: traps refused unless relaxed
tls("client-auth-without-ca", _set("frontend.server", client_ca_files=None), "require_client_auth", "without client CAs")
tls("refresh-disabled", lambda a, lab: a.update(refresh_interval="0s"), "refresh_interval", "never re-read")
tls("host-verification-disabled", _set("frontend.client", disable_host_verification=True), "disable_host_verification", "turns off all server certificate")
# temporal_tls_config: the client profile and temporal.toml
tls("profile-with-space", _set("client", profile="my profile"), "client.profile", "may hold only letters, digits")
tls("profile-with-dot", _set("client", profile="a.b"), "client.profile", "may hold only letters, digits")
tls("profile-empty", _set("client", profile=""), "client.profile", "may hold only letters, digits")
tls("address-without-port", _set("client", address="frontend.temporal.test"), "client.address", "is not host:port")
tls("address-empty", _set("client", address=""), "client.address", "is not host:port")
tls("address-port-out-of-range", _set("client", address="frontend.temporal.test:99999"), "client.address", "is not host:port")
tls("client-server-name-wildcard", _set("client", server_name="*.*.temporal.test"), "client.server_name", "has a wildcard")
tls("client-cert-without-key", _set("client", key_file=None), "cert_file", "key_file go together")
tls("client-embed-with-env", _set("client", embed=True), "client.env_path", "PEM text does not survive env files")


def _replaced(name, data):
    """The valid config and profile rendered, then the file name replaced with data the module cannot merge into."""

    def build(lab):
        args = lab.tls()
        write_pem(lab.p(name), data)
        return args

    return build


case("tls", "existing-config-is-template", _replaced("config.yaml", b"# enable-template\nglobal:\n  tls: {}\n"), "config_path", "is a Go template", own=True)
case("tls", "existing-toml-invalid", _replaced("temporal.toml", b"[profile.payments\naddress = 1\n"), "client.toml_path", "is not valid TOML", own=True)
case("tls", "env-file-cannot-hold-system-worker",
     lambda lab: dict(lab.tls_env(), system_worker=dict(client=dict(server_name="frontend.temporal.test", root_ca_files=[lab.root["path"]]))),
     "env_path", "cannot express system_worker")


def secrets_of(args):
    found = []
    for key, value in args.items():
        if isinstance(value, dict):
            found.extend(secrets_of(value))
        elif ("passphrase" in key or key == "key_data") and isinstance(value, str) and value:
            found.append(value)
    return found


@pytest.fixture(scope="module")
def shared_lab(tmp_path_factory):
    return Lab(tmp_path_factory.mktemp("lab"))


@pytest.mark.parametrize("bad", CASES, ids=[c.id for c in CASES])
def test_module_refuses_bad_input_and_writes_nothing(bad, shared_lab, run_module, tmp_path, tally):
    lab = Lab(tmp_path) if bad.own else shared_lab
    args = bad.build(lab)
    before = tree(lab.tmp)
    assert before["files"], "every case starts from existing files"
    run = run_module(MODULES[bad.module], args)
    after = tree(lab.tmp)
    assert run.failed and not run.changed, run.result
    assert bad.option in run.msg and bad.phrase in run.msg, run.msg
    assert "Traceback" not in run.msg and "exception" not in run.result
    for secret in secrets_of(args):
        assert secret not in json.dumps(run.result)
    assert after["names"] == before["names"], "names appeared or vanished: {0}".format(after["names"] ^ before["names"])
    assert after == before
    tally("bad_inputs")


def test_the_table_is_comprehensive():
    """The suite's promise: at least 45 distinct bad inputs across the three modules, plus the role cases."""
    assert len({c.id for c in CASES}) == len(CASES) >= 45
    assert {c.module for c in CASES} == set(MODULES)


# --- roles: argument specs, through real ansible-playbook -------------------------------------------------

# Every path a role could touch points into the case's own directory, so nothing escapes it even if
# validation let a value through.
ROLE_PATHS = dict(
    pki_dir="pki",
    node_certs_pki_dir="pki",
    node_certs_dir="node/tls",
    client_certs_pki_dir="pki",
    client_certs_dir="pki/clients",
    client_certs_host_dir="node/clients",
    server_tls_config_path="node/config.yaml",
    server_tls_env_path="node/tls.env",
    server_tls_dynamic_config_path="node/dynamicconfig.yaml",
    server_tls_certs_dir="node/tls",
)

# by_spec: refused by the argument spec check (the role's first task); else by the role's own checks, before it writes.
RoleCase = collections.namedtuple("RoleCase", "id role variable value phrase by_spec", defaults=(True,))
ROLE_CASES = [
    RoleCase("node-certs-dict-for-list", "node_certs", "node_certs_ip_addresses", {"node1": "10.0.0.1"},
             "is of type dict and we were unable to convert to list"),
    RoleCase("node-certs-bool", "node_certs", "node_certs_force", "maybe", "unable to convert to bool"),
    RoleCase("pki-int-for-key-type", "pki", "pki_root_key_type", 5, "must be one of"),
    RoleCase("client-certs-list-for-dict", "client_certs", "client_certs_identities", [["payments"]], "unable to convert to dict"),
    RoleCase("server-tls-list-for-dict", "server_tls", "server_tls_expiration_checks", [1], "is of type list and we were unable to convert to dict"),
    # ansible's own check turns any value into its text for a str option; the role's check must refuse it before
    # node_certs creates its directory.
    RoleCase("node-certs-list-for-str", "node_certs", "node_certs_validity", [1], "is of type list, not a string"),
    RoleCase("pki-dict-for-str", "pki", "pki_root_common_name", {"cn": "Root"}, "is of type dict, not a string"),
    RoleCase("server-tls-list-for-path", "server_tls", "server_tls_env_path", ["/tmp/a"], "is of type list, not a string"),
    RoleCase("node-certs-dict-in-str-list", "node_certs", "node_certs_extra_dns_names", ["lb.example.com", {"a": 1}],
             "[1] is of type dict, not a string"),
    RoleCase("pki-client-group-without-name", "pki", "pki_client_groups", [{"common_name": "Accounting CA"}],
             "missing required arguments: name"),
    RoleCase("pki-client-group-name-with-slash", "pki", "pki_client_groups", [{"name": "acc/ounting"}],
             "pki_client_groups: 'acc/ounting' must be letters, digits", by_spec=False),
    RoleCase("pki-client-group-twice", "pki", "pki_client_groups", [{"name": "accounting"}, {"name": "accounting"}],
             "pki_client_groups: 'accounting' is named twice", by_spec=False),
    RoleCase("client-certs-unknown-client-group", "client_certs", "client_certs_identities", [{"name": "ledger", "client_group": "nope"}],
             "/pki/clients-nope-ca.key", by_spec=False),
]


def _seed(work):
    """Valid files the roles would read or replace: a CA certificate and key, and a Temporal config."""
    for sub in ("pki", "node/tls"):
        os.makedirs(os.path.join(work, sub))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Seed Root CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True).sign(key, hashes.SHA256()))
    write_pem(os.path.join(work, "pki", "root-ca.pem"), cert.public_bytes(serialization.Encoding.PEM))
    write_pem(os.path.join(work, "pki", "root-ca.key"), key_pem(key))
    write_pem(os.path.join(work, "node", "config.yaml"), b"global:\n  membership:\n    maxJoinDuration: 30s\n")


@pytest.fixture(scope="module")
def role_runs(tmp_path_factory):
    """Every role case's playbook, started together (each run is mostly waiting), with its tree before and after."""
    env = tool_env()
    started = {}
    for role_case in ROLE_CASES:
        base = tmp_path_factory.mktemp(role_case.id)
        work = str(base / "work")
        _seed(work)
        play = dict(
            hosts="localhost",
            gather_facts=False,
            vars={name: os.path.join(work, sub) for name, sub in ROLE_PATHS.items()},
            tasks=[{"ansible.builtin.include_role": {"name": "mtls.temporal." + role_case.role}, "vars": {role_case.variable: role_case.value}}],
        )
        playbook = base / "play.yml"
        playbook.write_text(yaml.safe_dump([play], sort_keys=False))
        before = tree(work)
        cmd = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=" + str(BIN / "python"), str(playbook)]
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        started[role_case.id] = (proc, work, before)
    results = {}
    for case_id, (proc, work, before) in started.items():
        output = proc.communicate(timeout=300)[0]
        results[case_id] = dict(rc=proc.returncode, output=output, before=before, after=tree(work))
    return results


@pytest.mark.slow
@pytest.mark.parametrize("bad", ROLE_CASES, ids=[c.id for c in ROLE_CASES])
def test_role_refuses_bad_variables_before_writing(bad, role_runs, tally):
    run = role_runs[bad.id]
    assert run["rc"] != 0, run["output"][-3000:]
    assert ("Validation of arguments failed" in run["output"]) == bad.by_spec, run["output"][-3000:]
    errors = [line for line in run["output"].splitlines() if bad.variable in line and bad.phrase in line]
    assert errors, run["output"][-3000:]
    assert run["after"] == run["before"]
    tally("bad_inputs")
