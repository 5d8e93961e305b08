"""Lanes against PyTorch on the LSTM benchmark (LSTM(64 -> 256), 100 steps, batch 32), taking turns burst by
burst so that both are timed under the same conditions on a machine whose speed drifts over minutes.

For each thread count and case, a fresh Lanes JVM (jmh's dev.lanes.jmh.nn.LstmWorker, which runs
LstmBenchmark's own benchmark methods; a fresh one each time, as JMH forks one per benchmark and parameter)
and PyTorch in this process stay up side by side, and only one runs at a time: Lanes warms up (20 s by
default: JMH's warm-up is 12 s), PyTorch warms up (3 s), then each round times one burst of each (1 s by
default; which goes first alternates), and the round's ratio is PyTorch's mean time per call over Lanes'.
Prints one JSON line per case and thread count: the medians of both sides' burst means, the median, lowest
and highest ratio, and in how many rounds Lanes was at least as fast. A ratio above 1 means Lanes is faster.

Needs the benchmarks jar (mvn -o -q -pl kernels,nn,jmh package -DskipTests) and a JDK 25 (--java, else the
one `./lanes jdk` finds). Run it in one hold of the benchmark lock, with the allocator settings of bench_torch_lstm.py:
    MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=4294967296 MALLOC_TOP_PAD_=1073741824 \\
        flock /tmp/lanes-bench.lock python3 scripts/bench_lstm_interleaved.py --json interleaved.json
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch_lstm import workload  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# LstmBenchmark's @Fork options
JVM_OPTIONS = ["--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"]


class Lanes:
    """The worker JVM: one command per line in, one answer line starting with '=' out."""

    def __init__(self, java, jar):
        if not os.path.exists(jar):
            sys.exit(f"no {jar}: build it with mvn -o -q -pl kernels,nn,jmh package -DskipTests")
        try:
            self.proc = subprocess.Popen([java, *JVM_OPTIONS, "-cp", jar, "dev.lanes.jmh.nn.LstmWorker"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        except OSError as e:
            sys.exit(f"cannot start the Lanes worker with {java}: {e}")

    def ask(self, command):
        try:
            self.proc.stdin.write(command + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:  # it died before the command: say so below, as when it dies during one
            pass
        else:
            for line in self.proc.stdout:
                if line.startswith("="):
                    return line[1:].split()
        sys.exit(f"the Lanes worker stopped (exit code {self.proc.wait()}) after: {command}")

    def burst(self, case, seconds):
        calls, nanos = self.ask(f"run {case} {seconds}")
        return int(nanos) / 1e9 / int(calls)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
            except BrokenPipeError:  # it is exiting already
                pass
            self.proc.wait()


def find_java():
    """The java of the JDK 25 the launcher finds ($JAVA_HOME, the PATH, the usual places), or exits saying why."""
    found = subprocess.run([os.path.join(ROOT, "lanes"), "jdk"], capture_output=True, text=True)
    if found.returncode != 0:
        sys.exit(found.stderr.strip() or "./lanes jdk found no JDK 25")
    return os.path.join(found.stdout.strip().splitlines()[-1], "bin", "java")


def torch_burst(fn, seconds):
    """Calls fn until `seconds` have passed (at least once); the mean time per call."""
    calls, start = 0, time.perf_counter()
    end = start + seconds
    while True:
        fn()
        calls += 1
        now = time.perf_counter()
        if now >= end:
            return (now - start) / calls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--burst", type=float, default=1.0, help="seconds per burst")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of Lanes warm-up per case and thread count")
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--cases", default="forwardBackward,forward")
    parser.add_argument("--java", help="the java of a JDK 25 (default: the one ./lanes jdk finds)")
    parser.add_argument("--jar", default=os.path.join(ROOT, "jmh", "target", "benchmarks.jar"))
    parser.add_argument("--json", help="also write the lines to this file, as a JSON list")
    args = parser.parse_args()

    java = args.java or find_java()
    calls = workload()
    rows = []
    for threads in (int(t) for t in args.threads.split(",")):
        torch.set_num_threads(threads)
        for case in args.cases.split(","):
            fn = calls[case]
            lanes = Lanes(java, args.jar)
            try:
                lanes.ask(f"threads {threads}")
                lanes.burst(case, args.warmup)
                torch_burst(fn, 3.0)
                lanes_s, torch_s, ratios = [], [], []
                for r in range(args.rounds):
                    if r % 2 == 0:
                        lanes_s.append(lanes.burst(case, args.burst))
                        torch_s.append(torch_burst(fn, args.burst))
                    else:
                        torch_s.append(torch_burst(fn, args.burst))
                        lanes_s.append(lanes.burst(case, args.burst))
                    ratios.append(torch_s[-1] / lanes_s[-1])
                row = {"case": case, "threads": threads, "rounds": args.rounds, "burst_s": args.burst,
                       "lanes_ms": round(statistics.median(lanes_s) * 1e3, 2),
                       "torch_ms": round(statistics.median(torch_s) * 1e3, 2),
                       "ratio_median": round(statistics.median(ratios), 3),
                       "ratio_min": round(min(ratios), 3), "ratio_max": round(max(ratios), 3),
                       "lanes_at_least_as_fast": sum(x >= 1 for x in ratios),
                       "torch": torch.__version__}
                rows.append(row)
                print(json.dumps(row), flush=True)
            finally:
                lanes.close()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
