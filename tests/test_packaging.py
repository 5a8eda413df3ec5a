"""Packaging: ``python build.py wheel`` gives three py3-none-any wheels, ``lpweb`` (the core
SDK), ``lpweb-widget`` and ``lpweb-emulator`` (emulator, test helpers, pytest plugin), that
share the ``lpweb`` package without shipping any file twice, with correct RECORDs and
metadata. Installed into fresh virtualenvs, offline (``pip --no-index`` from dist/; the
third-party packages are this environment's, linked in): the core alone imports and says
what to install for the emulator; with its ``emulator`` and ``widget`` extras the
``lpweb-emulator`` script serves the README's consumer quick start and the pytest plugin
runs the README's bot test."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.metadata
import os
import re
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
VERSION = re.search(r'__version__\s*=\s*"([^"]+)"', (ROOT / "lpweb" / "_version.py").read_text()).group(1)
ADDONS = {"lpweb_widget": ["lpweb/widget/"], "lpweb_emulator": ["lpweb/emulator/", "lpweb/testing/"]}
# What the fresh virtualenvs need from this one: the native extra, the emulator's aiohttp, pytest.
THIRD_PARTY = ["websockets", "httpx", "orjson", "aiohttp", "pytest", "pytest-asyncio"]


@pytest.fixture(scope="module")
def wheels() -> dict[str, Path]:
    """``python build.py wheel`` (rebuilds dist/'s wheels only when lpweb/ changed), by project."""
    result = subprocess.run([sys.executable, str(ROOT / "build.py"), "wheel"], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    if result.returncode != 0:
        pytest.fail(result.stdout + result.stderr)
    found = {whl.name.split("-")[0]: whl for whl in DIST.glob("lpweb*.whl")}
    assert sorted(found) == ["lpweb", "lpweb_emulator", "lpweb_widget"]
    assert all(whl.name == f"{project}-{VERSION}-py3-none-any.whl" for project, whl in found.items())
    return found


def dist_info(zf: zipfile.ZipFile, name: str) -> str:
    [path] = [n for n in zf.namelist() if re.fullmatch(rf"[^/]+\.dist-info/{name}", n)]
    return zf.read(path).decode()


def test_records_list_every_file_with_its_hash(wheels):
    for whl in wheels.values():
        with zipfile.ZipFile(whl) as zf:
            record = dist_info(zf, "RECORD")
            listed = {}
            for line in record.splitlines():
                path, digest, size = line.rsplit(",", 2)
                listed[path] = (digest, size)
            assert set(listed) == set(zf.namelist()), whl.name
            for path, (digest, size) in listed.items():
                if path.endswith(".dist-info/RECORD"):
                    assert (digest, size) == ("", "")
                    continue
                data = zf.read(path)
                want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
                assert (digest, size) == (f"sha256={want}", str(len(data))), f"{whl.name}: {path}"
            assert "Root-Is-Purelib: true" in dist_info(zf, "WHEEL") and "Tag: py3-none-any" in dist_info(zf, "WHEEL")


def test_each_file_is_in_exactly_one_wheel(wheels):
    shipped: dict[str, list[str]] = {}
    for project, whl in wheels.items():
        with zipfile.ZipFile(whl) as zf:
            for name in zf.namelist():
                if ".dist-info/" not in name:
                    shipped.setdefault(name, []).append(project)
    for name, owners in shipped.items():
        expected = next((p for p, prefixes in ADDONS.items() if name.startswith(tuple(prefixes))), "lpweb")
        assert owners == [expected], name
    tree = {p.relative_to(ROOT).as_posix() for p in (ROOT / "lpweb").rglob("*.py") if "__pycache__" not in p.parts}
    assert tree <= set(shipped), sorted(tree - set(shipped))
    assert shipped["lpweb/py.typed"] == ["lpweb"]
    assert shipped["lpweb/widget/i18n/ar.json"] == ["lpweb_widget"]
    assert shipped["lpweb/cli/chat.py"] == shipped["lpweb/__main__.py"] == ["lpweb"]


def test_metadata_ties_the_three_together(wheels):
    with zipfile.ZipFile(wheels["lpweb"]) as zf:
        core, core_points = dist_info(zf, "METADATA"), dist_info(zf, "entry_points.txt")
    requires = [line for line in core.split("\n\n")[0].splitlines() if line.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" not in r] == [], "the core must have no dependency"
    assert f'Requires-Dist: lpweb-emulator=={VERSION}; extra == "emulator"' in requires
    assert f'Requires-Dist: lpweb-widget=={VERSION}; extra == "widget"' in requires
    assert 'Requires-Dist: websockets>=14; extra == "native"' in requires
    assert "lpweb = lpweb.__main__:main" in core_points and "pytest11" not in core_points
    assert "## Quick start: a consumer conversation" in core                    # the README is the description
    with zipfile.ZipFile(wheels["lpweb_emulator"]) as zf:
        emulator, points = dist_info(zf, "METADATA"), dist_info(zf, "entry_points.txt")
    assert f"Requires-Dist: lpweb=={VERSION}" in emulator and "Requires-Dist: aiohttp>=3.9" in emulator
    assert re.search(r"\[pytest11\]\s*\nlpweb = lpweb.testing.pytest_plugin", points)
    assert "lpweb-emulator = lpweb.emulator.__main__:main" in points
    with zipfile.ZipFile(wheels["lpweb_widget"]) as zf:
        widget = dist_info(zf, "METADATA")
    assert f"Requires-Dist: lpweb=={VERSION}" in widget and "Name: lpweb-widget" in widget


def copy_of_the_project(tmp_path: Path, edit) -> Path:
    """pyproject.toml (changed by ``edit``), README.md and lpweb/_version.py in a folder of their own."""
    (tmp_path / "lpweb").mkdir(parents=True)
    (tmp_path / "lpweb" / "_version.py").write_text((ROOT / "lpweb" / "_version.py").read_text())
    (tmp_path / "README.md").write_text("# lpweb\n")
    (tmp_path / "pyproject.toml").write_text(edit((ROOT / "pyproject.toml").read_text()))
    return tmp_path


def test_the_builder_refuses_metadata_it_would_drop_and_keeps_markers(tmp_path):
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import wheelbuild
    finally:
        sys.path.remove(str(ROOT / "tools"))
    root = copy_of_the_project(tmp_path / "a", lambda text: text.replace(
        'dependencies = []\n', 'dependencies = []\nclassifiers = ["Typing :: Typed"]\n', 1))
    with pytest.raises(ValueError, match="classifiers"):
        wheelbuild.distributions(root)
    root = copy_of_the_project(tmp_path / "b", lambda text: text.replace(
        'native = [', 'native = ["tomli>=2; python_version < \'3.12\'", ', 1))
    core = wheelbuild.metadata(wheelbuild.distributions(root)[0])
    assert "Requires-Dist: tomli>=2; (python_version < '3.12') and extra == \"native\"" in core


def third_party(tmp_path: Path) -> Path:
    """A folder with links to THIRD_PARTY and what they need, as installed here (no index needed)."""
    folder = tmp_path / "third-party"
    folder.mkdir()
    todo, seen = list(THIRD_PARTY), set()
    while todo:
        dist = importlib.metadata.distribution(todo.pop())
        name = dist.metadata["Name"].lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        for req in map(Requirement, dist.requires or []):
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
        for top in {f.parts[0] for f in dist.files or [] if f.parts[0] != ".."}:
            if not (folder / top).exists() and Path(dist.locate_file(top)).exists():
                (folder / top).symlink_to(Path(dist.locate_file(top)))
    return folder


def fresh_venv(tmp_path: Path, requirement: str) -> Path:
    """A new virtualenv with ``requirement`` installed from dist/ only; returns its bin/ folder."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False, symlinks=True)
    [site] = (env_dir / "lib").glob("python3*/site-packages")
    (site / "third_party.pth").write_text(f"{third_party(tmp_path)}\n")
    install = subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                              "-q", "--disable-pip-version-check", "--no-index", "--find-links", str(DIST),
                              requirement], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    return env_dir / "bin"


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def test_the_core_alone(wheels, tmp_path):
    """``pip install lpweb[native]``: the SDK and the CLI, no widget, no emulator, no pytest plugin."""
    bin_dir = fresh_venv(tmp_path, "lpweb[native]")
    check = r"""
import importlib, importlib.metadata, pkgutil, sys, lpweb
modules = [m.name for m in pkgutil.walk_packages(lpweb.__path__, "lpweb.")]
for name in modules:
    importlib.import_module(name)
assert not any(m.startswith(("lpweb.widget", "lpweb.emulator", "lpweb.testing")) for m in modules), modules
assert "lpweb.transports.native" in modules and "lpweb.cli.chat" in modules
try:
    import lpweb.emulator
except ModuleNotFoundError as exc:
    assert exc.name == "lpweb.emulator", exc.name
else:
    sys.exit("lpweb.emulator imported without lpweb-emulator")
assert [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "lpweb"] == []
print(lpweb.__file__, len(modules))
"""
    result = subprocess.run([str(bin_dir / "python"), "-c", check], capture_output=True, text=True, cwd=tmp_path,
                            env=clean_env(), timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(tmp_path / "venv"))          # the installed wheel, not this checkout
    cli = subprocess.run([str(bin_dir / "lpweb"), "emulator", "--port", "0"], capture_output=True, text=True,
                         cwd=tmp_path, env=clean_env(), timeout=60)
    assert cli.returncode == 2
    assert "lpweb-emulator" in cli.stderr and "pip install 'lpweb[emulator]'" in cli.stderr
    assert not (bin_dir / "lpweb-emulator").exists()


def readme_block(heading: str, language: str) -> str:
    section = (ROOT / "README.md").read_text(encoding="utf-8").split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


async def test_all_three_run_the_readme(wheels, tmp_path):
    """``pip install lpweb[native,emulator,widget]``: the ``lpweb-emulator`` script serves the README's
    consumer quick start, the pytest plugin runs the README's bot test, the widget imports."""
    bin_dir = fresh_venv(tmp_path, "lpweb[native,emulator,widget]")
    env = clean_env()
    emulator = await asyncio.create_subprocess_exec(str(bin_dir / "lpweb-emulator"), "--port", "0", "--account",
                                                    "12345678", stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                                    env=env, cwd=str(tmp_path))
    try:
        ready = (await asyncio.wait_for(emulator.stdout.readline(), 60)).decode()
        assert "lpweb emulator ready at http://" in ready, ready + (await emulator.stderr.read()).decode()
        env["LPWEB_CSDS_DOMAIN"] = ready.split("http://", 1)[1].split()[0]
        code = readme_block("Quick start: a consumer conversation", "python")
        proc = await asyncio.create_subprocess_exec(str(bin_dir / "python"), "-c", code, env=env, cwd=str(tmp_path),
                                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        assert proc.returncode == 0, err.decode()
        assert "test" in out.decode().split()
    finally:
        emulator.terminate()
        await emulator.wait()

    (tmp_path / "test_bot.py").write_text(readme_block("Testing a bot with the pytest plugin", "python"))
    proc = await asyncio.create_subprocess_exec(str(bin_dir / "python"), "-m", "pytest", "-q", "-p",
                                                "no:cacheprovider", "test_bot.py", env=clean_env(),
                                                cwd=str(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 0 and "1 passed" in out.decode(), out.decode()

    check = ("import lpweb.widget, lpweb.testing.pytest_plugin, importlib.resources as r; "
             "print(lpweb.widget.__file__, r.files('lpweb.widget').joinpath('i18n/ar.json').is_file())")
    result = subprocess.run([str(bin_dir / "python"), "-c", check], capture_output=True, text=True, cwd=tmp_path,
                            env=clean_env(), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(str(tmp_path / "venv")) and result.stdout.split()[-1] == "True"
