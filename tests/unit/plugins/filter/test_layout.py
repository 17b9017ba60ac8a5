"""The layout filters build the roles' module arguments: what each role issues, ships and renders."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mtls.temporal.plugins.filter import layout
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.layout import NODE_FILES

SETTINGS = dict(key_type="ecdsa-p256", validity="365d", renew_before="33%", force=False, not_after_behavior="truncate")


def requests(**extra):
    args = dict(pki_dir="/pki", dns_names=["node1", ""], ip_addresses=["10.0.0.1"], internode_server_name="internode.test",
                frontend_server_names=["temporal.test", "node1"], extra_dns_names=["extra.test", "internode.test"])
    args.update(SETTINGS)
    args.update(extra)
    return layout.node_cert_requests("node1", **args)


def test_node_requests_name_each_listener_once_and_keep_keys_with_the_certificates():
    internode, frontend = requests()
    assert internode["profile"] == "internode" and frontend["profile"] == "frontend"
    assert internode["dns_names"] == ["node1", "internode.test", "extra.test"]
    assert frontend["dns_names"] == ["node1", "temporal.test", "extra.test", "internode.test"]
    assert internode["path"] == "/pki/nodes/node1/internode.pem" and internode["chain_path"] == "/pki/nodes/node1/internode-chain.pem"
    assert internode["private_key_path"] == "/pki/nodes/node1/internode.key" and "csr_content" not in internode
    assert {key: internode[key] for key in SETTINGS} == SETTINGS and internode["ip_addresses"] == ["10.0.0.1"]


def test_node_requests_take_each_csr_by_the_certificate_it_was_made_for():
    csrs = [dict(item="frontend", csr="FRONTEND CSR"), dict(item="internode", csr="INTERNODE CSR")]
    internode, frontend = requests(csrs=csrs)
    assert internode["csr_content"] == "INTERNODE CSR" and frontend["csr_content"] == "FRONTEND CSR"
    assert "private_key_path" not in internode
    with pytest.raises(AnsibleFilterError, match="no CSR for the 'frontend' certificate"):
        requests(csrs=csrs[1:])


@pytest.mark.parametrize("keys_on_controller", [True, False])
def test_node_files_ship_keys_only_when_the_controller_made_them(keys_on_controller):
    files = layout.node_tls_files("node1", "/pki", "/etc/temporal/tls", keys_on_controller, "0644", "0600")
    by_name = {entry["path"].rsplit("/", 1)[1]: entry for entry in files}
    keys = {"internode.key", "frontend.key"}
    assert set(by_name) == set(NODE_FILES.values()) - (set() if keys_on_controller else keys)
    assert by_name["internode.pem"]["src"] == "/pki/nodes/node1/internode-chain.pem"  # the chain, which the server presents
    assert by_name["frontend-clients-ca.pem"]["src"] == "/pki/bundles/frontend-clients.pem"
    for name, entry in by_name.items():
        assert entry["secret"] == (name in keys) and entry["mode"] == ("0600" if name in keys else "0644")


def test_server_blocks_point_at_the_shipped_files():
    files = layout.node_files("/tls")
    blocks = layout.server_tls_blocks("/tls", True, internode_server_name="internode.test")
    assert blocks["internode"]["server"] == dict(cert_file=files["internode_cert"], key_file=files["internode_key"],
                                                 client_ca_files=[files["internode_ca"]], require_client_auth=True)
    assert blocks["internode"]["client"] == dict(root_ca_files=[files["internode_ca"]], server_name="internode.test")
    assert blocks["frontend"]["server"]["client_ca_files"] == ["/tls/frontend-clients-ca.pem"]
    assert blocks["frontend"]["client"] == dict(root_ca_files=[files["internode_ca"]])  # no server_name: none sent
    assert blocks["system_worker"] is None


def test_the_system_worker_presents_the_delivered_identity():
    blocks = layout.server_tls_blocks("/tls", False, frontend_server_name="temporal.test", system_worker_dir="/clients/worker")
    assert blocks["system_worker"] == dict(cert_file="/clients/worker/client-chain.pem", key_file="/clients/worker/client.key",
                                           client=dict(root_ca_files=["/clients/worker/server-roots.pem"], server_name="temporal.test"))


def test_identity_requests_keep_to_their_group_and_fall_back_on_namespace_then_name():
    identities = [dict(name="payments", namespace="pay-ns", pkcs12=True), dict(name="billing"),
                  dict(name="shipping", client_group="partners", common_name="ship", profile="worker", dns_names=["ship.test"]),
                  dict(name="ledger", own_client_group=True)]
    ours = layout.identity_cert_requests(identities, "", "/clients", **SETTINGS)
    assert [r["common_name"] for r in ours] == ["pay-ns", "billing"]
    assert ours[0]["pkcs12_path"] == "/clients/payments/client.pfx" and ours[1]["pkcs12_path"] is None
    assert ours[1] == dict(SETTINGS, profile="client", common_name="billing", dns_names=[], path="/clients/billing/client.pem",
                           chain_path="/clients/billing/client-chain.pem", private_key_path="/clients/billing/client.key", pkcs12_path=None)
    (own,) = layout.identity_cert_requests(identities, "ledger", "/clients", **SETTINGS)
    assert own["path"] == "/clients/ledger/client.pem"
    (partner,) = layout.identity_cert_requests(identities, "partners", "/clients", **SETTINGS)
    assert (partner["common_name"], partner["profile"], partner["dns_names"]) == ("ship", "worker", ["ship.test"])
    with pytest.raises(AnsibleFilterError, match="mapping with a name"):
        layout.identity_cert_requests([dict(namespace="x")], "", "/clients", **SETTINGS)


def test_identity_profiles_on_the_controller_share_one_file_and_on_a_host_use_its_own():
    identity = dict(name="payments")
    controller = layout.identity_profile(identity, "/clients", "temporal.test:7233", "temporal.test", pki_dir="/pki")
    host = layout.identity_profile(identity, "/etc/temporal/clients", "temporal.test:7233")
    assert controller["toml_path"] == "/clients/temporal.toml" and controller["ca_file"] == "/pki/bundles/server-roots.pem"
    assert controller["server_name"] == "temporal.test" and controller["namespace"] == "payments" and "server_cert_file" not in controller
    checked = layout.identity_profile(identity, "/clients", "temporal.test:7233", "temporal.test", pki_dir="/pki", frontend_host="node1")
    assert checked["server_cert_file"] == "/pki/nodes/node1/frontend-chain.pem"
    assert host["toml_path"] == "/etc/temporal/clients/payments/temporal.toml" and "server_name" not in host
    assert host["ca_file"] == "/etc/temporal/clients/payments/server-roots.pem"
    delivered = {entry["path"]: entry for entry in layout.identity_files(identity, "/clients", "/pki", "/etc/temporal/clients")}
    assert {host["cert_file"], host["key_file"], host["ca_file"]} == set(delivered)
    assert delivered[host["key_file"]]["secret"] and delivered[host["ca_file"]]["src"] == controller["ca_file"]


def test_intermediates_name_each_client_group_and_default_its_common_name():
    cas = layout.intermediate_cas([dict(name="partners"), dict(name="ops", common_name="Ops CA")], "Servers CA", "Clients CA")
    assert cas == [dict(name="servers", common_name="Servers CA"), dict(name="clients", common_name="Clients CA"),
                   dict(name="clients-partners", common_name="Clients CA (partners)"), dict(name="clients-ops", common_name="Ops CA")]
    with pytest.raises(AnsibleFilterError, match="each with a name"):
        layout.intermediate_cas([dict(common_name="x")], "S", "C")


def test_trust_bundles_put_new_cas_first_and_replaced_ones_last_where_they_exist(tmp_path):
    for name in ("next/servers-ca.pem", "old/clients-ca.pem"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("")
    bundles = {entry["path"].rsplit("/", 1)[1]: entry["bundle_srcs"] for entry in layout.trust_bundles(str(tmp_path), [dict(name="partners")])}
    pki = str(tmp_path)
    assert bundles["internode.pem"] == [pki + "/next/servers-ca.pem", pki + "/servers-ca.pem"]
    # The newest client CA first: the group's was made after the clients CA.
    assert bundles["frontend-clients.pem"] == [pki + "/next/servers-ca.pem", pki + "/clients-partners-ca.pem", pki + "/clients-ca.pem",
                                               pki + "/servers-ca.pem", pki + "/old/clients-ca.pem"]
    assert bundles["server-roots.pem"] == [pki + "/root-ca.pem"]


def issuer(issuer_id, default=False):
    return dict(id=issuer_id, is_default=default, certificate="CERT " + issuer_id, ca_chain=["CERT " + issuer_id, "ROOT"])


def test_vault_trust_follows_the_default_issuer_and_a_recorded_rotation():
    mounts = [dict(item="pki", default="a", issuers=[issuer("a", True), issuer("b")])]
    assert layout.vault_trust(mounts, {})["pki"] == dict(default="CERT a", ids=["a"], chains=["CERT a", "ROOT"], missing=[])
    rotating = dict(state="introduced", vault=dict(pki=dict(new="b", old="a")))
    assert layout.vault_trust(mounts, rotating)["pki"]["chains"] == ["CERT b", "ROOT", "CERT a", "ROOT"]
    retired = dict(state="retired", vault=dict(pki=dict(new="b", old="a")))
    assert layout.vault_trust(mounts, retired)["pki"]["ids"] == ["a"]
    gone = dict(state="reissued", vault=dict(pki=dict(new="b", old="gone")))
    assert layout.vault_trust(mounts, gone)["pki"]["missing"] == ["pki: gone"]


def test_vault_trust_files_stand_in_for_the_local_cas():
    trust = layout.vault_trust([dict(item="servers", default="s", issuers=[issuer("s", True)]),
                                dict(item="clients", default="c", issuers=[issuer("c", True)])], {})
    files = {entry["path"]: entry["content"] for entry in layout.vault_trust_files(trust, "/pki", "servers", "clients")}
    assert files["/pki/servers-ca.pem"] == "CERT s\n" and files["/pki/clients-ca.pem"] == "CERT c\n"
    assert files["/pki/bundles/frontend-clients.pem"] == "CERT c\nROOT\nCERT s\n"  # the shared root once
    assert files["/pki/bundles/internode.pem"] == files["/pki/bundles/server-roots.pem"] == "CERT s\nROOT\n"


def test_ca_file_names_give_intermediates_a_chain_and_the_root_none():
    assert layout.ca_file_names(["root", "servers"]) == ["root-ca.pem", "root-ca.key", "servers-ca.pem", "servers-ca.key", "servers-ca-chain.pem"]


def test_rotation_leaves_check_nodes_against_the_servers_ca_and_identities_against_any_clients_ca():
    nodes, clients = layout.rotation_leaves("/pki", ["node1"], ["payments"], ["clients", "clients-partners"])
    assert nodes == dict(label="servers", issuer_files=["/pki/servers-ca.pem"], paths=["/pki/nodes/node1/internode.pem", "/pki/nodes/node1/frontend.pem"])
    assert clients == dict(label="clients, clients-partners", issuer_files=["/pki/clients-ca.pem", "/pki/clients-partners-ca.pem"],
                           paths=["/pki/clients/payments/client.pem"])


def test_rotation_stale_names_old_files_missing_ones_and_hosts_not_read():
    hostvars = dict(
        node1=dict(server_tls_in_use=dict(files=[dict(path="/tls/internode.pem", exists=True, issued_by_issuer=False),
                                                 dict(path="/tls/frontend.pem", exists=False, issued_by_issuer=False),
                                                 dict(path="/tls/ok.pem", exists=True, issued_by_issuer=True)])),
        node2=dict(server_tls_in_use=dict(unreachable=True, msg=" ssh: connect refused\n")),
        node3=dict(),
        worker1=dict(client_certs_in_use=dict(skipped=True)),
        elsewhere=dict(client_certs_in_use=dict(failed=True, msg="boom")),
    )
    deployed = layout.rotation_deployed(["node1", "node2", "node3"], ["worker1", "elsewhere", "worker1"], ["localhost", "worker1"], hostvars)
    assert [entry["host"] for entry in deployed] == ["node1", "node2", "node3", "worker1"]  # elsewhere was not read by the play
    assert layout.rotation_stale(deployed) == ["node1:/tls/internode.pem", "node1:/tls/frontend.pem (missing)",
                                               "node2 (unreachable: ssh: connect refused)", "node3 (not read: not in this run)"]


MOUNTS = [dict(item="pki", default="old-id", issuers=[dict(id="old-id", name="gen1"), dict(id="new-id", name="gen2")])]


def test_vault_introduce_records_the_new_issuer_by_name_and_refuses_the_current_default():
    assert layout.vault_rotation("introduce", MOUNTS, "pki", "gen2", "pki", "", {}, "/pki") == dict(errors=[], vault=dict(pki=dict(new="new-id", old="old-id")))
    refused = layout.vault_rotation("introduce", MOUNTS, "pki", "old-id", "pki", "", {}, "/pki")
    assert refused["errors"] == ["old-id is already the default issuer of pki: introduce must trust it before any leaf comes from it; make the old "
                                 "issuer the default again, or rotate without introduce"] and refused["vault"] == {}
    assert layout.vault_rotation("introduce", MOUNTS, "pki", "gen3", "pki", "", {}, "/pki")["errors"] == ["pki has no issuer gen3 (it has old-id, new-id)"]
    assert "differ" in layout.vault_rotation("introduce", MOUNTS, "pki", "gen2", "pki", "old-id", {}, "/pki")["errors"][0]
    assert "set pki_vault_servers_next_issuer" in layout.vault_rotation("introduce", MOUNTS, "pki", "", "pki", "", {}, "/pki")["errors"][0]


def test_vault_reissue_needs_the_new_issuer_as_default_and_says_how():
    recorded = dict(state="introduced", vault=dict(pki=dict(new="new-id", old="old-id")))
    (error,) = layout.vault_rotation("reissue", MOUNTS, "pki", "", "pki", "", recorded, "/pki")["errors"]
    assert error == ("the default issuer of pki is old-id, not the new issuer new-id: make it the default (vault write pki/config/issuers "
                     "default=new-id, or pki_vault_set_default=true) and rerun reissue")
    switched = [dict(MOUNTS[0], default="new-id")]
    assert layout.vault_rotation("retire", switched, "pki", "", "pki", "", recorded, "/pki") == dict(errors=[], vault=recorded["vault"])
    assert "records no Vault rotation" in layout.vault_rotation("retire", switched, "pki", "", "pki", "", {}, "/pki")["errors"][0]


def test_ca_files_name_each_cas_certificate_key_and_chain():
    from ansible_collections.mtls.temporal.plugins.filter.layout import ca_files
    assert ca_files(["servers"], "/pki") == [dict(cert="/pki/servers-ca.pem", key="/pki/servers-ca.key", chain="/pki/servers-ca-chain.pem")]
    assert [files["key"] for files in ca_files(["partners", "ops"], "/pki", client_groups=True)] == ["/pki/clients-partners-ca.key", "/pki/clients-ops-ca.key"]
