#!/usr/bin/env bash
# Compares git revisions of Lanes in one JVM (see AB.java): builds jmh/target/benchmarks.jar at each revision
# in a temporary worktree, then alternates one round of the chosen bench between them.
#   scripts/ab/run.sh BENCH ROUNDS REV...     BENCH: WeightGradientGemm or Lstm (scripts/ab/bench/)
# e.g. scripts/ab/run.sh WeightGradientGemm 40 30a56b6 HEAD. It times: run it in a hold of the benchmark lock.
set -euo pipefail
if [[ $# -lt 4 ]]; then
    sed -n '2,5p' "$0"
    exit 2
fi
bench=$1 rounds=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
JAVA_HOME=$("$repo/lanes" jdk)
export JAVA_HOME MAVEN_OPTS="${MAVEN_OPTS:---sun-misc-unsafe-memory-access=allow}"
work=$(mktemp -d)
trap 'for w in "$work"/rev-*; do git -C "$repo" worktree remove --force "$w" 2>/dev/null || true; done; rm -rf "$work"' EXIT
jars=()
for rev in "$@"; do
    sha=$(git -C "$repo" rev-parse --short "$rev")
    git -C "$repo" worktree add -q --detach "$work/rev-$sha" "$sha"
    echo "building $rev ($sha)" >&2
    (cd "$work/rev-$sha" && mvn -B -o -q -pl kernels,nn,jmh package -DskipTests >&2)
    cp "$work/rev-$sha/jmh/target/benchmarks.jar" "$work/$sha.jar"
    jars+=("$work/$sha.jar")
done
mkdir -p "$work/bench" "$work/ab"
"$JAVA_HOME/bin/javac" --add-modules jdk.incubator.vector -nowarn -cp "${jars[0]}" -d "$work/bench" "$here/bench/$bench.java" 2>&1 \
    | grep -v 'incubating\|^1 warning' >&2 || true
"$JAVA_HOME/bin/javac" -d "$work/ab" "$here/AB.java"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -XX:+UseParallelGC -Xms3g -Xmx3g -XX:+AlwaysPreTouch \
    -cp "$work/ab" AB "$bench" "$work/bench" "$rounds" "${jars[@]}" 2>&1 | grep -v '^WARNING: Using incubator'
