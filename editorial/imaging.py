"""Image work with Pillow and no database: checking an upload by decoding it, reading the
captions a camera or agency wrote into it, and making clean renditions.

An upload is judged by what it decodes to, never by its name or declared type: a PNG named
.jpg is a PNG, an SVG or an HTML page named .jpg is refused. Nothing read from the original
(EXIF, GPS, serial numbers, XMP, ICC profiles) is written into a rendition.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import (
    Image,
    ImageCms,
    ImageOps,
    IptcImagePlugin,
    UnidentifiedImageError,
    features,
)
from PIL.ImageFile import ImageFile
from pillow_heif import register_heif_opener

# HEIC/HEIF from phones through pillow-heif; AVIF is Pillow's own (11.3 and later).
register_heif_opener()

# Decoded format -> extension of the stored original.
ACCEPTED = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "HEIF": "heic",
    "AVIF": "avif",
}
# The decoders tried, whatever the file's name says (a multi-picture JPEG opens as MPO).
DECODERS = ["JPEG", "PNG", "WEBP", "HEIF", "AVIF"]
WIDTHS = (320, 640, 1024, 1600, 2048)
FULL = ""  # the crop name of a whole-frame rendition
QUALITY = {"avif": 55, "webp": 80, "jpeg": 82}
# Markup in an image's bytes means a polyglot (a file that is also a page or a script), made to
# be served as something else; in compressed pixel data these byte runs practically never occur
# by chance (one in 2**56 per position), and XMP (<x:xmpmeta>, <rdf:...>) does not match.
MARKUP = re.compile(rb"<(?:script|html|body|iframe|object|embed|\?php)|javascript:", re.I)
SCAN_CHUNK = 1 << 20
ORIENTATION, DESCRIPTION, ARTIST, COPYRIGHT = 0x0112, 0x010E, 0x013B, 0x8298
IPTC_CAPTION, IPTC_BYLINE, IPTC_CREDIT, IPTC_COPYRIGHT = (2, 120), (2, 80), (2, 110), (2, 116)
XMP_FIELDS = {
    "caption": re.compile(rb"<dc:description>.*?<rdf:li[^>]*>(.*?)</rdf:li>", re.S),
    "creator": re.compile(rb"<dc:creator>.*?<rdf:li[^>]*>(.*?)</rdf:li>", re.S),
    "credit": re.compile(rb"photoshop:Credit(?:=\"|>)([^\"<]*)"),
}


class BadImage(ValueError):
    """An upload that is not a photo we accept; the message is for the person uploading."""


@dataclass(frozen=True)
class Inspected:
    """What an accepted upload is: its format, displayed size and embedded captions."""

    format: str
    extension: str
    width: int
    height: int
    caption: str
    credit: str


@dataclass(frozen=True)
class Crop:
    """A cut of the photo around its focal point, at a fixed aspect ratio (ratio_w:ratio_h)."""

    ratio_w: int
    ratio_h: int
    widths: tuple[int, ...]
    jpeg_only: bool = False  # the social image: share cards fetch one JPEG


# Cards on the front page and the lists are 3:2; a listing's small phone thumbnail is square;
# the share card (og:image, JSON-LD) is the 1200 x 630 that Facebook, LinkedIn and X all show.
CROPS = {
    "card": Crop(3, 2, (320, 640, 1024)),
    "square": Crop(1, 1, (160, 320)),
    "social": Crop(1200, 630, (1200,), jpeg_only=True),
}


def crop_box(
    width: int, height: int, focal_x: float, focal_y: float, ratio: tuple[int, int]
) -> tuple[int, int, int, int]:
    """The largest (left, top, right, bottom) box of aspect `ratio` inside a width x height
    image, centred on the focal point (fractions 0..1 of width and height) as far as the edges
    allow: so it always holds the focal point, and only the long side is cut."""
    ratio_w, ratio_h = ratio
    if width * ratio_h > height * ratio_w:  # wider than the ratio: keep the height
        box_h = height
        box_w = min(width, max(1, (height * ratio_w * 2 + ratio_h) // (ratio_h * 2)))
    else:
        box_w = width
        box_h = min(height, max(1, (width * ratio_h * 2 + ratio_w) // (ratio_w * 2)))
    left = _clamp(round(_fraction(focal_x) * width - box_w / 2), 0, width - box_w)
    top = _clamp(round(_fraction(focal_y) * height - box_h / 2), 0, height - box_h)
    return left, top, left + box_w, top + box_h


def _fraction(value: float) -> float:
    return 0.5 if not math.isfinite(value) else min(1.0, max(0.0, value))


def _clamp(value: int, low: int, high: int) -> int:
    return min(high, max(low, value))


def crop_sizes(name: str, width: int, height: int) -> list[tuple[int, int]]:
    """The (width, height) of each rendition of crop `name` of a width x height photo: the
    crop's widths below its box's, and the box's own up to the largest (never an upscale)."""
    crop = CROPS[name]
    left, _top, right, _bottom = crop_box(width, height, 0.5, 0.5, (crop.ratio_w, crop.ratio_h))
    largest = min(right - left, crop.widths[-1])
    widths = [w for w in crop.widths if w < largest] + [largest]
    return [(w, max(1, round(w * crop.ratio_h / crop.ratio_w))) for w in widths]


def crop_formats(name: str) -> tuple[str, ...]:
    return ("jpeg",) if CROPS[name].jpeg_only else rendition_formats()


def avif_supported() -> bool:
    return bool(features.check("avif"))


def rendition_formats() -> tuple[str, ...]:
    """Best first: the order of <source> elements in a <picture>."""
    return ("avif", "webp", "jpeg") if avif_supported() else ("webp", "jpeg")


def rendition_widths(original_width: int) -> list[int]:
    """The standard widths below the original's, and the original's own (up to the largest):
    never an upscale."""
    largest = min(original_width, WIDTHS[-1])
    return [w for w in WIDTHS if w < largest] + [largest]


def inspect(path: Path, max_pixels: int) -> Inspected:
    """Decode the whole file; raise BadImage with a clear message if it is not an accepted photo."""
    if path.stat().st_size == 0:
        raise BadImage("The file is empty (0 bytes). Choose the photo again.")
    _refuse_markup(path)
    try:
        with warnings.catch_warnings():
            # Pillow warns (and errors past twice its limit) on huge images; both are refusals.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=DECODERS) as image:
                width, height = image.size
                if width * height > max_pixels:  # from the header, before decoding any pixel
                    raise BadImage(_too_many_pixels(width, height, max_pixels))
                image.load()
                return _inspected(image)
    except BadImage:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise BadImage(_too_many_pixels(0, 0, max_pixels)) from error
    except UnidentifiedImageError as error:
        raise BadImage(
            "This file is not a photo we can read. Upload a JPEG, PNG, WebP, HEIC or AVIF file "
            "(SVG and other drawings are not accepted)."
        ) from error
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise BadImage(
            "The file is damaged or incomplete: it could not be read to the end. "
            "Upload the photo again, or export it afresh."
        ) from error


def _too_many_pixels(width: int, height: int, max_pixels: int) -> str:
    size = f" ({width:,} x {height:,} pixels)" if width else ""
    return (
        f"The photo is too large{size}: at most {max_pixels // 1_000_000} megapixels are "
        "accepted. Export it smaller and upload it again."
    )


def _refuse_markup(path: Path) -> None:
    with path.open("rb") as file:
        tail = b""
        while chunk := file.read(SCAN_CHUNK):
            if MARKUP.search(tail + chunk):
                raise BadImage(
                    "This file contains web page or script code as well as an image, so it was "
                    "refused. Export the photo again from your photo editor."
                )
            tail = chunk[-16:]


def _inspected(image: ImageFile) -> Inspected:
    assert image.format is not None  # set by open() for every accepted format
    exif = image.getexif()
    width, height = image.size
    if exif.get(ORIENTATION) in (5, 6, 7, 8):  # a quarter turn: displayed on its side
        width, height = height, width
    caption, credit = captions(image)
    return Inspected(
        format=image.format,
        extension=ACCEPTED[image.format],
        width=width,
        height=height,
        caption=caption,
        credit=credit,
    )


def captions(image: ImageFile) -> tuple[str, str]:
    """(caption, credit) from IPTC, XMP and EXIF, in that order of preference (agencies fill
    IPTC; cameras only EXIF)."""
    exif = image.getexif()
    iptc = IptcImagePlugin.getiptcinfo(image) or {}
    xmp = _xmp(image)
    caption = _first(iptc.get(IPTC_CAPTION), xmp.get("caption"), exif.get(DESCRIPTION))
    credit = _first(
        iptc.get(IPTC_CREDIT),
        iptc.get(IPTC_BYLINE),
        xmp.get("credit"),
        xmp.get("creator"),
        exif.get(ARTIST),
        iptc.get(IPTC_COPYRIGHT),
        exif.get(COPYRIGHT),
    )
    return caption, credit


def _xmp(image: Image.Image) -> dict[str, bytes]:
    packet = image.info.get("xmp")
    if not isinstance(packet, bytes):
        return {}
    found = {name: pattern.search(packet) for name, pattern in XMP_FIELDS.items()}
    return {name: match.group(1) for name, match in found.items() if match}


def _first(*values: object) -> str:
    """The first non-blank value as clean text (IPTC repeats come as lists; EXIF pads with NUL)."""
    for value in values:
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        if isinstance(value, str) and (text := _printable(value)):
            return text
    return ""


def _printable(text: str) -> str:
    return " ".join("".join(c for c in text if c.isprintable() or c.isspace()).split())


# --- renditions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoded:
    format: str
    width: int
    height: int
    content: bytes
    crop: str = FULL


def prepared(path: Path) -> Image.Image:
    """The original as displayed, in 8-bit sRGB, with nothing of its metadata left."""
    with Image.open(path, formats=DECODERS) as original:
        _decode_reduced(original)
        image = ImageOps.exif_transpose(original)
    image = _to_srgb(image)
    image.info = {}  # EXIF, GPS, XMP, ICC, comments: none of it may reach a rendition
    return image


def _decode_reduced(image: ImageFile) -> None:
    """Have a JPEG decode at 1/2, 1/4 or 1/8 scale where that still covers the largest
    rendition: a 24-megapixel photo then costs a quarter of the decoding and resizing."""
    if image.format not in ("JPEG", "MPO"):
        return
    turned = image.getexif().get(ORIENTATION) in (5, 6, 7, 8)
    scale = WIDTHS[-1] / (image.height if turned else image.width)
    if scale < 1:
        image.draft(image.mode, (math.ceil(image.width * scale), math.ceil(image.height * scale)))


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: scale to 8 bits (a plain convert would clip everything above 255 to white).
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in ("RGBA", "LA", "PA", "P", "La"):
        image = _on_white(image)
    if profile and image.mode in ("RGB", "CMYK"):
        try:  # CMYK and wide-gamut photos look right in browsers only once converted to sRGB
            converted = ImageCms.profileToProfile(
                image,
                io.BytesIO(profile),
                ImageCms.createProfile("sRGB"),
                outputMode="RGB",
            )
        except (ImageCms.PyCMSError, OSError):
            converted = None  # a broken profile: the plain conversion below is the best left
        if converted is not None:
            return converted
    return image.convert("RGB")


def _on_white(image: Image.Image) -> Image.Image:
    """Transparent areas onto white, as they show on the page (JPEG has no alpha)."""
    rgba = image.convert("RGBA")
    background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, rgba).convert("RGB")


def encode(
    image: Image.Image,
    fmt: str,
    width: int,
    *,
    crop: str = FULL,
    focal: tuple[float, float] = (0.5, 0.5),
) -> Encoded:
    """One rendition: `image` (from prepared()) scaled to `width` and re-encoded; with `crop`,
    the crop's box around `focal` scaled to `width` at the crop's exact ratio."""
    if crop == FULL:
        box = None
        height = max(1, round(image.height * width / image.width))
    else:
        spec = CROPS[crop]
        box = crop_box(image.width, image.height, *focal, (spec.ratio_w, spec.ratio_h))
        height = max(1, round(width * spec.ratio_h / spec.ratio_w))
    if box is None and width == image.width:
        scaled = image
    else:  # resize(box=) cuts and scales in one pass, without a copy of the cut
        scaled = image.resize((width, height), Image.Resampling.LANCZOS, box=box)
    scaled.info = {}
    buffer = io.BytesIO()
    options: dict[str, object] = {"quality": QUALITY[fmt]}
    if fmt == "jpeg":
        options |= {"optimize": True, "progressive": True}
    elif fmt == "avif":
        options |= {"speed": 8}  # a little larger for several times less CPU on the worker
    scaled.save(buffer, format=fmt.upper(), **options)
    return Encoded(fmt, width, height, buffer.getvalue(), crop)


def wanted_renditions(width: int, height: int) -> set[tuple[str, str, int]]:
    """Every (crop, format, width) a width x height photo has: whole-frame at each width, and
    each crop at its widths ("" is the whole frame)."""
    wanted = {(FULL, fmt, w) for fmt in rendition_formats() for w in rendition_widths(width)}
    for name in CROPS:
        for fmt in crop_formats(name):
            wanted |= {(name, fmt, w) for w, _h in crop_sizes(name, width, height)}
    return wanted


def encode_all(
    path: Path, wanted: set[tuple[str, str, int]], focal: tuple[float, float] = (0.5, 0.5)
) -> Iterator[Encoded]:
    """The renditions `wanted` ((crop, format, width), "" for the whole frame), crops cut
    around `focal`; one at a time (memory: one image)."""
    if not wanted:
        return
    image = prepared(path)
    for crop, fmt, width in sorted(wanted):
        yield encode(image, fmt, width, crop=crop, focal=focal)
