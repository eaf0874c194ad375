"""What does one photo's set of renditions cost on one worker, in time and memory?

    .venv/bin/python bench/renditions.py [--width 6000 --height 4000] [--repeat 1]

Makes a camera-like JPEG (24 megapixels by default: a noisy gradient, so it compresses like a
photo, with EXIF and GPS), then, each in a child process so their peak memory is their own:

- baseline: decode the JPEG and re-encode it once as a 1024 px JPEG (the least any resizing
  pipeline does);
- all: every rendition (`imaging.encode_all`: each format at each width);
- per format: the renditions of one format alone;

and prints seconds, the child's peak RSS, and each time as a multiple of the baseline.
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image, ImageFilter

from editorial import imaging
from tests import photokit


def make_photo(path: Path, width: int, height: int) -> None:
    gradient = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)
    red = Image.blend(gradient, noise, 0.35)
    image = Image.merge("RGB", (red, noise.filter(ImageFilter.BoxBlur(2)), gradient))
    image.save(path, "JPEG", quality=92, exif=photokit.exif_bytes(artist="Bench", gps=True))


def _baseline(path: Path) -> None:
    with Image.open(path) as image:
        small = image.convert("RGB").resize((1024, round(1024 * image.height / image.width)))
    small.save(io.BytesIO(), "JPEG", quality=82)


def _renditions(path: Path, formats: tuple[str, ...]) -> None:
    with Image.open(path) as image:
        width = image.width
    wanted = {(f, w) for f in formats for w in imaging.rendition_widths(width)}
    for _encoded in imaging.encode_all(path, wanted):
        pass


def _child(job: str, path: str, formats: tuple[str, ...], out: multiprocessing.Queue) -> None:
    start = time.perf_counter()
    if job == "baseline":
        _baseline(Path(path))
    else:
        _renditions(Path(path), formats)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put((seconds, peak_mb))


def measure(job: str, path: Path, formats: tuple[str, ...] = ()) -> tuple[float, float]:
    out: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_child, args=(job, str(path), formats, out))
    child.start()
    result = out.get()
    child.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--width", type=int, default=6000)
    parser.add_argument("--height", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "camera.jpg"
        make_photo(path, args.width, args.height)
        megapixels = args.width * args.height / 1e6
        print(f"{megapixels:.0f} MP JPEG, {path.stat().st_size / 1e6:.1f} MB")
        print(
            f"formats {imaging.rendition_formats()}, widths {imaging.rendition_widths(args.width)}"
        )
        jobs = [("baseline", ()), ("all", imaging.rendition_formats())]
        jobs += [(fmt, (fmt,)) for fmt in imaging.rendition_formats()]
        base = None
        for name, formats in jobs:
            runs = [measure(name, path, formats) for _ in range(args.repeat)]
            seconds = min(run[0] for run in runs)
            peak = max(run[1] for run in runs)
            base = base or seconds
            print(f"{name:9} {seconds:7.2f} s  peak RSS {peak:6.0f} MB  x{seconds / base:5.1f}")


if __name__ == "__main__":
    main()
