#!/usr/bin/env python3
"""Fixtures for the inflate and IDX tests, made by Python's own gzip/zlib.

    python3 tests/data/gen_gzip.py

Writes next to this script (each X.gz decompresses to X.txt or X.idx):
  stored.gz    deflate level 0: stored blocks only
  fixed.gz     a short text: one fixed-Huffman block
  dynamic.gz   a longer text: dynamic-Huffman blocks with long matches
  flags.gz     FEXTRA, FNAME and FCOMMENT set in the header
  multi.gz     two members concatenated (both are decoded)
  empty.gz     a member holding no data (empty.txt is empty)
  hcrc.gz      FHCRC set: a header CRC-16 before the deflate data
  sync.gz      one stream cut into blocks by Z_SYNC_FLUSH / Z_FULL_FLUSH
               (each adds an empty stored block at a byte boundary)
  images.idx.gz, labels.idx.gz   a 5-image 3x4 IDX pair, gzipped
"""
import gzip
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))


def gz_member(data, level=9, fname=None, extra=None, comment=None, hcrc=False, flushes=()):
    """One gzip member; `flushes` = [(offset, zlib flush mode)] cuts blocks."""
    flg = (4 if extra is not None else 0) | (8 if fname else 0) | (16 if comment else 0) | (2 if hcrc else 0)
    out = bytearray(b"\x1f\x8b\x08" + bytes([flg]) + struct.pack("<I", 0) + b"\x00\xff")
    if extra is not None:
        out += struct.pack("<H", len(extra)) + extra
    if fname:
        out += fname + b"\x00"
    if comment:
        out += comment + b"\x00"
    if hcrc:
        out += struct.pack("<H", zlib.crc32(bytes(out)) & 0xFFFF)
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    prev = 0
    for off, mode in flushes:
        out += c.compress(data[prev:off]) + c.flush(mode)
        prev = off
    out += c.compress(data[prev:]) + c.flush()
    out += struct.pack("<II", zlib.crc32(data) & 0xFFFFFFFF, len(data) & 0xFFFFFFFF)
    return bytes(out)


def text(n):
    words = [b"ligo ", b"grows ", b"small ", b"models ", b"into ", b"large ", b"ones, ", b"learning ", b"how. "]
    out, x = bytearray(), 12345
    while len(out) < n:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        out += words[(x >> 16) % len(words)]
    return bytes(out[:n])


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def main():
    short, long_ = b"Hello, inflate! Hello, inflate!", text(3000)
    write("stored.txt", long_[:700])
    write("stored.gz", gz_member(long_[:700], level=0))
    write("fixed.txt", short)
    write("fixed.gz", gz_member(short))
    write("dynamic.txt", long_)
    write("dynamic.gz", gz_member(long_))
    write("flags.txt", short)
    write("flags.gz", gz_member(short, fname=b"name.txt", extra=b"\x01\x02\x03", comment=b"a comment"))
    write("multi.txt", short + long_[:500])
    write("multi.gz", gz_member(short) + gz_member(long_[:500]))
    write("empty.txt", b"")
    write("empty.gz", gz_member(b""))
    write("hcrc.txt", short)
    write("hcrc.gz", gz_member(short, fname=b"h.txt", hcrc=True))
    write("sync.txt", long_[:900])
    write("sync.gz", gz_member(long_[:900], flushes=[(100, zlib.Z_SYNC_FLUSH), (101, zlib.Z_SYNC_FLUSH),
                                                     (500, zlib.Z_FULL_FLUSH)]))
    pixels = bytes((i * 37) % 256 for i in range(5 * 3 * 4))
    write("images.idx", struct.pack(">IIII", 0x803, 5, 3, 4) + pixels)
    write("labels.idx", struct.pack(">II", 0x801, 5) + bytes([3, 0, 9, 2, 2]))
    write("images.idx.gz", gzip.compress(struct.pack(">IIII", 0x803, 5, 3, 4) + pixels, mtime=0))
    write("labels.idx.gz", gzip.compress(struct.pack(">II", 0x801, 5) + bytes([3, 0, 9, 2, 2]), mtime=0))


if __name__ == "__main__":
    main()
