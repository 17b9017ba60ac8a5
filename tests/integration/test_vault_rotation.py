"""pki_issuer=vault against a real OpenBao dev server: the pki role writes the trust bundles from a mount's issuers, and
mtls.temporal.rotate_ca moves a Vault-issued fleet (one node, one client identity) to a new issuer of the mount through
introduce, reissue and retire. Also a renewal-window reissue through Vault and node-made keys signed by Vault."""

from __future__ import annotations

import json
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from conftest import REPO, changed_per_host, tool_env

hvac = pytest.importorskip("hvac")

from ansible_collections.mtls.temporal.plugins.modules import temporal_leaf  # noqa: E402
from test_vault_issuer import BIN, ROLES, VAULT_ENV, api, bao_server  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.long]

MOUNT = "pki_fleet"


def new_issuer(root, common_name, default):
    """A new intermediate issuer in MOUNT signed by the root mount: (issuer id, certificate)."""
    csr = api(root, "post", MOUNT + "/intermediate/generate/internal", common_name=common_name, key_type="ec", key_bits=256)["data"]["csr"]
    signed = api(root, "post", "pki/root/sign-intermediate", csr=csr, common_name=common_name, ttl="43800h", format="pem")["data"]
    imported = api(root, "post", MOUNT + "/intermediate/set-signed", certificate=signed["certificate"] + "\n" + signed["issuing_ca"])["data"]
    issuer = next(issuer for issuer, key in imported["mapping"].items() if key)
    if default:
        api(root, "post", MOUNT + "/config/issuers", default=issuer)
    return issuer, x509.load_pem_x509_certificate(signed["certificate"].encode())


@pytest.fixture(scope="module")
def vault(tmp_path_factory):
    home = tmp_path_factory.mktemp("bao-rotation-home")
    with bao_server(home) as (url, root, root_token, _ca):
        api(root, "post", "sys/mounts/pki", type="pki", config=dict(max_lease_ttl="87600h"))
        api(root, "post", "sys/mounts/" + MOUNT, type="pki", config=dict(max_lease_ttl="43800h"))
        root_pem = api(root, "post", "pki/root/generate/internal", common_name="Rotation Test Root", ttl="87600h",
                       key_type="ec", key_bits=256)["data"]["certificate"]
        new_issuer(root, "Fleet CA 1", default=True)
        for name in ("temporal-internode", "temporal-frontend", "temporal-client"):
            # Names from the request, not the CSR: a node's own CSR (node_certs_key_placement=node) carries only its key.
            api(root, "post", "{0}/roles/{1}".format(MOUNT, name), **dict(ROLES[name], use_csr_sans=False, use_csr_common_name=False))
        yield dict(url=url, root=root, token=root_token, root_ca=x509.load_pem_x509_certificate(root_pem.encode()))


@pytest.fixture(autouse=True)
def no_vault_environment(monkeypatch):
    for name in VAULT_ENV:
        monkeypatch.delenv(name, raising=False)


def issued(vault):
    try:
        return len(api(vault["root"], "list", MOUNT + "/certs")["data"]["keys"])
    except hvac.exceptions.InvalidPath:
        return 0


def inventory(root, vault, **extra):
    common = {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}", "mtls_temporal_become": False,
        "pki_dir": str(root / "pki"), "pki_issuer": "vault", "pki_vault_url": vault["url"],
        "pki_vault_servers_mount": MOUNT, "pki_vault_clients_mount": MOUNT,
        "node_certs_dir": str(root) + "/{{ inventory_hostname }}/tls", "node_certs_internode_server_name": "internode.temporal.test",
        "node_certs_dns_names": ["{{ inventory_hostname }}.temporal.test"], "node_certs_frontend_server_names": ["frontend.temporal.test"],
        "node_certs_validity": "30d", "node_certs_issuer": "vault", "node_certs_vault_url": vault["url"], "node_certs_vault_mount": MOUNT,
        "server_tls_config_path": str(root) + "/{{ inventory_hostname }}/config.yaml",
        "server_tls_dynamic_config_path": str(root) + "/{{ inventory_hostname }}/dynamicconfig.yaml",
        "client_certs_issuer": "vault", "client_certs_vault_url": vault["url"], "client_certs_vault_mount": MOUNT,
        "client_certs_validity": "30d", "client_certs_identities": [{"name": "payments"}], "client_certs_server_name": "frontend.temporal.test",
    }
    common.update(extra)
    (root / "inventory.json").write_text(json.dumps({"all": {
        "vars": common, "hosts": {"localhost": {}}, "children": {"temporal_servers": {"hosts": {"node1": {}}}},
    }}))


def play(root, vault, *args):
    env = tool_env(VAULT_TOKEN=vault["token"])
    return subprocess.run([str(BIN / "ansible-playbook"), "-i", str(root / "inventory.json"), *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=600, check=False)


def bundles(root):
    """Every trust bundle: the controller's and the node's copies, each as its list of certificates."""
    paths = [root / "pki" / "bundles" / name for name in ("internode.pem", "frontend-clients.pem", "server-roots.pem")]
    paths += [root / "node1" / "tls" / name for name in ("internode-ca.pem", "frontend-clients-ca.pem")]
    found = {}
    for path in paths:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
        # Nothing but the certificates' PEM blocks, one after the other: no stray text between or after them.
        assert path.read_bytes() == b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs), path
        found[str(path)] = certs
    return found


LEAVES = ("pki/nodes/node1/internode.pem", "pki/nodes/node1/frontend.pem", "node1/tls/internode.pem", "node1/tls/frontend.pem",
          "pki/clients/payments/client.pem")


def leaves(root):
    return {name: x509.load_pem_x509_certificate((root / name).read_bytes()) for name in LEAVES}


def test_a_vault_fleet_rotates_to_a_new_issuer_in_three_steps(tmp_path, vault):
    inventory(tmp_path, vault)
    proc = play(tmp_path, vault, "mtls.temporal.site")
    assert proc.returncode == 0, proc.stdout[-4000:]
    old_ca = x509.load_pem_x509_certificate((tmp_path / "pki" / "servers-ca.pem").read_bytes())
    assert old_ca.subject.rfc4514_string() == "CN=Fleet CA 1"
    for path, certs in bundles(tmp_path).items():
        assert certs == [old_ca, vault["root_ca"]], path
    before = leaves(tmp_path)
    assert {cert.issuer for cert in before.values()} == {old_ca.subject}

    # The operator makes the new issuer, not the default; introduce trusts it first, the leaves stay as they are.
    new_id, new_ca = new_issuer(vault["root"], "Fleet CA 2", default=False)
    proc = play(tmp_path, vault, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=introduce", "-e", "pki_vault_servers_next_issuer=" + new_id)
    assert proc.returncode == 0, proc.stdout[-4000:]
    for path, certs in bundles(tmp_path).items():
        assert certs == [new_ca, vault["root_ca"], old_ca], path
    assert leaves(tmp_path) == before
    record = json.loads((tmp_path / "pki" / "rotation.json").read_text())
    assert record["state"] == "introduced" and record["vault"][MOUNT]["new"] == new_id

    # Reissue without pki_vault_set_default: refused until the new issuer is the default, the command named.
    proc = play(tmp_path, vault, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=reissue")
    assert proc.returncode != 0 and "config/issuers default=" + new_id in proc.stdout, proc.stdout[-4000:]
    # Reissue on the controller only: the identity and the default move; node1 keeps its old leaves, so retire refuses.
    reissue = ["mtls.temporal.rotate_ca", "-e", "rotate_ca_step=reissue", "-e", "pki_vault_set_default=true"]
    proc = play(tmp_path, vault, *reissue, "--limit", "localhost")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert api(vault["root"], "get", MOUNT + "/config/issuers")["data"]["default"] == new_id
    assert leaves(tmp_path)["pki/clients/payments/client.pem"].issuer == new_ca.subject
    proc = play(tmp_path, vault, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=retire")
    assert proc.returncode != 0 and "Not reissued from the new CAs yet" in proc.stdout, proc.stdout[-4000:]
    stale = proc.stdout.split("Not reissued from the new CAs yet")[1].split("\n")[0]
    assert "nodes/node1/internode.pem" in stale and "nodes/node1/frontend.pem" in stale
    assert "node1:{0}".format(tmp_path / "node1" / "tls" / "internode.pem") in stale and "payments" not in stale
    for certs in bundles(tmp_path).values():
        assert certs[0] == new_ca and old_ca in certs

    before_reissue = issued(vault)
    proc = play(tmp_path, vault, *reissue)
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert {cert.issuer for cert in leaves(tmp_path).values()} == {new_ca.subject}
    assert issued(vault) == before_reissue + 2  # node1's internode and frontend certificates
    rerun = play(tmp_path, vault, *reissue)
    assert rerun.returncode == 0 and set(changed_per_host(rerun.stdout).values()) == {0}, rerun.stdout[-4000:]

    proc = play(tmp_path, vault, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=retire")
    assert proc.returncode == 0, proc.stdout[-4000:]
    for path, certs in bundles(tmp_path).items():
        assert certs == [new_ca, vault["root_ca"]], path
    assert json.loads((tmp_path / "pki" / "rotation.json").read_text())["state"] == "retired"
    rerun = play(tmp_path, vault, "mtls.temporal.rotate_ca", "-e", "rotate_ca_step=retire")
    assert rerun.returncode == 0 and set(changed_per_host(rerun.stdout).values()) == {0}, rerun.stdout[-4000:]


def test_the_renewal_window_reissues_through_vault_once(run_module, tmp_path, vault):
    args = dict(profile="frontend", issuer="vault", vault_url=vault["url"], vault_mount=MOUNT, vault_role="temporal-frontend",
                vault_token=vault["token"], validity="2d", dns_names=["frontend.temporal.test"],
                path=str(tmp_path / "frontend.pem"), private_key_path=str(tmp_path / "frontend.key"))
    before = issued(vault)
    assert run_module(temporal_leaf.main, args)["reason"] == "created"
    assert not run_module(temporal_leaf.main, dict(args, renew_before="1d")).changed
    # Two days left, three asked for: one more signature, and the rerun is quiet again.
    renewed = run_module(temporal_leaf.main, dict(args, validity="30d", renew_before="3d"))
    assert renewed.changed and renewed["reason"] == "expiring", renewed.msg
    assert issued(vault) == before + 2
    assert not run_module(temporal_leaf.main, dict(args, validity="30d", renew_before="3d")).changed and issued(vault) == before + 2


def test_node_made_keys_are_signed_by_vault(tmp_path, vault):
    inventory(tmp_path, vault, node_certs_key_placement="node")
    before = issued(vault)
    for run in range(2):
        proc = play(tmp_path, vault, "mtls.temporal.pki", "mtls.temporal.node_certs")
        assert proc.returncode == 0, proc.stdout[-4000:]
        assert issued(vault) == before + 2, run
    tls = tmp_path / "node1" / "tls"
    assert not (tmp_path / "pki" / "nodes" / "node1" / "internode.key").exists()
    mount_ca = x509.load_pem_x509_certificate((tmp_path / "pki" / "servers-ca.pem").read_bytes())
    for name in ("internode", "frontend"):
        cert = x509.load_pem_x509_certificate((tls / (name + ".pem")).read_bytes())
        cert.verify_directly_issued_by(mount_ca)
        key = (tls / (name + ".key")).read_bytes()
        public = serialization.load_pem_private_key(key, password=None).public_key()
        assert public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
            cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
