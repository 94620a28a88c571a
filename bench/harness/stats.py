"""Medians, ranges and within-round ratios of the rounds' numbers."""

import statistics


def median(values):
    return statistics.median(values) if values else None


def spread(values, fmt="{:.2f}"):
    """`median (min–max)` of a list, as text."""
    if not values:
        return "–"
    m = fmt.format(median(values))
    if len(values) == 1:
        return m
    return f"{m} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ratios(ours, theirs):
    """Round by round ours/theirs: each ratio compares runs made minutes apart, so the
    machine's load changes less between them than across the whole run."""
    return [a / b for a, b in zip(ours, theirs) if b]
