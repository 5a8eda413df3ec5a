"""lpweb's wheels: the core ``lpweb`` and its add-ons ``lpweb-widget`` and ``lpweb-emulator``.

All three install into the one ``lpweb`` import package; each file of ``lpweb/`` belongs to
exactly one distribution: an add-on owns the folders its ``packages`` name (the longest
match wins), the core owns the rest. Everything is read from pyproject.toml: ``[project]``
for the core, ``[tool.lpweb]`` for the package data, the extras (``{version}`` in them is
the version) and the add-ons. The version is ``lpweb/_version.py``'s ``__version__``.

Used two ways, standard library only (Python 3.11+):

- by ``python build.py wheel``: :func:`build_all` writes the three wheels into ``dist/``;
- as pyproject.toml's in-tree PEP 517/660 backend (``pip install .``, ``pip install -e .``,
  ``python -m build``): the core wheel, its editable form, an sdist.

A wheel here is what the wheel spec (PEP 427/491) asks for: the files, then
``<name>-<version>.dist-info/`` with METADATA (core metadata 2.1), WHEEL, entry_points.txt
when there are any, and RECORD (the sha256 and size of every file, RECORD itself last).
Archives are reproducible: sorted names, fixed timestamps, maximum deflate compression.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import io
import re
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORE = "lpweb"
TAG = "py3-none-any"
DATE = (1980, 1, 1, 0, 0, 0)  # the zip format's earliest date: archives do not depend on the clock
# The [project] keys this backend writes into METADATA; any other is an error, not dropped (PEP 621).
PROJECT_KEYS = {"name", "dynamic", "description", "readme", "requires-python", "license", "dependencies",
                "scripts", "entry-points"}


@dataclass
class Dist:
    """One distribution: its metadata and which files of the tree it ships."""

    name: str
    version: str
    summary: str
    packages: list[str]
    requires_python: str
    license: str = ""
    dependencies: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)
    entry_points: dict[str, dict[str, str]] = field(default_factory=dict)
    readme: str = ""

    @property
    def stem(self) -> str:
        """``lpweb_widget-0.1.0``: the normalised name and version of file names (PEP 427)."""
        return f"{re.sub(r'[-_.]+', '_', self.name).lower()}-{self.version}"

    @property
    def wheel_name(self) -> str:
        return f"{self.stem}-{TAG}.whl"


def version(root: Path = ROOT) -> str:
    text = (root / "lpweb" / "_version.py").read_text(encoding="utf-8")
    match = re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text)
    if not match:
        raise ValueError("cannot read __version__ from lpweb/_version.py")
    return match.group(1)


def distributions(root: Path = ROOT) -> list[Dist]:
    """The core first, then the add-ons, as pyproject.toml describes them."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    project, tool = config["project"], config["tool"]["lpweb"]
    unknown = set(project) - PROJECT_KEYS
    if unknown or project["name"] != CORE or set(project["dynamic"]) != {"version", "optional-dependencies"}:
        raise ValueError(f"pyproject.toml [project]: tools/wheelbuild.py does not write {sorted(unknown)}; "
                         f"it builds {CORE!r} with a dynamic version and optional-dependencies ([tool.lpweb])")
    v = version(root)

    def pin(items: list[str]) -> list[str]:
        return [item.replace("{version}", v) for item in items]

    scripts = {"console_scripts": project["scripts"]} if project.get("scripts") else {}
    core = Dist(CORE, v, project["description"], list(tool["packages"]), project["requires-python"],
                project.get("license", {}).get("text", ""), pin(project.get("dependencies", [])),
                {extra: pin(reqs) for extra, reqs in tool["optional-dependencies"].items()},
                {**scripts, **project.get("entry-points", {})},
                (root / project["readme"]).read_text(encoding="utf-8"))
    addons = []
    for name, spec in tool["addons"].items():
        points = dict(spec.get("entry-points", {}))
        if spec.get("scripts"):
            points["console_scripts"] = spec["scripts"]
        addons.append(Dist(name, v, spec["summary"], list(spec["packages"]), core.requires_python, core.license,
                           pin(spec.get("dependencies", [])), entry_points=points))
    return [core, *addons]


def owner(path: str, dists: list[Dist]) -> Dist | None:
    """The distribution that ships ``path`` (relative to the tree): the longest package prefix."""
    best: tuple[int, Dist | None] = (0, None)
    for dist in dists:
        for package in dist.packages:
            if path.startswith(package + "/") and len(package) > best[0]:
                best = (len(package), dist)
    return best[1]


def source_files(root: Path, data: list[str]) -> list[str]:
    """Every module of the tree plus the package data globs, as sorted relative paths."""
    files = []
    for path in sorted((root / CORE).rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        if path.suffix == ".py" or any(fnmatch.fnmatchcase(rel, pattern) for pattern in data):
            files.append(rel)
    return files


def metadata(dist: Dist) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {dist.name}", f"Version: {dist.version}",
             f"Summary: {dist.summary}", f"Requires-Python: {dist.requires_python}"]
    if dist.license:
        lines.append(f"License: {dist.license}")
    lines += [f"Requires-Dist: {req}" for req in dist.dependencies]
    for extra, reqs in dist.extras.items():
        lines.append(f"Provides-Extra: {extra}")
        for req in reqs:
            spec, _, marker = req.partition(";")
            condition = f'({marker.strip()}) and extra == "{extra}"' if marker else f'extra == "{extra}"'
            lines.append(f"Requires-Dist: {spec.strip()}; {condition}")
    if dist.readme:
        lines.append("Description-Content-Type: text/markdown")
    return "\n".join(lines) + "\n\n" + dist.readme


def entry_points(dist: Dist) -> str:
    return "".join(f"[{group}]\n" + "".join(f"{name} = {target}\n" for name, target in points.items()) + "\n"
                   for group, points in sorted(dist.entry_points.items()))


def record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}\n"


def write_wheel(dist: Dist, files: dict[str, bytes], out_dir: Path) -> Path:
    """``files`` (archive name -> bytes) plus the dist-info, as ``out_dir/<wheel name>``."""
    info = f"{dist.stem}.dist-info"
    meta = {f"{info}/METADATA": metadata(dist).encode(),
            f"{info}/WHEEL": f"Wheel-Version: 1.0\nGenerator: lpweb tools/wheelbuild.py\n"
                             f"Root-Is-Purelib: true\nTag: {TAG}\n".encode()}
    if dist.entry_points:
        meta[f"{info}/entry_points.txt"] = entry_points(dist).encode()
    entries = [*sorted(files.items()), *meta.items()]
    record = "".join(record_line(name, data) for name, data in entries) + f"{info}/RECORD,,\n"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / dist.wheel_name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in [*entries, (f"{info}/RECORD", record.encode())]:
            entry = zipfile.ZipInfo(name, DATE)
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(entry, data, compresslevel=9)
    return path


def package_data(root: Path = ROOT) -> list[str]:
    """``[tool.lpweb] package-data``: globs of the non-Python files the wheels ship."""
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["lpweb"].get("package-data", []))


def contents(dists: list[Dist], root: Path = ROOT) -> dict[str, dict[str, bytes]]:
    """Distribution name -> its files (archive name -> bytes): each file of the tree in exactly one."""
    shipped: dict[str, dict[str, bytes]] = {dist.name: {} for dist in dists}
    for rel in source_files(root, package_data(root)):
        dist = owner(rel, dists)
        if dist is not None:
            shipped[dist.name][rel] = (root / rel).read_bytes()
    return shipped


def build_all(out_dir: Path, root: Path = ROOT) -> list[Path]:
    """The three wheels in ``out_dir``, the core first."""
    dists = distributions(root)
    shipped = contents(dists, root)
    return [write_wheel(dist, shipped[dist.name], out_dir) for dist in dists]


FINDER = '''"""Editable lpweb: imports the lpweb package from {root} (written by tools/wheelbuild.py)."""
import sys
from importlib.machinery import PathFinder


class EditableFinder:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        return PathFinder.find_spec(name, [{root!r}]) if name == "lpweb" else None


def install():
    if EditableFinder not in sys.meta_path:
        sys.meta_path.append(EditableFinder)
'''


def build_editable_wheel(dist: Dist, out_dir: Path, root: Path = ROOT) -> Path:
    """The editable form: the core maps ``lpweb`` to the source tree (a finder, as setuptools does:
    nothing else of the checkout lands on sys.path); an add-on is its dist-info alone (its files
    are in that same tree), for its entry points and dependencies."""
    files: dict[str, bytes] = {}
    if dist.name == CORE:
        module = "__editable___lpweb_finder"
        files[f"{module}.py"] = FINDER.format(root=str(root.resolve())).encode()
        files[f"__editable__.{dist.stem}.pth"] = f"import {module}; {module}.install()\n".encode()
    return write_wheel(dist, files, out_dir)


def build_editable_all(out_dir: Path, root: Path = ROOT) -> list[Path]:
    return [build_editable_wheel(dist, out_dir, root) for dist in distributions(root)]


# --------------------------------------------------------------------------- PEP 517 / 660 hooks

def build_wheel(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """PEP 517: the core wheel (the add-ons come from ``python build.py wheel``)."""
    dists = distributions()
    return write_wheel(dists[0], contents(dists)[CORE], Path(wheel_directory)).name


def build_editable(wheel_directory: str, config_settings: Any = None, metadata_directory: Any = None) -> str:
    """PEP 660: the core's editable wheel."""
    return build_editable_wheel(distributions()[0], Path(wheel_directory)).name


def build_sdist(sdist_directory: str, config_settings: Any = None) -> str:
    """PEP 517: the source tree lpweb's wheels are built from (pyproject, README, this backend, lpweb/)."""
    core = distributions()[0]
    name = f"{core.stem}.tar.gz"
    files = ["pyproject.toml", "README.md", "tools/wheelbuild.py",
             *source_files(ROOT, package_data())]
    with tarfile.open(Path(sdist_directory) / name, "w:gz") as tar:
        for rel, data in [("PKG-INFO", metadata(core).encode()),
                          *((rel, (ROOT / rel).read_bytes()) for rel in files)]:
            entry = tarfile.TarInfo(f"{core.stem}/{rel}")
            entry.size, entry.mode, entry.mtime = len(data), 0o644, 315532800  # 1980-01-01, as the wheels
            tar.addfile(entry, io.BytesIO(data))
    return name
