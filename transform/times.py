"""Timestamps from the forms feeds use, always to aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def from_epoch_ms(value: int | str | None) -> datetime | None:
    """Epoch milliseconds (as Binance, KuCoin and OKX send them) to UTC."""
    if value is None or value == "":
        return None
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
