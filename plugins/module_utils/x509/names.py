# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Subjects, subject alternative names and name constraints: parsing and validation.
Private to this collection: not a public API."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
except ImportError:
    pass  # reported by door.dependencies.assert_required_cryptography_version

# option name -> (OID attribute name, RFC 5280 upper bound). Order is the DN order, C first, CN last.
SUBJECT_OPTIONS = (
    ("country", "COUNTRY_NAME", 2),
    ("state_or_province", "STATE_OR_PROVINCE_NAME", 128),
    ("locality", "LOCALITY_NAME", 128),
    ("organization", "ORGANIZATION_NAME", 64),
    ("organizational_unit", "ORGANIZATIONAL_UNIT_NAME", 64),
    ("common_name", "COMMON_NAME", 64),
)

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def build_subject(params):
    """x509.Name from the subject options in params (missing or empty ones are left out)."""
    attributes = []
    for option, oid_name, upper in SUBJECT_OPTIONS:
        value = params.get(option)
        if value is None or value == "":
            continue
        value = str(value)
        if value != value.strip():
            raise PKIError(option, "{0!r} has leading or trailing whitespace".format(value))
        if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
            # A NUL or a newline in a name splits it for some readers (logs, claim mappers, C code) and not others.
            raise PKIError(option, "{0!r} holds a control character (NUL, newline, tab, ...)".format(value))
        if option == "country" and not re.match(r"^[A-Za-z]{2}$", value):
            raise PKIError(option, "{0!r} is not a two-letter ISO 3166 country code".format(value))
        if len(value) > upper:
            raise PKIError(option, "{0!r} is {1} characters long; X.509 allows at most {2}".format(value, len(value), upper))
        attributes.append(x509.NameAttribute(getattr(NameOID, oid_name), value.upper() if option == "country" else value))
    return x509.Name(attributes)


def same_dn(a, b):
    """Distinguished names compared case-insensitively, as Temporal Cloud does."""
    return a.rfc4514_string().lower() == b.rfc4514_string().lower()


def normalize_dns_name(name, option):
    text = str(name)
    lowered = text.lower()
    if not lowered:
        raise PKIError(option, "an empty DNS name is not allowed")
    if any(ch.isspace() for ch in text):
        raise PKIError(option, "{0!r} contains whitespace".format(name))
    if not lowered.isascii():
        raise PKIError(option, "{0!r} is not ASCII; give internationalised names in their xn-- (A-label) form".format(name))
    if len(lowered) > 253:
        raise PKIError(option, "{0!r} is longer than 253 characters".format(name))
    if is_ip_address(lowered):
        raise PKIError(option, "{0!r} is an IP address: give it in ip_addresses, since a client that dials it looks for an IP SAN, "
                               "not a DNS name".format(name))
    labels = lowered.split(".")
    for index, label in enumerate(labels):
        if label == "*" and index == 0 and len(labels) > 2:
            continue
        if "*" in label:
            raise PKIError(
                option, "{0!r} has a wildcard that is not the whole leftmost label of a name with at least two more labels".format(name)
            )
        if len(label) > 63:
            raise PKIError(option, "{0!r} has a label longer than 63 characters".format(name))
        if not _LABEL.match(label):
            raise PKIError(
                option, "{0!r} is not a valid DNS name: label {1!r} may hold only letters, digits and inner hyphens".format(name, label)
            )
    return lowered


def normalize_ip_address(value, option):
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise PKIError(option, "{0!r} is not an IPv4 or IPv6 address".format(value))
    if getattr(address, "scope_id", None):
        # A SAN holds only the 16 address bytes: the zone would be dropped, and every run would see drift.
        raise PKIError(option, "{0!r} has a zone ID (%{1}), which a certificate cannot hold".format(value, address.scope_id))
    return address


def is_ip_address(text):
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_host_name(name, option):
    """A name a TLS client sends as SNI and checks in the server certificate: an IP address or a DNS name."""
    if not is_ip_address(str(name)):
        normalize_dns_name(name, option)


def parse_sans(dns_names, ip_addresses):
    """Validated, de-duplicated, order-preserving SAN lists: (dns names, ip addresses)."""
    dns = []
    for name in dns_names or []:
        normalized = normalize_dns_name(name, "dns_names")
        if normalized not in dns:
            dns.append(normalized)
    ips = []
    for value in ip_addresses or []:
        address = normalize_ip_address(value, "ip_addresses")
        if address not in ips:
            ips.append(address)
    return dns, ips


def san_extension(dns, ips):
    names = [x509.DNSName(n) for n in dns] + [x509.IPAddress(a) for a in ips]
    return x509.SubjectAlternativeName(names)


def common_name_of(name_holder):
    """The first common name of a certificate, a CSR or a Name, or '' when there is none."""
    name = getattr(name_holder, "subject", name_holder)
    names = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return names[0].value if names else ""


def sans_of(cert):
    """(dns names lower-cased, ip addresses) of a certificate; empty lists when it has no SAN."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return [n.lower() for n in ext.get_values_for_type(x509.DNSName)], list(ext.get_values_for_type(x509.IPAddress))


def parse_name_constraint(text, option):
    """'DNS:.example.com' or 'IP:10.0.0.0/8' -> GeneralName."""
    kind, sep, value = str(text).partition(":")
    kind = kind.strip().upper()
    value = value.strip()
    if not sep or not value:
        raise PKIError(option, "{0!r} must look like DNS:example.com, DNS:.example.com or IP:10.0.0.0/8".format(text))
    if kind == "DNS":
        if "*" in value:
            raise PKIError(option, "{0!r}: a name constraint has no wildcards; DNS:.example.com covers every name under example.com".format(text))
        normalize_dns_name(value.lstrip("."), option)
        return x509.DNSName(value.lower())
    if kind == "IP":
        try:
            return x509.IPAddress(ipaddress.ip_network(value, strict=True))
        except ValueError:
            raise PKIError(option, "{0!r} is not a network in CIDR form with no host bits set, like 10.0.0.0/8".format(text))
    raise PKIError(option, "{0!r}: only DNS and IP name constraints are supported".format(text))


def dns_matches_constraint(name, constraint):
    """Go's reading: '.example.com' matches subdomains only; 'example.com' the name and its subdomains."""
    constraint = constraint.lower()
    if constraint.startswith("."):
        return name.endswith(constraint)
    return name == constraint or name.endswith("." + constraint)


def check_name_constraints(ca_cert, dns, ips, option_dns="dns_names", option_ip="ip_addresses"):
    """Refuse SANs that the CA's nameConstraints extension would make every verifier reject."""
    try:
        nc = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    except x509.ExtensionNotFound:
        return
    permitted = nc.permitted_subtrees or []
    excluded = nc.excluded_subtrees or []
    permitted_dns = [g.value for g in permitted if isinstance(g, x509.DNSName)]
    permitted_ip = [g.value for g in permitted if isinstance(g, x509.IPAddress)]
    for name in dns:
        if any(isinstance(g, x509.DNSName) and dns_matches_constraint(name, g.value) for g in excluded):
            raise PKIError(option_dns, "{0} is excluded by the name constraints of {1}".format(name, ca_cert.subject.rfc4514_string()))
        if permitted_dns and not any(dns_matches_constraint(name, c) for c in permitted_dns):
            raise PKIError(option_dns, "{0} is outside the names permitted by {1}".format(name, ca_cert.subject.rfc4514_string()))
    for address in ips:
        if any(isinstance(g, x509.IPAddress) and address in g.value for g in excluded):
            raise PKIError(option_ip, "{0} is excluded by the name constraints of {1}".format(address, ca_cert.subject.rfc4514_string()))
        if permitted_ip and not any(address in network for network in permitted_ip):
            raise PKIError(option_ip, "{0} is outside the networks permitted by {1}".format(address, ca_cert.subject.rfc4514_string()))
