"""Issue 10: crops around the focal point. The box math is pure (Hypothesis checks it on any
image size, ratio and point); the encoder cuts that box and scales it to the crop's size."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from editorial import imaging

sides = st.integers(min_value=1, max_value=20_000)
fractions = st.floats(min_value=0, max_value=1)
ratios = st.sampled_from(
    [(c.ratio_w, c.ratio_h) for c in imaging.CROPS.values()] + [(16, 9), (2, 3), (1, 4)]
)


@given(sides, sides, fractions, fractions, ratios)
def test_the_box_is_inside_the_image_at_the_ratio_and_holds_the_focal_point(
    width: int, height: int, fx: float, fy: float, ratio: tuple[int, int]
) -> None:
    left, top, right, bottom = imaging.crop_box(width, height, fx, fy, ratio)
    box_w, box_h = right - left, bottom - top
    assert 0 <= left < right <= width and 0 <= top < bottom <= height
    # The largest such box: one side is the image's whole side.
    assert box_w == width or box_h == height
    # The ratio, up to rounding one side to whole pixels (or a side of one pixel at least).
    ratio_w, ratio_h = ratio
    if min(box_w, box_h) > 1:
        assert abs(box_w * ratio_h - box_h * ratio_w) * 2 <= max(ratio_w, ratio_h)
    # The focal point (a position between 0 and the side) lies within the box.
    assert left <= fx * width <= right and top <= fy * height <= bottom


@given(sides, sides, fractions, fractions, ratios)
def test_the_box_is_centred_on_the_point_unless_an_edge_stops_it(
    width: int, height: int, fx: float, fy: float, ratio: tuple[int, int]
) -> None:
    left, top, right, bottom = imaging.crop_box(width, height, fx, fy, ratio)
    centre_x, centre_y = (left + right) / 2, (top + bottom) / 2
    if 0 < left < width - (right - left):
        assert abs(centre_x - fx * width) <= 0.5
    if 0 < top < height - (bottom - top):
        assert abs(centre_y - fy * height) <= 0.5


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, -3.0, 7.0])
def test_a_point_off_the_image_is_taken_to_its_edge_or_the_middle(bad: float) -> None:
    left, top, right, bottom = imaging.crop_box(3000, 2000, bad, 0.5, (1, 1))
    assert left >= 0 and right <= 3000 and (top, bottom) == (0, 2000)


def test_crop_sizes_never_upscale_and_keep_the_exact_ratio() -> None:
    assert imaging.crop_sizes("card", 6000, 4000) == [(320, 213), (640, 427), (1024, 683)]
    assert imaging.crop_sizes("square", 6000, 4000) == [(160, 160), (320, 320)]
    assert imaging.crop_sizes("social", 6000, 4000) == [(1200, 630)]
    # A small photo: its box is the largest size (800 x 420 for the share card, not 1200).
    assert imaging.crop_sizes("social", 800, 600) == [(800, 420)]
    assert imaging.crop_sizes("card", 300, 900) == [(300, 200)]


def test_every_photo_gets_whole_frames_and_each_crop() -> None:
    wanted = imaging.wanted_renditions(2000, 1500)
    assert {crop for crop, _fmt, _width in wanted} == {imaging.FULL, *imaging.CROPS}
    assert {fmt for crop, fmt, _w in wanted if crop == "social"} == {"jpeg"}
    assert {fmt for crop, fmt, _w in wanted if crop == "card"} == set(imaging.rendition_formats())


def _photo_with_a_red_spot(tmp_path, at: tuple[int, int]):
    """A grey 1600 x 800 photo with a red square around `at`."""
    image = Image.new("RGB", (1600, 800), (128, 128, 128))
    x, y = at
    image.paste((255, 0, 0), (x - 40, y - 40, x + 40, y + 40))
    path = tmp_path / "spot.png"
    image.save(path, "PNG")
    return path


@pytest.mark.parametrize("crop", ["card", "square", "social"])
def test_the_crop_keeps_the_focal_point_in_the_picture(tmp_path, crop: str) -> None:
    path = _photo_with_a_red_spot(tmp_path, (1500, 400))  # near the right edge
    focal = (1500 / 1600, 0.5)
    width, height = imaging.crop_sizes(crop, 1600, 800)[-1]
    encoded = next(imaging.encode_all(path, {(crop, "jpeg", width)}, focal))
    shown = Image.open(io.BytesIO(encoded.content)).convert("RGB")
    assert shown.size == (width, height) == (encoded.width, encoded.height)
    assert encoded.crop == crop
    # Cut around the middle instead, the spot would be outside a square (800 px wide box).
    reds = [shown.getpixel((x, height // 2))[0] for x in range(0, width, 4)]
    assert max(reds) > 200, "the red spot at the focal point was cut away"
    if crop == "square":
        middle = next(imaging.encode_all(path, {(crop, "jpeg", width)}))
        plain = Image.open(io.BytesIO(middle.content)).convert("RGB")
        assert max(plain.getpixel((x, height // 2))[0] for x in range(0, width, 4)) < 180
