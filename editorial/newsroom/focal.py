"""The focal point panel of a photo's page: the two percent fields as typed, their problems,
and a look at the crops cut around the point (staff URLs: a draft's photo is not public)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import select

from editorial import imaging
from editorial.extensions import db
from editorial.models import Photo, Rendition
from editorial.newsroom.common import STAFF_MEDIA

CROP_LABELS = {"card": "Card (3:2)", "square": "Square (1:1)", "social": "Share card (1200 x 630)"}


@dataclass(frozen=True)
class CropPreview:
    label: str
    url: str
    width: int
    height: int


@dataclass
class FocalPanel:
    x: str  # percent from the left, as shown in (or typed into) its field
    y: str
    errors: dict[str, str] = field(default_factory=dict)
    crops: list[CropPreview] = field(default_factory=list)
    recutting: bool = False  # the point changed and the crops are being cut again


def percent(fraction: float) -> str:
    """0.375 -> "37.5"; 0.5 -> "50"."""
    return f"{fraction * 100:.1f}".removesuffix(".0")


def parse_percent(raw: str | None) -> float | None:
    """A typed percentage ("37.5", "37,5", "37.5 %") as a number; None if it is not one."""
    text = (raw or "").strip().removesuffix("%").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def focal_panel(
    photo: Photo, x: str | None = None, y: str | None = None, **errors: str
) -> FocalPanel:
    """The panel for `photo`: its saved point unless the typed `x`/`y` are given back."""
    rows = db.session.execute(
        select(
            Rendition.crop,
            Rendition.key,
            Rendition.width,
            Rendition.height,
            Rendition.focal_x,
            Rendition.focal_y,
        )
        .where(
            Rendition.photo_id == photo.id,
            Rendition.crop != imaging.FULL,
            Rendition.format == "jpeg",
        )
        .order_by(Rendition.width)
    ).all()
    smallest: dict[str, CropPreview] = {}
    recutting = False
    for row in rows:
        recutting |= (row.focal_x, row.focal_y) != (photo.focal_x, photo.focal_y)
        smallest.setdefault(
            row.crop,
            CropPreview(
                CROP_LABELS.get(row.crop, row.crop), STAFF_MEDIA + row.key, row.width, row.height
            ),
        )
    return FocalPanel(
        x=percent(photo.focal_x) if x is None else x,
        y=percent(photo.focal_y) if y is None else y,
        errors=errors,
        crops=[smallest[name] for name in imaging.CROPS if name in smallest],
        recutting=recutting,
    )
