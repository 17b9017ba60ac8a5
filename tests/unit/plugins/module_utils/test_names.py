from __future__ import annotations

import ipaddress

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from ansible_collections.mtls.temporal.plugins.module_utils.errors import PKIError
from ansible_collections.mtls.temporal.plugins.module_utils.x509.names import (
    build_subject,
    dns_matches_constraint,
    normalize_dns_name,
    parse_name_constraint,
    parse_sans,
    same_dn,
)


@pytest.mark.parametrize(
    "name, expected",
    [
        ("frontend.temporal.example.com", "frontend.temporal.example.com"),
        ("Node-1.Example.COM", "node-1.example.com"),
        ("*.temporal.example.com", "*.temporal.example.com"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("a" * 63 + ".example.com", "a" * 63 + ".example.com"),
        ("localhost", "localhost"),
    ],
)
def test_dns_names_accepted(name, expected):
    assert normalize_dns_name(name, "dns_names") == expected


@pytest.mark.parametrize(
    "name, why",
    [
        ("bad name.example.com", "whitespace"),
        ("*.*.example.com", "wildcard"),
        ("foo*.example.com", "wildcard"),
        ("*.com", "wildcard"),
        ("a" * 64 + ".example.com", "longer than 63"),
        (".".join(["abcdefghi"] * 26), "longer than 253"),
        ("-lead.example.com", "not a valid DNS name"),
        ("under_score.example.com", "not a valid DNS name"),
        ("bücher.example", "xn--"),
        ("double..dot.example", "not a valid DNS name"),
        ("", "empty"),
    ],
)
def test_dns_names_rejected(name, why):
    with pytest.raises(PKIError) as exc:
        normalize_dns_name(name, "dns_names")
    assert str(exc.value).startswith("dns_names: ")
    assert why in str(exc.value)


@pytest.mark.parametrize("value", ["300.1.1.1", "10.0.0.0/8", "1.2.3", "fe80::zz", "host.example.com", ""])
def test_bad_ip_addresses_name_the_option(value):
    with pytest.raises(PKIError, match="^ip_addresses: .* is not an IPv4 or IPv6 address"):
        parse_sans([], [value])


def test_sans_are_deduplicated_and_ordered():
    dns, ips = parse_sans(["B.example.com", "a.example.com", "b.example.com"], ["10.0.0.1", "::1", "10.0.0.1"])
    assert dns == ["b.example.com", "a.example.com"]
    assert ips == [ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("::1")]


def test_subject_order_and_country_case():
    name = build_subject(dict(common_name="Root", organization="Acme", country="gb", organizational_unit="Ops"))
    assert [a.oid for a in name] == [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.COMMON_NAME]
    assert name.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "GB"


@pytest.mark.parametrize(
    "params, option, why",
    [
        (dict(common_name="x" * 65), "common_name", "at most 64"),
        (dict(country="GBR"), "country", "two-letter"),
        (dict(organization=" Acme"), "organization", "whitespace"),
        (dict(locality="l" * 129), "locality", "at most 128"),
    ],
)
def test_subject_rejects(params, option, why):
    with pytest.raises(PKIError) as exc:
        build_subject(params)
    assert str(exc.value).startswith(option + ": ")
    assert why in str(exc.value)


def test_same_dn_ignores_case():
    a = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Temporal CA")])
    b = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "temporal ca")])
    c = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Temporal CA 2")])
    assert same_dn(a, b) and not same_dn(a, c)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("DNS:.example.com", x509.DNSName(".example.com")),
        ("dns:Example.com", x509.DNSName("example.com")),
        ("IP:10.0.0.0/8", x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))),
        ("IP:fd00::/8", x509.IPAddress(ipaddress.ip_network("fd00::/8"))),
    ],
)
def test_name_constraint_parsing(text, expected):
    assert parse_name_constraint(text, "name_constraints_permitted") == expected


@pytest.mark.parametrize("text", ["example.com", "DNS:", "IP:10.0.0.1/8", "IP:10.0.0.0/33", "EMAIL:a@b.c", "DNS:bad name"])
def test_name_constraint_rejects(text):
    with pytest.raises(PKIError, match="^name_constraints_permitted: "):
        parse_name_constraint(text, "name_constraints_permitted")


@pytest.mark.parametrize(
    "name, constraint, matches",
    [
        ("a.example.com", ".example.com", True),
        ("example.com", ".example.com", False),
        ("example.com", "example.com", True),
        ("a.b.example.com", "example.com", True),
        ("badexample.com", "example.com", False),
    ],
)
def test_dns_constraint_matching(name, constraint, matches):
    assert dns_matches_constraint(name, constraint) is matches
