#!/usr/bin/env python3
"""Write the safetensors fixtures of tests/test_io.c, by hand from the format
(standard library only):

    8 bytes   little-endian uint64 N, the header length
    N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype": "F32",
              "shape": [...], "data_offsets": [begin, end]}, ...}, padded
              with spaces
    rest      the byte buffer; offsets are relative to its start

basic.safetensors uses ligo_st_write's layout (compact JSON as
json.dumps(separators=(",", ":"), ensure_ascii=False), "__metadata__" first,
tensors in insertion order with consecutive offsets, header padded to a
multiple of 8), so the test can compare ligo's output byte for byte.

foreign.safetensors is laid out as another writer might: indented JSON with
sorted keys and \\u escapes, metadata last, an unknown key, a 0-dim scalar, a
zero-size tensor, and a data order that differs from the key order.

Floats are given as uint32 bit patterns so that every byte is exact; the
same patterns appear in tests/test_io.c.

    python3 tests/io/gen_fixtures.py      (rewrites the .safetensors files)
"""
import json
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))


def f32_bytes(bits):
    return b"".join(struct.pack("<I", b) for b in bits)


def assemble(header_text, data):
    raw = header_text.encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + data


# ---------------------------------------------------------------- basic
BASIC_META = [("format", "pt"), ("note", "h\u00e9llo \"q\"\n\t/ \u6f22 \U0001F600 \x01")]
BASIC_TENSORS = [
    # 1.0, -2.5, 0.1f, -0.0, FLT_MAX, smallest denormal
    ("wte.weight", [2, 3], [0x3F800000, 0xC0200000, 0x3DCCCCCD, 0x80000000, 0x7F7FFFFF, 0x00000001]),
    # +inf, quiet NaN with a payload, 2^-126 (FLT_MIN), 12345.678f
    ("ln_f.bias", [4], [0x7F800000, 0x7FC12345, 0x00800000, 0x4640E6B7]),
]


def basic():
    header = {}
    header["__metadata__"] = dict(BASIC_META)
    data = b""
    for name, shape, bits in BASIC_TENSORS:
        begin = len(data)
        data += f32_bytes(bits)
        header[name] = {"dtype": "F32", "shape": shape, "data_offsets": [begin, len(data)]}
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False)
    return assemble(text, data)


# -------------------------------------------------------------- foreign
FOREIGN_DATA_ORDER = [
    ("c.matrix", [3, 2], [0x3F800000, 0x40000000, 0x40400000, 0x40800000, 0x40A00000, 0x40C00000]),
    ("\u00e9\U0001F600", [2], [0xBF800000, 0x7FA00001]),  # -1.0, a signalling NaN pattern
    ("b.scalar", [], [0x42280000]),  # 42.0
    ("a.empty", [0, 3], []),
]


def foreign():
    header = {}
    data = b""
    for name, shape, bits in FOREIGN_DATA_ORDER:
        begin = len(data)
        data += f32_bytes(bits)
        header[name] = {"data_offsets": [begin, len(data)], "dtype": "F32", "shape": shape}
    header["c.matrix"]["extra"] = {"nested": [1, 2.5e3, True, None, {"x": [[]]}], "s": "\\"}
    header["__metadata__"] = {"\u00e9t\u00e9": "\U0001F600 ok", "empty": ""}
    text = json.dumps(header, indent=2, sort_keys=True, ensure_ascii=True)
    return assemble(text, data)


def main():
    for name, blob in (("basic.safetensors", basic()), ("foreign.safetensors", foreign())):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(blob)
        print("wrote tests/io/%s (%d bytes)" % (name, len(blob)))


if __name__ == "__main__":
    main()
