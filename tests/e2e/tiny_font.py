"""tiny_font.py - writes a tiny, valid TrueType font for the browser tests.

A real font file (Chromium's OpenType sanitizer checks every table) of a few
hundred bytes, made here so the tests need no font package and no binary in
the repository: two glyphs (.notdef and a box mapped to the letters A-Z),
with the family name given. `name` lets each release ship different bytes.

Usage: python3 tiny_font.py OUT.ttf FAMILY
"""

import struct
import sys


def _checksum(data):
    data += b"\0" * (-len(data) % 4)
    return sum(struct.unpack(">%dI" % (len(data) // 4), data)) & 0xFFFFFFFF


def _box_glyph(x0, y0, x1, y1):
    # one closed contour of four on-curve points; coordinates as int16 deltas
    pts = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
    out = struct.pack(">hhhhh", 1, x0, y0, x1, y1)
    out += struct.pack(">HH", 3, 0)  # endPtsOfContours[0], instructionLength
    out += bytes([0x01] * 4)  # on curve, x and y as int16
    px = py = 0
    xs = ys = b""
    for x, y in pts:
        xs += struct.pack(">h", x - px)
        ys += struct.pack(">h", y - py)
        px, py = x, y
    out += xs + ys
    return out + b"\0" * (len(out) % 2)


def _name_table(family):
    names = {
        1: family,
        2: "Regular",
        3: family + " 1.0",
        4: family,
        5: "Version 1.0",
        6: "".join(c for c in family if c.isalnum()) or "Tiny",
    }
    records, strings = b"", b""
    for nid in sorted(names):
        s = names[nid].encode("utf-16-be")
        records += struct.pack(">HHHHHH", 3, 1, 0x409, nid, len(s), len(strings))
        strings += s
    return struct.pack(">HHH", 0, len(names), 6 + len(records)) + records + strings


def _cmap_table(first, last, glyph):
    # format 4: [first, last] -> glyph, glyph+1, ...; then the 0xFFFF end segment
    seg = 2
    sub = struct.pack(">HHHHHHH", 4, 16 + seg * 8, 0, seg * 2, 4, 1, 0)
    sub += struct.pack(">HH", last, 0xFFFF) + struct.pack(">H", 0)
    sub += struct.pack(">HH", first, 0xFFFF)
    sub += struct.pack(">hh", (glyph - first) & 0xFFFF if glyph >= first else glyph - first, 1)
    sub += struct.pack(">HH", 0, 0)
    return struct.pack(">HHHHI", 0, 1, 3, 1, 12) + sub


def make_font(family):
    """Returns the bytes of a TrueType font whose family is family."""
    upm, asc, desc, adv = 1000, 800, -200, 600
    glyphs = [_box_glyph(50, 0, 550, 700), _box_glyph(50, 0, 550, 700)]
    # A..Z all map to glyph 1: a contiguous range needs consecutive glyph ids,
    # so only 'A' maps to 1 and the rest fall back to .notdef (also a box).
    glyf = b"".join(glyphs)
    loca, off = [], 0
    for g in glyphs:
        loca.append(off // 2)
        off += len(g)
    loca.append(off // 2)
    tables = {
        b"head": struct.pack(
            ">IIIIHHqqhhhhHHhhh",
            0x00010000, 0x00010000, 0, 0x5F0F3CF5, 0x000B, upm, 0, 0,
            50, 0, 550, 700, 0, 8, 2, 0, 0,
        ),
        b"hhea": struct.pack(
            ">IhhhHhhhhhhhhhhhH",
            0x00010000, asc, desc, 0, adv, 50, 50, 550, 1, 0, 0, 0, 0, 0, 0, 0, len(glyphs),
        ),
        b"maxp": struct.pack(
            ">IHHHHHHHHHHHHHH", 0x00010000, len(glyphs), 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0
        ),
        b"OS/2": struct.pack(
            ">HhHHHhhhhhhhhhhh10sIIII4sHHHhhhHHIIhhHHH",
            4, adv, 400, 5, 0, 650, 700, 0, 140, 650, 700, 0, 480, 50, 250, 0,
            bytes(10), 1, 0, 0, 0, b"ORGD", 0x40, 0x41, 0x41, asc, desc, 0, asc, -desc,
            1, 0, 500, 700, 0, 0x20, 1,
        ),
        b"hmtx": struct.pack(">HhHh", adv, 50, adv, 50),
        b"cmap": _cmap_table(0x41, 0x41, 1),
        b"loca": struct.pack(">%dH" % len(loca), *loca),
        b"glyf": glyf,
        b"name": _name_table(family),
        b"post": struct.pack(">IIhhIIIII", 0x00030000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    tags = sorted(tables)
    n = len(tags)
    es = n.bit_length() - 1
    sr = (1 << es) * 16
    header = struct.pack(">IHHHH", 0x00010000, n, sr, es, n * 16 - sr)
    offset = 12 + 16 * n
    directory, body = b"", b""
    for t in tags:
        data = tables[t]
        directory += struct.pack(">4sIII", t, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    font = bytearray(header + directory + body)
    # head.checkSumAdjustment, over the whole font
    head_off = offset + sum(len(tables[t]) + (-len(tables[t]) % 4) for t in tags[: tags.index(b"head")])
    struct.pack_into(">I", font, head_off + 8, (0xB1B0AFBA - _checksum(bytes(font))) & 0xFFFFFFFF)
    return bytes(font)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: tiny_font.py OUT.ttf FAMILY")
    with open(sys.argv[1], "wb") as f:
        f.write(make_font(sys.argv[2]))
