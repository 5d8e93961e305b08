"""Shared by the PyTorch timing scripts: the median (and, where asked, the mean) of repeated timed calls after a
warm-up."""
import statistics
import time


def median_seconds(fn, seconds=3.0, warmup=50, min_samples=20):
    """Calls fn warmup times, then times single calls for at least `seconds` (and min_samples calls)."""
    return median_and_mean_seconds(fn, seconds, warmup, min_samples)[0]


def median_and_mean_seconds(fn, seconds=3.0, warmup=50, min_samples=20):
    """As median_seconds, and also the mean of the same calls: the statistic of JMH's average-time mode (a
    timed window's time over its calls), which a noisy machine's slow outliers pull up, unlike the median."""
    for _ in range(warmup):
        fn()
    samples = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end or len(samples) < min_samples:
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), statistics.fmean(samples)


def environment(source="pytorch"):
    """Where the numbers were measured, in the fields (and the machine identity) the Java tools record:
    cpu as /proc/cpuinfo's model name, cpus, os as Java's "os.name os.arch" (Linux amd64)."""
    import os
    import platform
    cpu, flags = "unknown", []
    wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512vl", "avx512_bf16", "avx512_fp16", "asimd", "sve", "sve2"]
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key, value = key.strip(), value.strip()
                if cpu == "unknown" and key in ("model name", "Model"):
                    cpu = value
                if not flags and key in ("flags", "Features"):
                    present = set(value.split())
                    flags = [w for w in wanted if w in present]
    except OSError:
        pass
    arch = {"x86_64": "amd64", "AMD64": "amd64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())
    import torch
    import datetime
    return {"source": source, "cpu": cpu, "cpus": os.cpu_count(), "os": f"{platform.system()} {arch}",
            "cpuFlags": flags, "jdk": "", "vectorBits": 0, "threads": torch.get_num_threads(),
            "runtime": f"PyTorch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()})",
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}


class Results:
    """Results in the Lanes results-file form (see jmh's dev.lanes.jmh.results.ResultsFile), so that the report
    puts PyTorch's numbers in the same rows as the JMH benchmarks: name each entry after the JMH benchmark it
    matches, with the same parameters."""

    def __init__(self):
        self.entries = []

    def add(self, benchmark, seconds, params=None, unit="us/op", library="pytorch", work=None):
        """work, when given, is the JMH benchmark's work counter for one call (dev.lanes.jmh.Work), e.g.
        {"gflop": 2 * m * n * k / 1e9}; it is written as JMH writes it in average-time mode (time per unit of
        work), so the report shows the same GFLOP/s, GB/s, samples/s or tokens/s for every column."""
        scale = {"ns/op": 1e9, "us/op": 1e6, "ms/op": 1e3, "s/op": 1.0}[unit]
        p = {k: str(v) for k, v in (params or {}).items()}
        p["library"] = library
        entry = {"benchmark": benchmark, "mode": "avgt", "params": p,
                 "primaryMetric": {"score": seconds * scale, "scoreError": "NaN", "scoreUnit": unit}}
        if work:
            entry["secondaryMetrics"] = {name: {"score": seconds * scale / amount, "scoreError": "NaN", "scoreUnit": unit}
                                         for name, amount in work.items()}
        self.entries.append(entry)

    def write(self, path):
        """Writes the file whole (a temporary file, then a rename)."""
        import json
        import os
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"format": "lanes-bench/1", "environment": environment(), "benchmarks": self.entries}, f, indent=2)
        os.replace(tmp, path)
