"""Who a request came from, through trusted proxies only: a client's own X-Forwarded-For is its
own words, and believing it would let one address pass as many."""

from __future__ import annotations

import pytest

from disputes_shared.plumbing.forwarding import MAX_HOPS, TrustedProxies, forwarded_for

PORTAL_AND_INGRESS = TrustedProxies.parse("10.0.0.0/8, 127.0.0.1")


def test_without_trusted_proxies_the_peer_is_the_client_whatever_the_header_says() -> None:
    assert TrustedProxies().client_of("198.51.100.9", "203.0.113.1, 203.0.113.2") == "198.51.100.9"


def test_from_a_trusted_proxy_the_client_is_the_first_untrusted_hop_from_the_right() -> None:
    # The worker wrote 203.0.113.1 itself; the ingress added its real address; the portal the ingress's.
    header = "203.0.113.1, 198.51.100.9, 10.1.0.7"
    assert PORTAL_AND_INGRESS.client_of("10.2.0.4", header) == "198.51.100.9"


def test_an_untrusted_peer_is_the_client_even_with_a_header() -> None:
    assert PORTAL_AND_INGRESS.client_of("198.51.100.9", "10.1.0.7, 127.0.0.1") == "198.51.100.9"


@pytest.mark.parametrize("header", [None, "", " , ", "10.1.0.7"])
def test_a_chain_of_trusted_hops_alone_ends_at_its_last_hop(header: str | None) -> None:
    expected = "10.1.0.7" if header == "10.1.0.7" else "10.2.0.4"
    assert PORTAL_AND_INGRESS.client_of("10.2.0.4", header) == expected


def test_a_hop_that_is_no_address_is_never_trusted() -> None:
    assert PORTAL_AND_INGRESS.client_of("10.2.0.4", "198.51.100.9, unknown") == "unknown"
    assert not PORTAL_AND_INGRESS.trusts("not-an-address")


def test_a_padded_header_is_looked_at_only_so_far() -> None:
    header = ", ".join(["10.0.0.1"] * 5000)
    assert PORTAL_AND_INGRESS.client_of("10.2.0.4", header) == "10.0.0.1"
    assert forwarded_for(header, "10.2.0.4").count(",") == MAX_HOPS - 1


def test_ipv6_networks_are_trusted_as_networks() -> None:
    proxies = TrustedProxies.parse("fd00::/8")
    assert proxies.client_of("fd00::5", "2001:db8::7") == "2001:db8::7"


@pytest.mark.parametrize("setting", ["10.0.0.0/33", "portal", "10.0.0.0/8,,example.org"])
def test_a_bad_setting_is_refused_naming_the_entry(setting: str) -> None:
    with pytest.raises(ValueError, match="trusted proxies"):
        TrustedProxies.parse(setting)


def test_a_proxy_adds_its_peer_to_what_it_received() -> None:
    assert forwarded_for(None, "198.51.100.9") == "198.51.100.9"
    assert forwarded_for("203.0.113.1 ,", "198.51.100.9") == "203.0.113.1, 198.51.100.9"
