"""Original demo stories for the demo newsroom (placeholder set; see seed_stories)."""

from __future__ import annotations

from editorial.demo import advance, write


def seed_stories() -> None:
    """A handful of stories in every state."""
    s = write(
        "rafiq.islam@editorial.local",
        "diplomatic",
        "Dhaka and Delhi agree to review Teesta water-sharing talks",
        "Foreign secretaries meet for the first time in two years.",
        "Bangladesh and India agreed on Monday to restart technical talks.\n\nMore to follow.",
    )
    advance(s, "tanvir.rahman@editorial.local", "published", hours_ago=2)
    s = write(
        "shirin.sultana@editorial.local",
        "city",
        "Metro rail extends evening service",
        "Trains will run until 11pm from next week.",
        "The operator said on Sunday...",
    )
    advance(s, "nasreen.akter@editorial.local", "submitted")
    write(
        "shirin.sultana@editorial.local",
        "national",
        "Draft: flood preparedness",
        "",
        "Notes so far.",
    )


def seed_generated_stories(count: int) -> None:  # replaced by the public-site work
    raise NotImplementedError
