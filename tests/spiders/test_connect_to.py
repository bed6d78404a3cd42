from __future__ import annotations

import pytest

from spiders.connect_to import connect_url, parse_connect_to


def test_every_host_or_one_host_maps_to_a_base():
    mapping = parse_connect_to("*=http://127.0.0.1:8765, www.binance.com=http://10.0.0.1:9/m/")
    assert connect_url("https://www.binance.com/bapi/x?y=1#f", mapping) == (
        "http://10.0.0.1:9/m/bapi/x?y=1"
    )
    assert connect_url("https://api.gateio.ws/api/v4/ann", mapping) == (
        "http://127.0.0.1:8765/api/v4/ann"
    )


def test_unmapped_hosts_are_left_alone():
    assert (
        connect_url("https://www.okx.com/x", parse_connect_to("www.binance.com=http://h")) is None
    )
    assert parse_connect_to("") == {}


@pytest.mark.parametrize("spec", ["www.binance.com", "=http://h", "*=ftp://h", "*=127.0.0.1:80"])
def test_a_malformed_entry_is_refused_with_its_text(spec: str):
    with pytest.raises(ValueError, match="connect-to entry"):
        parse_connect_to(spec)
