"""Image files for the photo tests, made in memory: good ones, hostile ones, broken ones."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

SERIAL = "SN-4242-CAMERA"
GPS_IFD, EXIF_IFD = 0x8825, 0x8769
BODY_SERIAL = 0xA431
ARTIST, COPYRIGHT, DESCRIPTION, ORIENTATION = 0x013B, 0x8298, 0x010E, 0x0112


def exif_bytes(
    *,
    artist: str = "",
    copyright: str = "",
    description: str = "",
    orientation: int | None = None,
    gps: bool = False,
) -> bytes:
    exif = Image.Exif()
    for tag, value in ((ARTIST, artist), (COPYRIGHT, copyright), (DESCRIPTION, description)):
        if value:
            exif[tag] = value
    if orientation is not None:
        exif[ORIENTATION] = orientation
    if gps:
        location = exif.get_ifd(GPS_IFD)
        location[1], location[2] = "N", (23.0, 48.0, 36.0)
        location[3], location[4] = "E", (90.0, 24.0, 0.0)
        exif.get_ifd(EXIF_IFD)[BODY_SERIAL] = SERIAL
    return exif.tobytes()


def jpeg(
    size: tuple[int, int] = (800, 600),
    color: tuple[int, ...] = (200, 60, 30),
    mode: str = "RGB",
    **save: object,
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "JPEG", **save)
    return buffer.getvalue()


def png(
    size: tuple[int, int] = (640, 480), mode: str = "RGB", color: object = (20, 120, 60)
) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, "PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG that declares width x height pixels (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grey
    pixels = zlib.compress(b"\x00" * 1024)  # a sliver of the rows: enough to start decoding
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


SVG = (
    b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script><rect width='10' height='10'/></svg>"
)


def polyglot() -> bytes:
    """A real JPEG with a page appended: decodes as an image, renders as HTML if sniffed."""
    return jpeg((64, 64)) + b"<html><body><script>alert(document.cookie)</script></body></html>"


def truncated() -> bytes:
    whole = jpeg((800, 600), progressive=False, quality=95)
    return whole[: len(whole) // 2]
