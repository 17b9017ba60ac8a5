"""pki_rotate_cas: one intermediate rotates under the current root, and only its leaves are reissued."""

from __future__ import annotations

import pytest
from cryptography import x509

from conftest import changed_per_host
from rotation_fleet import (
    HOSTS, rotate, state, cas, assert_bundle_contents, issued_by, digests, make_fleet,
)

pytestmark = [pytest.mark.slow, pytest.mark.long]


@pytest.fixture
def fleet(tmp_path):
    return make_fleet(tmp_path)


def test_one_intermediate_rotates_under_the_same_root(fleet):
    """pki_rotate_cas=servers: a new servers intermediate from the current root; client identities stay as they are."""
    old = cas(fleet / "pki")
    proc = rotate(fleet, "introduce", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "introduced", proc.stdout[-3000:]
    assert sorted(path.name for path in (fleet / "pki" / "next").iterdir()) == ["servers-ca-chain.pem", "servers-ca.key", "servers-ca.pem"]
    new_servers = x509.load_pem_x509_certificate((fleet / "pki" / "next" / "servers-ca.pem").read_bytes())
    assert new_servers != old["servers-ca"] and new_servers.subject == old["servers-ca"].subject
    new_servers.verify_directly_issued_by(old["root-ca"])
    # The new CA first, so that hot reload sees it, also ahead of the clients CA that is not replaced.
    assert_bundle_contents(fleet, {"internode": [new_servers, old["servers-ca"]],
                                   "frontend-clients": [new_servers, old["clients-accounting-ca"], old["clients-ca"], old["servers-ca"]],
                                   "server-roots": [old["root-ca"]]})

    # The rotation in progress replaces servers: a step that names something else is refused and changes nothing.
    before = digests(fleet)
    proc = rotate(fleet, "reissue", "-e", "pki_rotate_cas=clients")
    assert proc.returncode != 0 and "the rotation in progress replaces servers" in proc.stdout, proc.stdout[-3000:]
    assert digests(fleet) == before and state(fleet) == "introduced"

    proc = rotate(fleet, "reissue", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "reissued", proc.stdout[-3000:]
    after = digests(fleet)
    for path in ("node1/tls/internode.pem", "node2/tls/frontend.pem", "pki/nodes/node1/frontend.pem"):
        assert issued_by(fleet / path, new_servers) and after[path] != before[path], path
    unchanged = [path for path in before if path.startswith(("pki/clients/", "worker1/clients/billing/client"))
                 or path in ("pki/root-ca.pem", "pki/root-ca.key", "pki/clients-ca.pem", "pki/clients-ca.key", "pki/clients-accounting-ca.pem")]
    assert unchanged and [path for path in unchanged if after[path] != before[path]] == []
    assert sorted(path.name for path in (fleet / "pki" / "old").iterdir()) == ["servers-ca-chain.pem", "servers-ca.key", "servers-ca.pem"]

    proc = rotate(fleet, "retire", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and state(fleet) == "retired", proc.stdout[-3000:]
    assert_bundle_contents(fleet, {"internode": [new_servers], "frontend-clients": [new_servers, old["clients-accounting-ca"], old["clients-ca"]],
                                   "server-roots": [old["root-ca"]]})
    proc = rotate(fleet, "retire", "-e", "pki_rotate_cas=servers")
    assert proc.returncode == 0 and changed_per_host(proc.stdout) == dict.fromkeys(HOSTS, 0), proc.stdout[-3000:]
