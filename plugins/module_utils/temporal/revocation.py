# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Revocation of a client group: Temporal checks no CRL and no OCSP, so the only way to stop trusting a client is to
take the CA that issued it out of every bundle the frontends read. The unit of revocation is therefore a client
group (its own intermediate); an identity can be revoked alone only when it is the one identity of its group.

The record (<pki_dir>/revoked.json) keeps what was revoked, so that the pki role never re-creates or trusts the group
again and client_certs never silently reissues its identities:
    {"client_groups": {name: {revoked_at, reason, ca: facts}},
     "identities": {name: {client_group, revoked_at, reason, certificates: [facts]}}}
Private to this collection: not a public API."""

from __future__ import annotations

import copy
import json
import os

from ansible_collections.mtls.temporal.plugins.module_utils.disk.files import read_optional
from ansible_collections.mtls.temporal.plugins.module_utils.disk.plan import Backend, Plan
from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.temporal import layout
from ansible_collections.mtls.temporal.plugins.module_utils.temporal.cloud import MAX_FILTERS
from ansible_collections.mtls.temporal.plugins.module_utils.x509.certs import is_issued_by, load_pem_certificates, utcnow
from ansible_collections.mtls.temporal.plugins.module_utils.x509.durations import timestamp
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import common_name_of, sans_of

try:
    from cryptography.hazmat.primitives import hashes
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

EMPTY_RECORD = {"client_groups": {}, "identities": {}}


def parse_record(data, path):
    """The record in data (bytes or None for no file); anything else is an error naming the file."""
    if data is None:
        return copy.deepcopy(EMPTY_RECORD)
    try:
        record = json.loads(data)
    except ValueError:
        record = None
    if not (isinstance(record, dict) and all(isinstance(record.get(key), dict) for key in EMPTY_RECORD)):
        raise PKIError("pki_dir", "{0} is not a revocation record (a JSON object of client_groups and identities); "
                                  "restore it from a backup: it is what keeps revoked clients out".format(path))
    return record


def read_record(pki_dir):
    path = layout.revocation_record(pki_dir)
    return parse_record(read_optional(path, "pki_dir"), path)


def record_bytes(record):
    return (json.dumps(record, indent=2, sort_keys=True) + "\n").encode()


def revoked_identities(identities, record):
    """'name: why' for each identity (client_certs_identities entry) the record says must not be issued again."""
    found = []
    for identity in identities:
        name, group = identity["name"], layout.identity_group(identity)
        entry = record["identities"].get(name)
        if entry:
            found.append("{0}: revoked on {1} with client group {2}".format(name, entry["revoked_at"], entry["client_group"]))
        elif group and group in record["client_groups"]:
            found.append("{0}: its client group {1} was revoked on {2}".format(name, group, record["client_groups"][group]["revoked_at"]))
    return found


def _facts(cert):
    return {"subject": cert.subject.rfc4514_string(), "common_name": common_name_of(cert), "dns_names": sans_of(cert)[0],
            "serial_number": format(cert.serial_number, "x"), "not_after": timestamp(cert.not_valid_after_utc),
            "fingerprint_sha256": cert.fingerprint(hashes.SHA256()).hex()}


def cloud_filters(admitted, revoked):
    """Temporal Cloud certificate filters (temporal_cloud_ca_bundle's filters) that admit each certificate of
    admitted ({name: facts}) and none of revoked (facts). A certificate matches a filter when it matches every field
    the filter sets, and is accepted when it matches one filter: each admitted identity gets its common name alone
    when no revoked certificate has it, else its common name with one of its names no revoked one of that common
    name has."""
    filters = []
    for name, facts in sorted(admitted.items()):
        same_name = [other for other in revoked if other["common_name"].casefold() == facts["common_name"].casefold()]
        chosen = dict(common_name=facts["common_name"]) if not same_name else next(
            (dict(common_name=facts["common_name"], subject_alternative_name=dns) for dns in facts["dns_names"]
             if not any(dns.casefold() in [other.casefold() for other in revoked_dns["dns_names"]] for revoked_dns in same_name)), None)
        if chosen is None:
            raise PKIError("cloud", "{0} has the common name {1!r} of a revoked certificate and no name of its own, so no Temporal Cloud "
                                    "filter admits it without the revoked one: give it a dns_names entry of its own, reissue it "
                                    "and revoke again".format(name, facts["common_name"]))
        if chosen not in filters:
            filters.append(chosen)
    if len(filters) > MAX_FILTERS:
        raise PKIError("cloud", "the identities left need {0} certificate filters; Temporal Cloud takes at most {1}".format(len(filters), MAX_FILTERS))
    return filters


def identity_certificates(identities_dir):
    """{name: certificate} of each identity client_certs keeps in identities_dir (<name>/client.pem)."""
    found = {}
    names = sorted(os.listdir(identities_dir)) if os.path.isdir(identities_dir) else []
    for name in names:
        path = layout.identity_file(identities_dir, name, "cert")
        if os.path.isfile(path):
            found[name] = load_pem_certificates(read_optional(path, "identities_dir"), "identities_dir", path)[0]
    return found


class RevocationBackend(Backend):
    """temporal_revocation's backend: record a client group (or the one identity of it) as revoked, keep its CA's
    certificate in revoked/ and remove the CA's files from pki_dir, key included, so nothing signs with it again."""

    def __init__(self, params, check_mode=False):
        self.params = params
        pki_dir = params["pki_dir"]
        self.identities_dir = params["identities_dir"] or layout.controller_identities_dir(pki_dir)
        self.record_path = layout.revocation_record(pki_dir)
        self.outputs = [("pki_dir", self.record_path)]

    def plan(self):
        params, plan = self.params, Plan()
        if bool(params["client_group"]) == bool(params["identity"]):
            raise PKIError("client_group", "give either client_group or identity: the group, or the one identity, to revoke")
        record = read_record(params["pki_dir"])
        if params["cloud"]:
            return self._plan_cloud(plan, record)
        group, option = self._group(record)
        ca_files = layout.ca_paths(params["pki_dir"], layout.group_ca_name(dict(name=group)))
        self._check_no_rotation(group)
        ca_data = read_optional(ca_files["cert"], option)
        if ca_data is None:
            if group in record["client_groups"]:
                members = sorted(name for name, entry in record["identities"].items() if entry["client_group"] == group)
                plan.result = self._result(group, record, members)
                return plan
            raise PKIError(option, "client group {0!r} has no CA ({1}): nothing to revoke; the pki role makes one for each of "
                                   "pki_client_groups and each identity with own_client_group".format(group, ca_files["cert"]))
        ca = load_pem_certificates(ca_data, option, ca_files["cert"])[0]
        issued = {name: cert for name, cert in identity_certificates(self.identities_dir).items() if is_issued_by(cert, ca)}
        members = sorted(set(issued) | {identity["name"] for identity in params["identities"] if layout.identity_group(identity) == group})
        if params["identity"]:
            others = [name for name in members if name != params["identity"]]
            if others:
                raise PKIError("identity", "{0} shares the CA of client group {1} with {2}: revoking it would cut them off too. Revoke "
                                           "the group (client_group={1}) if that is meant, or give {0} its own group (own_client_group: "
                                           "true), reissue it, and revoke it then".format(params["identity"], group, ", ".join(others)))
        before = copy.deepcopy(record)
        now = timestamp(utcnow())
        record["client_groups"].setdefault(group, dict(revoked_at=now, reason=params["reason"], ca=_facts(ca)))
        for name in members:
            certificates = [_facts(issued[name])] if name in issued else []
            record["identities"].setdefault(name, dict(client_group=group, revoked_at=now, reason=params["reason"], certificates=certificates))
        self._stage(plan, record, before, ca_files, ca_data)
        plan.result = self._result(group, record, members)
        return plan

    def _plan_cloud(self, plan, record):
        """Temporal Cloud accepts a client by CA and certificate filters: the identity is recorded, the filters admit
        every other identity of identities_dir and no revoked one, and no CA is retired, since others may share it."""
        name = self.params["identity"]
        if not name:
            raise PKIError("cloud", "revoke a client group without cloud: its CA then leaves pki_dir, and so the namespace's bundle")
        present = {other: _facts(cert) for other, cert in identity_certificates(self.identities_dir).items()}
        if name not in present and name not in record["identities"]:
            raise PKIError("identity", "{0} has no certificate in {1}".format(name, self.identities_dir))
        before = copy.deepcopy(record)
        entry = next((identity for identity in self.params["identities"] if identity["name"] == name), dict(name=name))
        record["identities"].setdefault(name, dict(client_group=layout.identity_group(entry), revoked_at=timestamp(utcnow()),
                                                   reason=self.params["reason"], certificates=[present[name]] if name in present else []))
        revoked = [facts for recorded in record["identities"].values() for facts in recorded["certificates"]]
        admitted = {other: facts for other, facts in present.items() if other not in record["identities"]}
        if record != before:
            plan.write("pki_dir", self.record_path, record_bytes(record))
            plan.diff = [dict(before_header=self.record_path, after_header=self.record_path, before=before, after=record)]
        plan.result = dict(self._result(record["identities"][name]["client_group"], record, [name]), cloud_filters=cloud_filters(admitted, revoked))
        return plan

    def _group(self, record):
        """The client group to revoke and the option that named it."""
        params = self.params
        if params["client_group"]:
            return params["client_group"], "client_group"
        name = params["identity"]
        entry = next((identity for identity in params["identities"] if identity["name"] == name), None)
        if entry is None:
            if name in record["identities"]:
                return record["identities"][name]["client_group"], "identity"
            raise PKIError("identity", "{0} is not one of identities (client_certs_identities)".format(name))
        group = layout.identity_group(entry)
        if not group:
            raise PKIError("identity", "{0} is signed by the shared clients CA, and Temporal checks no CRL, so it cannot be cut off "
                                       "alone. Give it its own group (own_client_group: true) and reissue it, so that it can be revoked; or "
                                       "rotate the clients CA (rotate_ca with pki_rotate_cas=clients) without it in pki_rotate_identities, "
                                       "which cuts off every identity not reissued".format(name))
        return group, "identity"

    def _check_no_rotation(self, group):
        name = layout.group_ca_name(dict(name=group))
        for directory in layout.ROTATION_DIRS.values():
            staged = layout.ca_paths(os.path.join(self.params["pki_dir"], directory), name)["cert"]
            if os.path.exists(staged):
                raise PKIError("client_group", "a CA rotation holds {0}: finish it (rotate_ca up to retire) before revoking".format(staged))

    def _stage(self, plan, record, before, ca_files, ca_data):
        pki_dir = self.params["pki_dir"]
        revoked_dir = os.path.join(pki_dir, layout.REVOKED_DIR)
        plan.directories.append((revoked_dir, "0700"))
        plan.write("pki_dir", self.record_path, record_bytes(record))
        plan.write("pki_dir", os.path.join(revoked_dir, os.path.basename(ca_files["cert"])), ca_data)
        plan.removals = [path for path in (ca_files["cert"], ca_files["chain"], ca_files["key"]) if os.path.lexists(path)]
        plan.diff = [dict(before_header=self.record_path, after_header=self.record_path, before=before, after=record)]

    def _result(self, group, record, members):
        return dict(client_group=group, identities=members, record=record, path=self.record_path)
