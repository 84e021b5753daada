"""Draw Fieldvisit's app icons as PNG files with nothing but the standard library.

    .venv/bin/python static/icons/make_icons.py

A white house with a door on GOV.UK brand blue (#1d70b8). Each pixel is sampled
4 x 4 times for smooth edges. The maskable icon keeps the house inside the
central safe zone (a circle of 80% of the width) that launchers may crop to.
"""
import struct
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLUE = (0x1D, 0x70, 0xB8)
WHITE = (0xFF, 0xFF, 0xFF)
SAMPLES = 4
# Name, size in pixels, scale of the house (1.0 fills the usual icon area).
ICONS = [
    ("icon-192.png", 192, 1.0),
    ("icon-512.png", 512, 1.0),
    ("icon-maskable-512.png", 512, 0.72),
    ("apple-touch-icon.png", 180, 0.9),
]


def inside_house(x, y):
    """Is (x, y), in a unit square, on the white house (roof, walls), not its door?"""
    roof = 0.16 <= y <= 0.5 and abs(x - 0.5) <= (y - 0.16) / 0.34 * 0.34
    walls = 0.26 <= x <= 0.74 and 0.46 <= y <= 0.82
    door = 0.43 <= x <= 0.57 and 0.6 <= y <= 0.82
    return (roof or walls) and not door


def pixels(size, scale):
    """Rows of RGB bytes; the house is scaled about the centre by `scale`."""
    rows = []
    for row in range(size):
        line = bytearray()
        for column in range(size):
            covered = 0
            for sy in range(SAMPLES):
                for sx in range(SAMPLES):
                    x = (column + (sx + 0.5) / SAMPLES) / size
                    y = (row + (sy + 0.5) / SAMPLES) / size
                    covered += inside_house(0.5 + (x - 0.5) / scale, 0.5 + (y - 0.5) / scale)
            share = covered / SAMPLES ** 2
            line.extend(round(b + (w - b) * share) for b, w in zip(BLUE, WHITE))
        rows.append(bytes(line))
    return rows


def png(size, rows):
    """A truecolour PNG: signature, IHDR, one zlib IDAT (filter 0 on every row), IEND."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    raw = b"".join(b"\x00" + row for row in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def main(folder=HERE):
    for name, size, scale in ICONS:
        (Path(folder) / name).write_bytes(png(size, pixels(size, scale)))
        print(f"wrote {name} ({size}x{size})")


if __name__ == "__main__":
    main()
