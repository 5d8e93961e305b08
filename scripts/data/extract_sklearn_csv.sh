#!/usr/bin/env bash
# Reproduces the two small real data sets committed for the tests, nn/src/test/resources/data/iris.csv and
# digits.csv.gz, from Debian's python3-sklearn package (scikit-learn 1.2.1, bookworm), byte for byte, and
# checks them against the SHA-256 sums in nn/src/test/resources/data/README.md.
#
#   scripts/data/extract_sklearn_csv.sh            extract into nn/src/test/resources/data/
#   scripts/data/extract_sklearn_csv.sh --check    only compare a fresh extraction with the committed files
#
# Needs apt-get (with package lists: run 'apt-get update' once) and dpkg-deb; root is not needed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DEST="$ROOT/nn/src/test/resources/data"
PACKAGE="python3-sklearn"
INNER="usr/lib/python3/dist-packages/sklearn/datasets/data"

# name  sha256 (of the file as committed)
FILES=(
    "iris.csv f13ffa8fdd56fd8e6c8d16d4081a3fbd3114bcd0aae4256c43205169cd9d1449"
    "digits.csv.gz 46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a"
)

check_only=false
case "${1:-}" in
    --check) check_only=true ;;
    "") ;;
    *) sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

tmp="$(mktemp -d)"
trap 'rm -rf -- "$tmp"' EXIT
chmod 755 "$tmp" # lets apt's sandbox user write the .deb

echo "extract: apt-get download $PACKAGE" >&2
if ! (cd "$tmp" && apt-get download -q "$PACKAGE" > apt.log 2>&1); then
    cat "$tmp/apt.log" >&2
    echo "extract: could not download $PACKAGE from Debian's archive. If apt says 'Unable to locate package'," >&2
    echo "         run 'apt-get update' (as root) first; otherwise the archive is not reachable from here." >&2
    exit 1
fi
dpkg-deb -x "$tmp"/python3-sklearn_*.deb "$tmp/root"

status=0
for entry in "${FILES[@]}"; do
    read -r name sum <<< "$entry"
    src="$tmp/root/$INNER/$name"
    [[ -f "$src" ]] || { echo "extract: $PACKAGE no longer ships $INNER/$name" >&2; exit 1; }
    actual="$(sha256sum "$src" | cut -d' ' -f1)"
    if [[ "$actual" != "$sum" ]]; then
        echo "extract: $name in this $PACKAGE has sha256 $actual, expected $sum (a different package version?)" >&2
        status=1
        continue
    fi
    if $check_only; then
        if cmp -s "$src" "$DEST/$name"; then
            echo "extract: $name matches the committed copy" >&2
        else
            echo "extract: $name differs from the committed copy $DEST/$name" >&2
            status=1
        fi
    else
        mkdir -p "$DEST"
        cp -- "$src" "$DEST/$name.tmp"
        mv -- "$DEST/$name.tmp" "$DEST/$name"
        echo "extract: wrote $DEST/$name (sha256 $sum)" >&2
    fi
done
exit $status
