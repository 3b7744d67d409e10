"""How numbers read to people, the same on every surface."""

from __future__ import annotations


def money(value: float | None) -> str:
    """Short money: $1.2M, $310k, $4,250."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    v = abs(float(value))
    if v >= 1_000_000:
        return f"{sign}${v / 1_000_000:.1f}M"
    if v >= 100_000:
        return f"{sign}${v / 1_000:.0f}k"
    return f"{sign}${v:,.0f}"


def count(value: int | float) -> str:
    """A count with thousands separators: 1,234."""
    return f"{int(value):,}"


def percent(share: float, digits: int = 1) -> str:
    """A share as a percentage: 0.123 → 12.3%."""
    return f"{share * 100:.{digits}f}%"
