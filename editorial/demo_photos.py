"""Lead photos for the demo paper: drawn with Pillow (no stock files to ship or license),
uploaded and rendered through the same services as a real photo, so `make run` shows a
front page with pictures without a Celery worker."""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageOps

from editorial.models import Person
from editorial.services import photos, renditions

SIZE = (
    1280,
    720,
)  # 16:9: renditions up to 1280 wide (sharp at 680 px on 2x screens), quick to make
CREDIT = "Staff Photographer"
# Per desk: (sky top, sky bottom, land): each section's pictures share a palette.
PALETTES = {
    "national": ("#1d4e89", "#f4a259", "#2f6d3a"),
    "diplomatic": ("#2b2d42", "#8d99ae", "#3d405b"),
    "city": ("#3a0ca3", "#f72585", "#22223b"),
    "business": ("#023047", "#8ecae6", "#264653"),
    "international": ("#14213d", "#fca311", "#403d39"),
    "sports": ("#0077b6", "#caf0f8", "#2d6a4f"),
    "opinion": ("#5f0f40", "#fb8b24", "#310e1a"),
}


def draw(desk_slug: str) -> bytes:
    """A JPEG of a sky gradient, a sun and hills: a stand-in a reader can tell is not news."""
    rng = random.Random(desk_slug)  # the same picture for a desk on every run
    top, bottom, land = PALETTES.get(desk_slug, PALETTES["national"])
    width, height = SIZE
    gradient = Image.linear_gradient("L").resize(SIZE)
    image = ImageOps.colorize(gradient, black=top, white=bottom)
    pen = ImageDraw.Draw(image)
    sun_x, sun_y, radius = (
        rng.randint(200, width - 200),
        rng.randint(120, 420),
        rng.randint(60, 130),
    )
    pen.ellipse((sun_x - radius, sun_y - radius, sun_x + radius, sun_y + radius), fill="#fff3c4")
    for layer in range(3):
        base = int(height * (0.58 + 0.12 * layer))
        points = [(0, height)] + [
            (x, base - rng.randint(0, 140 - 40 * layer)) for x in range(0, width + 200, 200)
        ]
        shade = 1.0 - 0.25 * (2 - layer)
        fill = tuple(int(int(land[i : i + 2], 16) * shade) for i in (1, 3, 5))
        pen.polygon([*points, (width, height)], fill=fill)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def add_photo(desk_slug: str, *, actor: Person) -> int:
    """Upload a drawn photo with credit, caption and alt text, and make its renditions now
    (what the Celery task does), so the story may be published straight away."""
    photo = photos.upload_photo(
        io.BytesIO(draw(desk_slug)),
        photos.PhotoInput(
            caption=f"A demo picture for the {desk_slug.title()} section.",
            credit=CREDIT,
            alt_text="A drawn landscape: hills under a coloured sky and a pale sun (demo image).",
        ),
        actor=actor,
    )
    renditions.make_renditions(photo.id)
    return photo.id
