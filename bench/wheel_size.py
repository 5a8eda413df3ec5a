"""Wheel size: the bytes of ``dist/lpweb-*.whl`` (built by ``python build.py wheel``), and where they go.

    python bench/wheel_size.py              # size and the largest parts
    python bench/run.py --only wheel        # the same, merged into bench/results.json

Result keys: ``wheel_bytes`` (goal <= 150,000) and ``wheel_files``; ``wheel_parts`` gives the
compressed bytes per top-level part (subpackage, module or dist-info file), largest first.
"""

from __future__ import annotations

import collections
import sys
import zipfile
from pathlib import Path
from typing import Any

DIST = Path(__file__).resolve().parents[1] / "dist"


def the_wheel() -> Path:
    wheels = sorted(DIST.glob("lpweb-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one dist/lpweb-*.whl (run `python build.py wheel`), found {wheels}")
    return wheels[0]


def measure(whl: Path) -> dict[str, Any]:
    parts: collections.Counter[str] = collections.Counter()
    with zipfile.ZipFile(whl) as zf:
        infos = zf.infolist()
    for info in infos:
        parts["/".join(info.filename.split("/")[:2])] += info.compress_size
    return {"wheel_bytes": whl.stat().st_size, "wheel_files": len(infos),
            "wheel_parts": dict(parts.most_common())}


def bench(quick: bool = False) -> dict[str, Any]:
    return measure(the_wheel())


def benchmark(quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """bench/run.py's entry: prints the size (no table rows of its own) and returns the keys."""
    keys = bench(quick)
    print(f"wheel_bytes {keys['wheel_bytes']:,} (goal <= 150,000), {keys['wheel_files']} files", flush=True)
    return [], keys


def main() -> None:
    keys = bench()
    print(f"{the_wheel().name}: {keys['wheel_bytes']:,} bytes, {keys['wheel_files']} files (goal <= 150,000)")
    for part, size in keys["wheel_parts"].items():
        print(f"  {size:>8,}  {part}")


if __name__ == "__main__":
    sys.exit(main())
