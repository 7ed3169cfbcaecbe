"""A task's `last_metrics`: the latest, minimum and maximum value of every scalar series.

Keyed as the reference server keys it, so clients that address it by hash keep working:
`{md5(metric): {md5(variant): {metric, variant, value, min_value, max_value, …}}}`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable
from typing import Any, NamedTuple


@functools.lru_cache(maxsize=4096)  # a run reports the same few metric and variant names
def key(name: str) -> str:
    return hashlib.md5(name.encode("utf-8")).hexdigest()  # noqa: S324 - a key, not security


class Point(NamedTuple):
    metric: str
    variant: str
    iter: int
    timestamp: int
    value: float


def apply(last_metrics: dict[str, Any], points: Iterable[Point]) -> list[tuple[str, str]]:
    """Fold scalar points (in report order) into `last_metrics`, in place; returns the keys
    (metric key, variant key) of the entries it changed."""
    by_series: dict[tuple[str, str], list[Point]] = {}
    for point in points:
        by_series.setdefault((point.metric, point.variant), []).append(point)
    for (metric, variant), series in by_series.items():
        variants = last_metrics.setdefault(key(metric), {})
        entry: dict[str, Any] = variants.setdefault(key(variant), {})
        entry["metric"], entry["variant"] = metric, variant
        count = int(entry.get("count") or 0)
        total = float(entry.get("mean_value") or 0.0) * count
        for point in series:
            if "first_value" not in entry:
                entry["first_value"] = point.value
                entry["first_value_iteration"] = point.iter
            if "min_value" not in entry or point.value < entry["min_value"]:
                entry["min_value"] = point.value
                entry["min_value_iteration"] = point.iter
            if "max_value" not in entry or point.value > entry["max_value"]:
                entry["max_value"] = point.value
                entry["max_value_iteration"] = point.iter
            count += 1
            total += point.value
        # The value of the latest iteration reported in this batch is the series' last value.
        latest = max(series, key=lambda p: (p.iter, p.timestamp))
        entry["value"] = latest.value
        entry["count"] = count
        entry["mean_value"] = total / count
    return [(key(metric), key(variant)) for metric, variant in by_series]
