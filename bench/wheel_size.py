"""Wheel sizes: the bytes of dist/'s three wheels (built by ``python build.py wheel``), and where they go.

    python bench/wheel_size.py              # sizes and the parts of each wheel
    python bench/run.py --only wheel        # the same, merged into bench/results.json

Result keys: ``wheel_bytes`` is the core ``lpweb`` wheel, what ``pip install lpweb[native]``
downloads of lpweb (goal <= 150,000), with ``wheel_files`` and ``wheel_parts`` (the compressed
bytes per top-level part: subpackage, module or dist-info file, largest first);
``wheel_bytes_widget`` and ``wheel_bytes_emulator`` are the add-ons ``lpweb-widget`` and
``lpweb-emulator`` (the extras ``lpweb[widget]``, ``lpweb[emulator]``), each with its
``_files`` and ``_parts`` too.
"""

from __future__ import annotations

import collections
import sys
import zipfile
from pathlib import Path
from typing import Any

DIST = Path(__file__).resolve().parents[1] / "dist"
# Key suffix -> the wheel's project name as it starts the file name.
WHEELS = {"": "lpweb", "_widget": "lpweb_widget", "_emulator": "lpweb_emulator"}


def the_wheels() -> dict[str, Path]:
    found = {}
    for suffix, project in WHEELS.items():
        wheels = sorted(DIST.glob(f"{project}-*.whl"))
        if len(wheels) != 1:
            raise RuntimeError(f"expected one dist/{project}-*.whl (run `python build.py wheel`), found {wheels}")
        found[suffix] = wheels[0]
    return found


def measure(whl: Path, suffix: str = "") -> dict[str, Any]:
    parts: collections.Counter[str] = collections.Counter()
    with zipfile.ZipFile(whl) as zf:
        infos = zf.infolist()
    for info in infos:
        parts["/".join(info.filename.split("/")[:2])] += info.compress_size
    return {f"wheel_bytes{suffix}": whl.stat().st_size, f"wheel_files{suffix}": len(infos),
            f"wheel_parts{suffix}": dict(parts.most_common())}


def bench(quick: bool = False) -> dict[str, Any]:
    keys: dict[str, Any] = {}
    for suffix, whl in the_wheels().items():
        keys.update(measure(whl, suffix))
    return keys


def benchmark(quick: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """bench/run.py's entry: prints the sizes (no table rows of its own) and returns the keys."""
    keys = bench(quick)
    print(f"wheel_bytes {keys['wheel_bytes']:,} (goal <= 150,000), {keys['wheel_files']} files; "
          f"wheel_bytes_widget {keys['wheel_bytes_widget']:,}; wheel_bytes_emulator {keys['wheel_bytes_emulator']:,}",
          flush=True)
    return [], keys


def main() -> None:
    keys = bench()
    for suffix, whl in the_wheels().items():
        goal = " (goal <= 150,000)" if not suffix else ""
        print(f"{whl.name}: {keys['wheel_bytes' + suffix]:,} bytes, {keys['wheel_files' + suffix]} files{goal}")
        for part, size in keys["wheel_parts" + suffix].items():
            print(f"  {size:>8,}  {part}")


if __name__ == "__main__":
    sys.exit(main())
