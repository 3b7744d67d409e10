"""Shared helpers for the benchmarks: timing, medians and the report line each one prints."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(samples: list[float]) -> float:
    return statistics.median(samples)


def report(name: str, ours: float, peer: float, peer_name: str, unit: str, target: float | None) -> bool:
    """Print one benchmark's figures and ratio; return whether it met its target ratio."""
    ratio = ours / peer if peer else float("inf")
    verdict = ""
    met = True
    if target is not None:
        met = ratio <= target
        verdict = f"  target ≤ {target:g}× → {'met' if met else 'MISSED'}"
    scale = 1000.0 if unit == "ms" else 1.0
    print(
        f"{name}: tierbot {ours * scale:.3f} {unit} | {peer_name} {peer * scale:.3f} {unit} | "
        f"ratio {ratio:.2f}×{verdict}"
    )
    return met
