#!/usr/bin/env python3
"""Writes character vectors from an R package's lazy-load data base as plain UTF-8 text files.

    rlazyload_text.py DATA_DIR OUT_DIR NAME...

DATA_DIR is an installed R package's data/ folder holding Rdata.rdx and Rdata.rdb (what R CMD INSTALL
makes of a package's data/*.rda with LazyData). Each NAME must be a character vector there; it is written
to OUT_DIR/NAME.txt, one element a line, every line ended by "\n". Needs nothing but Python 3's
standard library: no R, no rdata package.

The formats (R Internals, "Serialization formats" and "Lazy loading"):
  - Rdata.rdx is a gzip file holding one serialized R list: variables (a named list of (offset, length)
    integer pairs into Rdata.rdb), references, compressed (TRUE/1 zlib, 2 bzip2, 3 xz).
  - Rdata.rdb: at each offset, a 4-byte big-endian uncompressed length, then the zlib-compressed
    serialization of the object. With compression 2 and 3 a byte after the length names the method:
    '2' bzip2, 'Z' xz (a raw LZMA2 stream, preset 9e), '1' zlib, '0' stored (R falls back to that
    when compressing does not help). With compression 0 there is just the serialization.
  - A serialization is "X\n" (XDR, big-endian), the format version (2 or 3), two R versions, for
    version 3 the native encoding, then the object. Each item starts with an int whose low byte is
    its type, bit 9 says it has attributes, bit 10 that it has a tag, and bits 12.. are its "levels"
    (for a string: 2 BYTES, 4 LATIN1, 8 UTF8, 64 ASCII).
Only the item types these files use are read (lists, pairlists, symbols, strings, logical, integer and
double vectors, references to earlier symbols); anything else stops with an error naming the type.
"""
import bz2
import gzip
import lzma
import os
import struct
import sys
import zlib

NILVALUE, SYM, LIST, CHAR, LGL, INT, REAL, STR, VEC = 254, 1, 2, 9, 10, 13, 14, 16, 19
REF, GLOBALENV, EMPTYENV, BASEENV, MISSINGARG = 255, 253, 242, 241, 251
NA_INT = -(2 ** 31)


class RError(Exception):
    pass


class Reader:
    def __init__(self, data, what):
        self.data, self.at, self.what, self.refs = data, 0, what, []
        self.native_encoding = "utf-8"  # format 2 does not record it; UTF-8 is R's usual one
        if data[:2] != b"X\n":
            raise RError(f"{what}: not an XDR serialization (starts with {data[:2]!r})")
        self.at = 2
        version = self.int()
        self.int()  # the R version that wrote it
        self.int()  # the oldest R version that reads it
        if version == 3:
            self.native_encoding = self.bytes(self.int()).decode("ascii")
        elif version != 2:
            raise RError(f"{what}: serialization format version {version}, expected 2 or 3")

    def int(self):
        if self.at + 4 > len(self.data):
            raise RError(f"{self.what}: truncated at byte {self.at}")
        (v,) = struct.unpack_from(">i", self.data, self.at)
        self.at += 4
        return v

    def bytes(self, n):
        if n < 0 or self.at + n > len(self.data):
            raise RError(f"{self.what}: truncated at byte {self.at} (wanted {n} bytes)")
        b = self.data[self.at:self.at + n]
        self.at += n
        return b

    def item(self):
        flags = self.int()
        kind, levels = flags & 0xFF, flags >> 12
        has_attr, has_tag = bool(flags & (1 << 9)), bool(flags & (1 << 10))
        if kind in (NILVALUE, GLOBALENV, EMPTYENV, BASEENV, MISSINGARG):
            return None
        if kind == REF:
            index = (flags >> 8) or self.int()  # packed into the flags unless too large
            if not 1 <= index <= len(self.refs):
                raise RError(f"{self.what}: reference {index} at byte {self.at - 4}, {len(self.refs)} symbols read so far")
            return self.refs[index - 1]
        if kind == SYM:
            name = self.item()
            self.refs.append(Symbol(name))
            return self.refs[-1]
        if kind == LIST:  # a pairlist: attributes, tag, value, then the rest of the list
            if has_attr:
                self.item()  # a pairlist's own attributes; these files have none worth keeping
            tag = self.item() if has_tag else None
            head = [(tag.name if tag else None, self.item())]
            rest = self.item()
            return head + (rest or [])
        if kind == CHAR:
            n = self.int()
            if n == -1:
                return None  # NA_character_
            raw = self.bytes(n)
            if levels & 4:
                return raw.decode("latin-1")
            if levels & 2:
                raise RError(f"{self.what}: a string is marked as raw bytes, not text")
            if levels & (8 | 64):
                return raw.decode("utf-8")
            return raw.decode(self.native_encoding)  # unmarked: the writer's native encoding
        if kind in (LGL, INT, REAL, STR, VEC):
            n = self.int()
            if n == -1:  # long vector: two more ints give the length
                n = (self.int() << 32) + self.int()
            if kind in (LGL, INT):
                value = list(struct.unpack_from(f">{n}i", self.bytes(4 * n)))
            elif kind == REAL:
                value = list(struct.unpack_from(f">{n}d", self.bytes(8 * n)))
            else:
                value = [self.item() for _ in range(n)]
            attrs = dict(self.item()) if has_attr else {}
            return Vector(kind, value, attrs)
        raise RError(f"{self.what}: R item type {kind} at byte {self.at - 4} is not supported by this reader")


class Symbol:
    def __init__(self, name):
        self.name = name


class Vector:
    def __init__(self, kind, values, attrs):
        self.kind, self.values, self.attrs = kind, values, attrs

    def named(self):
        names = self.attrs.get("names")
        if names is None or len(names.values) != len(self.values):
            raise RError("expected a named list")
        return dict(zip(names.values, self.values))


def unserialize(data, what):
    return Reader(data, what).item()


def read_index(data_dir):
    path = os.path.join(data_dir, "Rdata.rdx")
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    index = unserialize(raw, path).named()
    variables = index["variables"].named()
    compressed = index["compressed"].values[0]
    return {name: tuple(v.values) for name, v in variables.items()}, compressed


def unxz(body):
    # R's R_compress3 writes a raw LZMA2 stream (no .xz container) with preset 9 | extreme; decoding with
    # that preset's dictionary size reads it.
    return lzma.decompress(body, format=lzma.FORMAT_RAW,
                           filters=[{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}])


def read_object(data_dir, offset, length, compressed, name):
    path = os.path.join(data_dir, "Rdata.rdb")
    with open(path, "rb") as f:
        f.seek(offset)
        blob = f.read(length)
    if len(blob) != length:
        raise RError(f"{path}: {name} needs bytes {offset}..{offset + length}, the file is shorter")
    if compressed == 0:  # stored as the bare serialization, without a length header
        return unserialize(blob, f"{path} ({name})")
    (size,) = struct.unpack_from(">I", blob, 0)
    body, method = blob[4:], "1"
    if compressed in (2, 3):
        method, body = chr(blob[4]), blob[5:]
    decoders = {"1": zlib.decompress, "2": bz2.decompress, "Z": unxz, "0": bytes}
    if method not in decoders:
        raise RError(f"{path}: {name} is compressed with an unknown method {method!r}")
    data = decoders[method](body)
    if len(data) != size:
        raise RError(f"{path}: {name} decompresses to {len(data)} bytes, its header says {size}")
    return unserialize(data, f"{path} ({name})")


def main(argv):
    if len(argv) < 4:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    data_dir, out_dir, names = argv[1], argv[2], argv[3:]
    variables, compressed = read_index(data_dir)
    for name in names:
        if name not in variables:
            raise RError(f"{data_dir}: no object {name!r}; there are {sorted(variables)}")
        obj = read_object(data_dir, *variables[name], compressed, name)
        if not isinstance(obj, Vector) or obj.kind != STR:
            raise RError(f"{data_dir}: {name} is not a character vector")
        if any(line is None for line in obj.values):
            raise RError(f"{data_dir}: {name} holds NA strings")
        with open(os.path.join(out_dir, name + ".txt"), "w", encoding="utf-8", newline="\n") as f:
            for line in obj.values:
                f.write(line)
                f.write("\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except (RError, OSError, zlib.error, lzma.LZMAError, ValueError, KeyError, struct.error) as e:
        print(f"rlazyload_text: error: {e}", file=sys.stderr)
        sys.exit(1)
