"""Issue 10: uploads judged by decoding; renditions oriented, in sRGB, and free of metadata."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from editorial import imaging
from tests import photokit

CAP = 50_000_000


def _file(tmp_path: Path, content: bytes, name: str = "upload.jpg") -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


def _refusal(tmp_path: Path, content: bytes) -> str:
    with pytest.raises(imaging.BadImage) as refused:
        imaging.inspect(_file(tmp_path, content), CAP)
    return str(refused.value)


def test_a_png_named_jpg_is_taken_for_what_it_is(tmp_path: Path) -> None:
    found = imaging.inspect(_file(tmp_path, photokit.png((640, 480)), "holiday.jpg"), CAP)
    assert (found.format, found.extension, found.width, found.height) == ("PNG", "png", 640, 480)


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (photokit.SVG, "script code"),
        (photokit.SVG.replace(b"<script>alert(1)</script>", b""), "not a photo we can read"),
        (photokit.polyglot(), "script code"),
        (b"GIF89a" + b"\x00" * 200, "not a photo we can read"),
        (b"garbage, not an image at all" * 40, "not a photo we can read"),
        (photokit.truncated(), "damaged or incomplete"),
        (photokit.png_header_only(8000, 8000), "too large (8,000 x 8,000 pixels)"),
        (photokit.png_header_only(20000, 20000), "too large"),  # past Pillow's own bomb limit
    ],
    ids=["empty", "svg", "svg-plain", "polyglot", "gif", "garbage", "truncated", "64mp", "bomb"],
)
def test_bad_uploads_are_refused_with_a_clear_message(
    tmp_path: Path, content: bytes, says: str
) -> None:
    assert says in _refusal(tmp_path, content)


def test_captions_come_from_exif(tmp_path: Path) -> None:
    exif = photokit.exif_bytes(
        artist="Rafiq Ahmed", copyright="Daily Star", description="Boats on the Buriganga"
    )
    found = imaging.inspect(_file(tmp_path, photokit.jpeg(exif=exif)), CAP)
    assert (found.caption, found.credit) == ("Boats on the Buriganga", "Rafiq Ahmed")


def test_copyright_is_the_credit_when_no_photographer_is_named(tmp_path: Path) -> None:
    exif = photokit.exif_bytes(copyright="Agency Photo Ltd")
    assert imaging.inspect(_file(tmp_path, photokit.jpeg(exif=exif)), CAP).credit == (
        "Agency Photo Ltd"
    )


def test_captions_come_from_xmp(tmp_path: Path) -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description>'
        b'<dc:description><rdf:Alt><rdf:li xml:lang="x-default">Rain in Dhaka</rdf:li>'
        b"</rdf:Alt></dc:description><dc:creator><rdf:Seq><rdf:li>Nusrat Jahan</rdf:li>"
        b"</rdf:Seq></dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    found = imaging.inspect(_file(tmp_path, photokit.jpeg(xmp=xmp)), CAP)
    assert (found.caption, found.credit) == ("Rain in Dhaka", "Nusrat Jahan")


def test_a_quarter_turned_photo_reports_its_displayed_size(tmp_path: Path) -> None:
    upright = photokit.jpeg((800, 600), exif=photokit.exif_bytes(orientation=6))
    found = imaging.inspect(_file(tmp_path, upright), CAP)
    assert (found.width, found.height) == (600, 800)


def test_widths_never_upscale() -> None:
    assert imaging.rendition_widths(5000) == [320, 640, 1024, 1600, 2048]
    assert imaging.rendition_widths(1200) == [320, 640, 1024, 1200]
    assert imaging.rendition_widths(200) == [200]


def _readback(encoded: imaging.Encoded) -> Image.Image:
    image = Image.open(io.BytesIO(encoded.content))
    image.load()
    return image


def _all_renditions(path: Path, *, crops: bool = True) -> list[imaging.Encoded]:
    """Every rendition a photo gets (its crops too, unless `crops` is false)."""
    with Image.open(path) as original:
        width, height = imaging.ImageOps.exif_transpose(original).size
    wanted = imaging.wanted_renditions(width, height)
    if not crops:
        wanted = {item for item in wanted if item[0] == imaging.FULL}
    return list(imaging.encode_all(path, wanted))


def _middle(image: Image.Image) -> tuple[int, int]:
    return image.width // 2, image.height // 2


def test_renditions_carry_no_gps_serial_xmp_or_profile(tmp_path: Path) -> None:
    exif = photokit.exif_bytes(artist="Rafiq Ahmed", gps=True)
    original = photokit.jpeg((700, 500), exif=exif, xmp=b"<x:xmpmeta>secret</x:xmpmeta>")
    path = _file(tmp_path, original)
    with Image.open(path) as image:  # the original does carry them
        assert image.getexif().get_ifd(photokit.GPS_IFD)
    assert photokit.SERIAL.encode() in original

    renditions = _all_renditions(path)
    assert {r.format for r in renditions} == set(imaging.rendition_formats())
    assert {r.crop for r in renditions} == {imaging.FULL, *imaging.CROPS}
    for encoded in renditions:
        image = _readback(encoded)
        assert not image.getexif(), encoded.format
        assert not set(image.info) & {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"}
        for leak in (photokit.SERIAL.encode(), b"Rafiq", b"secret", b"GPS"):
            assert leak not in encoded.content, (encoded.format, leak)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    # 300 wide, 100 high, left third red; orientation 6 means "rotate 90 degrees clockwise".
    image = Image.new("RGB", (300, 100), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 100, 100))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", exif=photokit.exif_bytes(orientation=6))
    for encoded in _all_renditions(_file(tmp_path, buffer.getvalue(), "turned.png"), crops=False):
        shown = _readback(encoded).convert("RGB")
        assert shown.size == (100, 300)
        red, _green, blue = shown.getpixel((50, 20))  # the top after turning: the red third
        assert red > 200 and blue < 60, (encoded.format, shown.getpixel((50, 20)))


def test_cmyk_jpeg_comes_out_in_rgb_with_its_colours(tmp_path: Path) -> None:
    cyan = photokit.jpeg((400, 300), color=(255, 0, 0, 0), mode="CMYK")
    for encoded in _all_renditions(_file(tmp_path, cyan)):
        shown = _readback(encoded)
        assert shown.mode == "RGB"
        red, green, blue = shown.getpixel(_middle(shown))
        assert red < 40 and green > 200 and blue > 200, (encoded.format, (red, green, blue))


def test_16_bit_grey_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    grey = photokit.png((300, 200), mode="I;16", color=40000)  # 40000 / 65535: about 61 %
    for encoded in _all_renditions(_file(tmp_path, grey, "scan.png")):
        shown = _readback(encoded).convert("RGB")
        red, green, blue = shown.getpixel(_middle(shown))
        assert 145 <= red <= 167 and red == green == blue, encoded.format


def test_transparency_goes_onto_white(tmp_path: Path) -> None:
    clear = photokit.png((300, 200), mode="RGBA", color=(0, 0, 0, 0))
    for encoded in _all_renditions(_file(tmp_path, clear, "logo.png")):
        assert _readback(encoded).convert("RGB").getpixel((10, 10)) >= (245, 245, 245)


@pytest.mark.parametrize(
    ("stored", "orientation", "shown"),
    [((5000, 3000), None, (5000, 3000)), ((3000, 5000), 6, (5000, 3000))],
    ids=["landscape", "turned"],
)
def test_big_jpegs_decode_reduced_and_keep_their_shape(
    tmp_path: Path, stored: tuple[int, int], orientation: int | None, shown: tuple[int, int]
) -> None:
    exif = photokit.exif_bytes(orientation=orientation)
    path = _file(tmp_path, photokit.jpeg(stored, exif=exif))
    encoded = imaging.encode(imaging.prepared(path), "jpeg", 2048)
    assert (encoded.width, encoded.height) == (2048, round(2048 * shown[1] / shown[0]))
    assert _readback(encoded).size == (encoded.width, encoded.height)
