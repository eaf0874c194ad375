"""CPU per cold render, this checkout against another revision, taking turns (issue 14).

    .venv/bin/python bench/cold_render.py --against 3fe0234
    .venv/bin/python bench/cold_render.py --against HEAD~3 --rounds 30 --stories 500

Seeds a fresh SQLite folder (`flask demo --stories N`), checks the other revision out as a git
worktree in a temporary folder (removed afterwards), and starts one process in each checkout on
that database with the page cache off (every request renders, fragments too). They take turns:
in each round each renders `--batch` requests of a page with the Flask test client and reports
the CPU time (`time.process_time`) per request. Printed per page: the minimum and median of
each checkout, and the median and quartiles of the per-round ratios (theirs / ours: above 1,
this checkout renders faster). A neighbour that slows the machine slows both alike within a
round, so read the ratio, not the milliseconds. It also says whether both render the same
bytes for each page. Both revisions must run on this checkout's schema (migrations);
`bench/wagtail.py` gives the same renders against Wagtail under wrk.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profile_pages import seed  # noqa: E402

# Runs in each checkout: renders the page it is told, `n` times, and prints CPU ms a request.
WORKER = """
import hashlib, os, sys, time
sys.path.insert(0, os.getcwd())
from wsgi import app
app.config["PUBLIC_CACHE_ENABLED"] = False
client = app.test_client()
html = client.get("/").get_data(as_text=True)
start = html.index('class="lead-headline">')
article = html[html.index('href="', start) + 6 :].split('"', 1)[0]
paths = {"homepage": "/", "article": article}
for path in paths.values():
    for _ in range(30):
        assert client.get(path).status_code == 200
digests = [hashlib.sha256(client.get(path).data).hexdigest()[:16] for path in paths.values()]
print("ready", *digests, flush=True)
for line in sys.stdin:
    page, n = line.split()
    started = time.process_time()
    for _ in range(int(n)):
        client.get(paths[page])
    print((time.process_time() - started) / int(n) * 1000, flush=True)
"""


def start(checkout: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], list[str]]:
    """The worker, and the digests of the bytes it renders for each page."""
    worker = subprocess.Popen(
        [str(ROOT / ".venv/bin/python"), "-c", WORKER],
        cwd=checkout,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    ready, *digests = worker.stdout.readline().split()
    if ready != "ready":
        sys.exit(f"the worker in {checkout} did not start")
    return worker, digests


def turn(worker: subprocess.Popen[str], page: str, batch: int) -> float:
    assert worker.stdin is not None and worker.stdout is not None
    worker.stdin.write(f"{page} {batch}\n")
    worker.stdin.flush()
    return float(worker.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--against", required=True, help="a git revision to compare with")
    parser.add_argument("--stories", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch", type=int, default=20, help="requests per turn")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="editorial-cold-"))
    theirs = folder / "checkout"
    try:
        env = seed(str(folder), args.stories)
        env["EDITORIAL_ENV"] = "production"
        env.setdefault("SECRET_KEY", "bench-" + "x" * 40)
        subprocess.run(
            ["git", "worktree", "add", "--detach", "-q", str(theirs), args.against],
            cwd=ROOT,
            check=True,
        )
        started = {"ours": start(ROOT, env), args.against: start(theirs, env)}
        workers = {name: worker for name, (worker, _digests) in started.items()}
        same = started["ours"][1] == started[args.against][1]
        print(f"{args.stories} generated stories, {args.rounds} rounds of {args.batch} requests")
        print(f"the same bytes for both pages: {'yes' if same else 'NO'}")
        for page in ("article", "homepage"):
            times: dict[str, list[float]] = {name: [] for name in workers}
            for _ in range(args.rounds):
                for name, worker in workers.items():
                    times[name].append(turn(worker, page, args.batch))
            ratios = sorted(t / o for t, o in zip(times[args.against], times["ours"], strict=True))
            for name, found in times.items():
                print(
                    f"{page:9} {name:12} CPU ms a request: min {min(found):6.2f}"
                    f"  median {statistics.median(found):6.2f}"
                )
            quarter = len(ratios) // 4
            print(
                f"{page:9} {args.against} / ours: {statistics.median(ratios):.2f}x"
                f" (quartiles {ratios[quarter]:.2f}-{ratios[-1 - quarter]:.2f})"
            )
        for worker in workers.values():
            assert worker.stdin is not None
            worker.stdin.close()
            worker.wait()
    finally:
        if theirs.exists():
            subprocess.run(["git", "worktree", "remove", "--force", str(theirs)], cwd=ROOT)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
