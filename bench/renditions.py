"""What does one photo's set of renditions cost on one worker, in time and memory?

    .venv/bin/python bench/renditions.py [--width 6000 --height 4000] [--repeat 1]

Makes a camera-like JPEG (24 megapixels by default: a noisy gradient, so it compresses like a
photo, with EXIF and GPS), then, each in a child process so their peak memory is their own:

- baseline: decode the JPEG and re-encode it once as a 1024 px JPEG (the least any resizing
  pipeline does);
- all: every rendition a photo gets (`imaging.wanted_renditions`: the whole frame in each
  format at each width, and the crops around the focal point: cards, squares, share card);
- whole: the whole-frame renditions alone (what a photo got before crops);
- crops: the crops alone (what a change of focal point costs);
- per format: the renditions of one format alone (whole frames and crops);

and prints seconds, the child's peak RSS, and each time as a multiple of the baseline (the
machine is shared and noisy: compare ratios, not seconds).
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


def wanted(path: Path, job: str, formats: tuple[str, ...]) -> set[tuple[str, str, int]]:
    with Image.open(path) as image:
        everything = imaging.wanted_renditions(image.width, image.height)
    return {
        (crop, fmt, width)
        for crop, fmt, width in everything
        if fmt in formats
        and (job != "whole" or crop == imaging.FULL)
        and (job != "crops" or crop != imaging.FULL)
    }


def _renditions(path: Path, job: str, formats: tuple[str, ...]) -> None:
    for _encoded in imaging.encode_all(path, wanted(path, job, formats), (0.3, 0.4)):
        pass


def _child(job: str, path: str, formats: tuple[str, ...], out: multiprocessing.Queue) -> None:
    start = time.perf_counter()
    if job == "baseline":
        _baseline(Path(path))
    else:
        _renditions(Path(path), job, formats)
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
        crops = {n: imaging.crop_sizes(n, args.width, args.height) for n in imaging.CROPS}
        print("crops " + ", ".join(f"{n} {[w for w, _h in sizes]}" for n, sizes in crops.items()))
        every = imaging.rendition_formats()
        jobs = [("baseline", ()), ("all", every), ("whole", every), ("crops", every)]
        jobs += [(fmt, (fmt,)) for fmt in every]
        base = None
        for name, formats in jobs:
            count = len(wanted(path, name, formats)) if name != "baseline" else 1
            runs = [measure(name, path, formats) for _ in range(args.repeat)]
            seconds = min(run[0] for run in runs)
            peak = max(run[1] for run in runs)
            base = base or seconds
            print(
                f"{name:9} {count:3} files {seconds:7.2f} s  peak RSS {peak:6.0f} MB"
                f"  x{seconds / base:5.1f}"
            )


if __name__ == "__main__":
    main()
