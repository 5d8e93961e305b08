"""Shared by the PyTorch timing scripts: the median of repeated timed calls after a warm-up."""
import statistics
import time


def median_seconds(fn, seconds=3.0, warmup=50, min_samples=20):
    """Calls fn warmup times, then times single calls for at least `seconds` (and min_samples calls)."""
    for _ in range(warmup):
        fn()
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < min_samples:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)
