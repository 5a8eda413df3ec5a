#!/usr/bin/env python3
"""lpweb's one build entry point. Standard library only; run it with any Python 3.11+.

    python build.py setup          # .venv + dependencies, Debian chromium, vendored Pyodide/PyScript
    python build.py wheel          # dist/: the wheels of lpweb, lpweb-widget and lpweb-emulator
    python build.py web            # dist/site/: the static site (runtimes, wheels, demo page)
    python build.py demo           # emulator + static server + demo bot; prints the URL to open
    python build.py demo --check   # the same, but drives the page in headless Chromium and exits 0/1
    python build.py test           # pytest tests/ (native), then pytest e2e/ (Playwright)
    python build.py bench          # python bench/run.py, once benchmarks exist
    python build.py docs           # dist/docs/api.md: the API reference from the docstrings

Every step is idempotent and keeps a stamp (in ``.build-stamps/``, ``.venv/`` or next to
what it produced), so a second run with nothing changed takes well under a second.

The Python side lives in a virtualenv at ``.venv/`` (created by ``setup``). Whatever
interpreter you start this script with, it re-executes itself inside ``.venv`` after
creating or updating it, so ``python build.py <cmd>`` is all anyone types. Use
``.venv/bin/python`` (or activate ``.venv``) to run pytest or the emulator by hand.

Environment: ``LPWEB_CHROMIUM`` overrides the browser binary (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
import wheelbuild  # noqa: E402  (tools/wheelbuild.py: the wheels' contents and metadata)

if sys.version_info < (3, 11, 4):  # tarfile's filter="data" arrived in 3.11.4
    sys.exit(f"build.py needs Python 3.11.4 or newer (this is {sys.version.split()[0]})")

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PY = VENV / "bin" / "python"
STAMPS = ROOT / ".build-stamps"
DIST = ROOT / "dist"
SITE = DIST / "site"
VENDOR = ROOT / "web" / "vendor"
# The editable core gets these extras; the add-ons (emulator, widget) are installed editable
# beside it from wheels tools/wheelbuild.py writes, so pip never looks for them on an index.
EXTRAS = "native,test"
CHROMIUM = Path(os.environ.get("LPWEB_CHROMIUM", "/usr/bin/chromium"))

# npm spec and npm `dist.integrity` of each vendored runtime (browser.md section 4).
# Bump both together; read the integrity with `npm view <spec> dist.integrity`.
PINS = {
    "pyodide": ("pyodide@314.0.7",
                "sha512-0YvXxEhfEdpLfb/XkM2BFAeMROq0iMUX2bzzH9pOttyMcWkwq+HbE5uyuGD82LN7y2q+SNvi/6V5JEsOlD2R1A=="),
    "pyscript": ("@pyscript/core@0.7.31",
                 "sha512-GqM1aonc1N4RTkNZ1zJ8jJk8+i2cqeztZslPsAiQtn+wHHkUX9Z1FgIg4HjCvhBylB68UKmbTVTzOobpgPIMVQ=="),
    # Test-only: the accessibility scan of e2e/test_widget_a11y.py injects web/vendor/axe-core/axe.min.js
    # into the page. It is not copied into dist/site (cmd_web ships only Pyodide and PyScript).
    "axe-core": ("axe-core@4.14.1",
                 "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="),
}
# The only files of the pyodide package a browser needs (the lock is handled separately).
PYODIDE_RUNTIME = ["pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"]


# --------------------------------------------------------------------------- helpers

def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    log("$ " + " ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], check=True, cwd=kw.pop("cwd", ROOT), **kw)


def run_quiet(cmd: list[str]) -> None:
    """Run a chatty tool (pip, setuptools); show its output only when it fails."""
    log("$ " + " ".join(str(c) for c in cmd))
    res = subprocess.run([str(c) for c in cmd], cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stderr.write(res.stdout + res.stderr)
        raise subprocess.CalledProcessError(res.returncode, cmd)


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode() if isinstance(p, str) else p)
        h.update(b"\0")
    return h.hexdigest()


def tree_digest(*roots: Path) -> str:
    """Hash of the names and contents of every file under ``roots`` (caches excluded)."""
    h = hashlib.sha256()
    for root in roots:
        files = [root] if root.is_file() else sorted(
            p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc")
        for p in files:
            h.update(str(p.relative_to(ROOT)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()


def stamp_ok(name: str, value: str) -> bool:
    path = STAMPS / name
    return path.exists() and path.read_text() == value


def write_stamp(name: str, value: str) -> None:
    STAMPS.mkdir(exist_ok=True)
    (STAMPS / name).write_text(value)


def call(cmd: list) -> int:
    """Run a long-lived child (demo, pytest) in the foreground and return its exit code.

    Ctrl-C reaches the child too (same process group); wait for it to shut down cleanly
    instead of killing it, which is what subprocess.call would do.
    """
    log("$ " + " ".join(str(c) for c in cmd))
    proc = subprocess.Popen([str(c) for c in cmd], cwd=ROOT)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue


def sri(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def version() -> str:
    try:
        return wheelbuild.version(ROOT)
    except ValueError as exc:
        sys.exit(f"[build] {exc}")


def wheel_paths() -> list[Path]:
    """dist/'s wheels: the core (lpweb) first, then lpweb-widget and lpweb-emulator."""
    return [DIST / dist.wheel_name for dist in wheelbuild.distributions(ROOT)]


# --------------------------------------------------------------------------- setup

def ensure_venv() -> None:
    """Create .venv and install lpweb and its add-ons (editable) with the extras; skipped when
    pyproject, the wheel builder and the version are unchanged.

    A developer gets the three distributions, so the pytest plugin, ``lpweb-emulator`` and
    ``lpweb`` are registered, and every module imports from this checkout."""
    if not VENV_PY.exists():
        log(f"creating virtualenv {VENV.relative_to(ROOT)}/")
        run([sys.executable, "-m", "venv", VENV])
    # The stamp lives inside the venv, so deleting .venv always means a fresh install.
    stamp = VENV / ".lpweb-installed"
    key = digest((ROOT / "pyproject.toml").read_bytes(), (ROOT / "tools" / "wheelbuild.py").read_bytes(),
                 version(), EXTRAS, str(VENV_PY.resolve()))
    if stamp.exists() and stamp.read_text() == key:
        return
    run_quiet([VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip"])
    editable = STAMPS / "editable"
    shutil.rmtree(editable, ignore_errors=True)
    addons = wheelbuild.build_editable_all(editable, ROOT)[1:]
    run_quiet([VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q",
               "-e", f".[{EXTRAS}]", *addons])
    ensure_pyodide_lock_tool()
    stamp.write_text(key)


def ensure_pyodide_lock_tool() -> None:
    """pyodide-lock (the lock-file library behind pyodide-build) lists our wheel in a pyodide-lock.json.

    It is optional: without it the site ships Pyodide's lock unchanged and pages load
    lpweb by URL or through PyScript "files" (which is what the demo does anyway).
    pyodide-build's `build`/`venv` commands are not used: they download a cross-build
    environment from GitHub, which is neither on PyPI nor on npm (browser.md 10.2).
    """
    try:
        run_quiet([VENV_PY, "-m", "pip", "install", "--disable-pip-version-check", "-q",
                   "pyodide-lock>=0.1.2", "pkginfo", "packaging"])
    except subprocess.CalledProcessError:
        log("warning: could not install pyodide-lock; the site will ship Pyodide's lock unchanged")


def ensure_chromium() -> None:
    if CHROMIUM.exists():
        return
    cmd = "apt-get update && apt-get install -y chromium"
    if os.geteuid() != 0:
        sys.exit(f"[build] {CHROMIUM} is missing. Install Debian's chromium as root:\n\n"
                 f"    sudo sh -c '{cmd}'\n\n(or point LPWEB_CHROMIUM at a Chromium binary)")
    log(f"{CHROMIUM} is missing: installing Debian's chromium (a few minutes)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update"], env=env)
    run(["apt-get", "install", "-y", "chromium"], env=env)


def vendor(name: str) -> None:
    """npm pack a pinned runtime into web/vendor/<name>/, checking its sha512 (browser.md section 4)."""
    spec, integrity = PINS[name]
    dest = VENDOR / name
    stamp = dest / ".vendored"
    if stamp.exists() and stamp.read_text() == f"{spec} {integrity}":
        return
    cache = VENDOR / "tgz"
    cache.mkdir(parents=True, exist_ok=True)
    # npm's tarball name for "@scope/pkg@1.2.3" is "scope-pkg-1.2.3.tgz"
    tgz = cache / (spec.lstrip("@").replace("/", "-").replace("@", "-") + ".tgz")
    if not (tgz.exists() and sri(tgz) == integrity):
        if not shutil.which("npm"):
            sys.exit("[build] npm is needed once to fetch Pyodide, PyScript and axe-core (apt-get install -y npm)")
        cmd = ["npm", "pack", spec, "--pack-destination", str(cache)]
        log("$ " + " ".join(cmd))
        res = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        if res.returncode != 0 or not res.stdout.strip():
            sys.exit(f"{res.stderr}[build] `npm pack {spec}` failed (exit code {res.returncode}); "
                     "it needs the npm registry once")
        tgz = cache / res.stdout.strip().splitlines()[-1]  # npm prints the tarball's file name
    got = sri(tgz)
    if got != integrity:
        tgz.unlink()
        sys.exit(f"[build] integrity mismatch for {spec}:\n  expected {integrity}\n  got      {got}")
    shutil.rmtree(dest, ignore_errors=True)
    with tarfile.open(tgz) as tar:  # npm tarballs keep everything under package/
        members = [m for m in tar.getmembers() if m.name.startswith("package/")]
        for m in members:
            m.name = m.name.removeprefix("package/")
        tar.extractall(dest, members=members, filter="data")
    stamp.write_text(f"{spec} {integrity}")
    log(f"vendored {spec} into {dest.relative_to(ROOT)}/ (sha512 verified)")
    if name == "pyodide":
        info = json.loads((dest / "pyodide-lock.json").read_text())["info"]
        log(f"{spec} bundles CPython {info.get('python')} "
            f"(platform {info.get('platform')}, ABI {info.get('abi_version')})")


def cmd_setup(args: argparse.Namespace | None = None) -> None:
    ensure_venv()
    ensure_chromium()
    for name in PINS:
        vendor(name)


# --------------------------------------------------------------------------- wheel

def cmd_wheel(args: argparse.Namespace | None = None) -> list[Path]:
    """The core wheel and the two add-ons' (tools/wheelbuild.py); the core first."""
    cmd_setup()
    wheels = wheel_paths()
    key = digest(tree_digest(ROOT / "lpweb", ROOT / "pyproject.toml", ROOT / "README.md",
                             ROOT / "tools" / "wheelbuild.py"), *(w.name for w in wheels))
    if all(w.exists() for w in wheels) and stamp_ok("wheel", key):
        return wheels
    DIST.mkdir(exist_ok=True)
    for old in [*DIST.glob("lpweb-*.whl"), *DIST.glob("lpweb_*.whl")]:
        old.unlink()
    built = wheelbuild.build_all(DIST, ROOT)
    if built != wheels:
        sys.exit(f"[build] expected {[w.name for w in wheels]}; wrote {[w.name for w in built]}")
    write_stamp("wheel", key)
    for whl in wheels:
        log(f"built {whl.relative_to(ROOT)} ({whl.stat().st_size:,} bytes)")
    return wheels


# --------------------------------------------------------------------------- web

def sync_file(src: Path, dst: Path) -> bool:
    """Copy src to dst unless an identical copy (same size and mtime) is already there."""
    if dst.exists():
        s, d = src.stat(), dst.stat()
        if s.st_size == d.st_size and s.st_mtime_ns == d.st_mtime_ns:
            return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src, dst)
    return True


def write_if_changed(path: Path, text: str) -> bool:
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def lock_with_wheels(wheels: list[Path], out: Path) -> bool:
    """Write a copy of Pyodide's lock that also lists lpweb and lpweb-widget, so
    ``pyodide.loadPackage("lpweb-widget")`` (or ``"lpweb"``) works.

    Uses pyodide-lock's API offline, inside the venv (this script may run elsewhere, so
    it goes through a subprocess). Only the new entry is produced by pyodide-lock and
    merged into the raw JSON: its pydantic model forbids fields it does not know, and
    a newer Pyodide may add some. The entry's file_name is relative to the lock's folder
    (/vendor/pyodide/), pointing at /wheels/. Returns False when pyodide-lock is missing.
    The wheels are all in one folder.
    """
    src = VENDOR / "pyodide" / "pyodide-lock.json"
    script = r"""
import json, sys
from pathlib import Path
from pyodide_lock import PyodideLockSpec
from pyodide_lock.utils import add_wheels_to_spec
lock = json.loads(Path(sys.argv[1]).read_text())
wheels = [Path(p).resolve() for p in sys.argv[2].split(",")]
# Pyodide 314's lock has no info.version, which pyodide-lock 0.1.2 requires: take it
# from package.json (only the new entry is kept, so this does not leak into the output).
pkg = json.loads((Path(sys.argv[1]).parent / "package.json").read_text())
empty = PyodideLockSpec(info={"version": pkg["version"], **lock["info"]}, packages={})
spec = add_wheels_to_spec(empty, wheels, base_path=wheels[0].parent, base_url="../../wheels/")
for name, entry in spec.model_dump()["packages"].items():
    lock["packages"][name] = entry
Path(sys.argv[3]).write_text(json.dumps(lock, sort_keys=True))
print(json.dumps(spec.model_dump()["packages"]))
"""
    probe = subprocess.run([VENV_PY, "-c", "import pyodide_lock, pkginfo"], capture_output=True)
    if probe.returncode != 0:
        return False
    out.parent.mkdir(parents=True, exist_ok=True)
    res = subprocess.run([VENV_PY, "-c", script, src, ",".join(map(str, wheels)), out], capture_output=True,
                         text=True)
    if res.returncode != 0:
        log("warning: pyodide-lock could not add the wheels; shipping Pyodide's lock unchanged:\n"
            + res.stderr.strip().splitlines()[-1])
        return False
    return True


# The browser bundle: the files of the core and widget wheels (merged into one input archive)
# minus what cannot run in a page (the CLI and the native transport are native tools; the emulator
# and the test helpers are lpweb-emulator's, not passed here), the modules
# of the widget's start-up as CPython bytecode compiled by the vendored Pyodide itself (its
# CPython 3.14, under Node), without docstrings, `if TYPE_CHECKING:` blocks and column tables:
# the page then skips compiling ~0.4 MB of source, which measured 2-3x faster imports in
# Pyodide. The format is one gzip stream of a tar (not a zip): compressed as a whole, similar
# files next to each other (by extension), it is 15% smaller than a zip of the same files, and
# the page inflates it with the browser's own DecompressionStream while Pyodide is still
# booting, then writes the files straight into site-packages before the interpreter starts
# (web/lpweb-runtime.mjs). Member names are paths in site-packages, as in the wheel.
BUNDLE_SKIP = ("lpweb/emulator/", "lpweb/cli/", "lpweb/testing/", "lpweb/__main__.py", "lpweb/transports/native.py")
BUNDLE_SCRIPT = r"""
import ast, gzip, importlib, importlib.util, io, os, site, sys, tarfile, zipfile
src, out, skip = sys.argv[1], sys.argv[2], tuple(sys.argv[3].split(","))
target = site.getsitepackages()[0]  # where lpweb-runtime.mjs writes it: tracebacks name this path


class Strip(ast.NodeTransformer):
    # What the page never runs: docstrings (a third of the bytecode; help() works natively) and
    # `if TYPE_CHECKING:` blocks (imports and overloads for type checkers: the generated
    # lpweb/model/typed_events.py is almost nothing else, 61 KB of bytecode otherwise).
    def generic_visit(self, node):
        super().generic_visit(node)
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body:
                continue
            kept = []
            for stmt in body:
                if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Name) and stmt.test.id == "TYPE_CHECKING":
                    kept += stmt.orelse
                else:
                    kept.append(stmt)
            if (field == "body" and kept and isinstance(kept[0], ast.Expr)
                    and isinstance(kept[0].value, ast.Constant) and isinstance(kept[0].value.value, str)):
                kept = kept[1:]
            if field == "body" and isinstance(node, ast.ClassDef) and any(
                    "dataclass" in ast.unparse(d) for d in node.decorator_list):
                # A dataclass with no docstring gets one from inspect.signature(), ~0.4 ms each in the page.
                kept.insert(0, ast.copy_location(ast.Expr(ast.Constant(node.name)), body[0]))
            if field == "body" and not kept:
                kept = [ast.copy_location(ast.Pass(), body[0])]
            setattr(node, field, kept)
        return node


# The modules a page imports to show the widget and connect get bytecode; the rest (the brand
# side, file transfer, ...) stays source, which is smaller and is compiled only if a page uses it.
STARTUP = ["lpweb.widget.app", "lpweb.widget.tabs_browser", "lpweb.transports.browser", "lpweb.model.consumer", "lpweb.auth.consumer"]
with zipfile.ZipFile(src) as wheel:
    wheel.extractall("/tmp/lpweb-startup", [n for n in wheel.namelist() if n.endswith(".py")])
sys.path.insert(0, "/tmp/lpweb-startup")
for module in STARTUP:
    importlib.import_module(module)
startup = {os.path.relpath(m.__file__, "/tmp/lpweb-startup") for m in list(sys.modules.values())
           if (getattr(m, "__file__", None) or "").startswith("/tmp/lpweb-startup/")}

members = {}  # name in the archive -> bytes
with zipfile.ZipFile(src) as wheel:
    for name in sorted(wheel.namelist()):
        if name.startswith(skip):
            continue
        data = wheel.read(name)
        if name.endswith(".dist-info/RECORD"):
            continue  # it would list files the bundle leaves out; no installer manages the page's files
        if name.endswith(".dist-info/METADATA"):
            data = data.split(b"\n\n", 1)[0] + b"\n"  # the headers (version, ...); not the README body
        if name in startup:
            tree = ast.fix_missing_locations(Strip().visit(ast.parse(data, name)))
            code = compile(tree, os.path.join(target, name), "exec", dont_inherit=True, optimize=0)
            # Sourceless module (lpweb/x.pyc next to no x.py), as Pyodide's own stdlib ships:
            # unchecked hash-based header, so nothing is compared with a source at import time.
            data = importlib._bootstrap_external._code_to_hash_pyc(code, importlib.util.source_hash(data), False)
            name += "c"
        members[name] = data

tar = io.BytesIO()
with tarfile.open(fileobj=tar, mode="w", format=tarfile.USTAR_FORMAT) as archive:
    for name in sorted(members, key=lambda n: (os.path.splitext(n)[1], n)):
        info = tarfile.TarInfo(name)  # mtime 0, mode 0644, no owner: the same files make the same bytes
        info.size = len(members[name])
        archive.addfile(info, io.BytesIO(members[name]))
with open(out, "wb") as f:
    f.write(gzip.compress(tar.getvalue(), compresslevel=9, mtime=0))
"""
BUNDLE_NODE = r"""
import { loadPyodide } from "%(pyodide)s";
import { readFileSync, writeFileSync } from "node:fs";
const [wheel, out, script, skip] = process.argv.slice(1);
// No column ranges in the line tables (PYTHONNODEBUGRANGES): a third smaller bytecode; tracebacks keep
// file and line numbers, only the ^^^ markers under the failing expression go.
const py = await loadPyodide({ env: { PYTHONNODEBUGRANGES: "1" }, stdout: () => {}, stderr: (line) => console.error(line) });
py.FS.writeFile("/tmp/in.whl", readFileSync(wheel));
py.pyimport("sys").argv = py.toPy(["bundle", "/tmp/in.whl", "/tmp/out.tar.gz", skip]);
try {
  py.runPython(readFileSync(script, "utf8"));
} catch (error) {  // print Python's traceback, not the minified JS around the throw
  console.error(String(error.message || error));
  process.exit(1);
}
writeFileSync(out, py.FS.readFile("/tmp/out.tar.gz"));
"""


def merge_wheels(wheels: list[Path], out: Path) -> Path:
    """One archive with the files of ``wheels`` (they share the lpweb package; no name is in two)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w") as merged:
        for whl in wheels:
            with zipfile.ZipFile(whl) as zf:
                for info in zf.infolist():
                    merged.writestr(info, zf.read(info))
    return out


def browser_bundle(wheels: list[Path]) -> Path:
    """dist/lpweb-<version>-browser.tar.gz from ``wheels`` (core, widget): what the page unpacks
    (see BUNDLE_SKIP).

    Rebuilt only when a wheel or the vendored Pyodide changes. Without ``node`` it is
    dist/lpweb-<version>-browser.zip, the wheels' files merged, uncompiled (slower imports,
    same behaviour: lpweb-runtime.mjs has Pyodide unpack it).
    """
    node = shutil.which("node")
    out = DIST / f"lpweb-{version()}-browser.{'tar.gz' if node else 'zip'}"
    key = digest(*map(sri, wheels), (VENDOR / "pyodide" / ".vendored").read_text(), BUNDLE_SCRIPT, BUNDLE_NODE,
                 ",".join(BUNDLE_SKIP))
    if out.exists() and stamp_ok("bundle", key):
        return out
    for old in DIST.glob("lpweb-*-browser.*"):
        old.unlink()
    whl = merge_wheels(wheels, STAMPS / "bundle-input.zip")
    if not shutil.which("node"):
        log("warning: node not found; the site serves the wheels' files merged (no precompiled bytecode)")
        (STAMPS / "bundle").unlink(missing_ok=True)
        shutil.copy2(whl, out)
        return out
    script = STAMPS / "bundle.py"
    STAMPS.mkdir(exist_ok=True)
    script.write_text(BUNDLE_SCRIPT)
    t0 = time.monotonic()
    code = BUNDLE_NODE % {"pyodide": (VENDOR / "pyodide" / "pyodide.mjs").as_uri()}
    res = subprocess.run(["node", "--input-type=module", "-e", code, "--", str(whl), str(out), str(script),
                          ",".join(BUNDLE_SKIP)], cwd=ROOT, capture_output=True, text=True)
    if res.returncode != 0 or not out.exists():
        tail = "\n".join(line[:300] for line in (res.stdout + res.stderr).splitlines()[-25:])
        sys.exit(f"{tail}\n[build] compiling the browser bundle in Pyodide (node) failed")
    write_stamp("bundle", key)
    log(f"built {out.relative_to(ROOT)} ({out.stat().st_size:,} bytes, bytecode compiled by Pyodide's "
        f"CPython in {time.monotonic() - t0:.1f} s)")
    return out


# The demo page's render-critical assets go into the built page itself (dist/site/index.html):
# a tag marked ``data-inline`` in demo/index.html, ``<script src="./x.js" data-inline></script>``
# or ``<link rel="stylesheet" href="./x.css" data-inline>``, becomes an inline ``<script>`` or
# ``<style>`` with the file's text, and the page's Content-Security-Policy <meta> allows exactly
# that text by its sha256 (no 'unsafe-inline'). The launcher then works as soon as the HTML is
# parsed: no request, and no stylesheet it would have to wait for, comes before it.
INLINE_TAG = re.compile(r'<script src="\./([\w.-]+\.js)" data-inline></script>'
                        r'|<link rel="stylesheet" href="\./([\w.-]+\.css)" data-inline>')
HTML_COMMENT = re.compile(r"[ \t]*<!--.*?-->[ \t]*\n?", re.S)
CSP_META = re.compile(r'(<meta http-equiv="Content-Security-Policy" content=")([^"]*)(">)')


def inline_page(html: str, folder: Path) -> str:
    """``html`` with its ``data-inline`` tags replaced by the text of the files in ``folder``, and
    the sha256 of each in its CSP's script-src / style-src."""
    hashes: dict[str, list[str]] = {"script-src": [], "style-src": []}

    def inline(match: re.Match[str]) -> str:
        script, style = match.groups()
        name = script or style
        text = compact((folder / name).read_text(encoding="utf-8"), Path(name).suffix)
        tag = "script" if script else "style"
        if f"</{tag}" in text.lower():
            sys.exit(f"[build] {script or style} cannot be inlined: it contains '</{tag}'")
        hashes[f"{tag}-src"].append("'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'")
        return f"<{tag}>{text}</{tag}>"

    html = INLINE_TAG.sub(inline, html)
    if not any(hashes.values()):
        return html

    def allow(match: re.Match[str]) -> str:
        directives = [d.strip() for d in match.group(2).split(";")]
        for i, directive in enumerate(directives):
            name = directive.split(" ", 1)[0]
            if hashes.get(name):
                directives[i] = " ".join([directive, *hashes.pop(name)])
        if any(hashes.values()):
            sys.exit(f"[build] the page's CSP has no {[k for k, v in hashes.items() if v]} for its inline tags")
        return match.group(1) + "; ".join(directives) + match.group(3)

    html, metas = CSP_META.subn(allow, html)
    if metas != 1:
        sys.exit("[build] a page with data-inline tags needs one Content-Security-Policy <meta>")
    return html


PYSCRIPT_UNUSED_PLUGINS = ("error", "codemirror", "deprecations-manager", "donkey", "py-editor", "py-game", "py-terminal")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_SPACE = re.compile(r" ?([{};,>]) ?")
JS_LINE_COMMENT = re.compile(r"^[ \t]*//.*\n", re.M)


def compact(text: str, suffix: str) -> str:
    """Our own CSS or JS (web/) as served: no comments, no indentation. Notes are for readers of
    web/, not bytes for every visitor. Only whole-line ``//`` comments go from JS, and indentation
    (web/'s scripts have no multi-line strings); other files are returned as they are."""
    if suffix == ".css":
        text = " ".join(CSS_COMMENT.sub("", text).split())
        return CSS_SPACE.sub(r"\1", text).replace(": ", ":") + "\n"
    if suffix in (".js", ".mjs"):
        return "\n".join(line.strip() for line in JS_LINE_COMMENT.sub("", text).splitlines() if line.strip()) + "\n"
    return text


def cmd_web(args: argparse.Namespace | None = None) -> None:
    # Pages need the core and the widget; the emulator's wheel is a native tool.
    wheels = [whl for whl in cmd_wheel() if not whl.name.startswith("lpweb_emulator-")]
    t0 = time.monotonic()
    plan: dict[Path, Path] = {}  # destination -> source
    web = ROOT / "web"
    for p in web.rglob("*"):
        if p.is_file() and VENDOR not in p.parents:
            plan[SITE / p.relative_to(web)] = p
    pyodide = VENDOR / "pyodide"
    for name in PYODIDE_RUNTIME:
        plan[SITE / "vendor" / "pyodide" / name] = pyodide / name
    pyscript_dist = VENDOR / "pyscript" / "dist"
    for p in pyscript_dist.rglob("*"):
        if p.is_file() and p.suffix != ".map":
            plan[SITE / "vendor" / "pyscript" / "dist" / p.relative_to(pyscript_dist)] = p
    for whl in wheels:
        plan[SITE / "wheels" / whl.name] = whl
    bundle = browser_bundle(wheels)
    plan[SITE / "wheels" / bundle.name] = bundle
    runtime = SITE / "lpweb-runtime.mjs"
    del plan[runtime]  # written below, with the served file's name filled in

    own = {dst: src for dst, src in plan.items() if src.parent == web and src.suffix in (".css", ".js")}
    copied = sum(sync_file(src, dst) for dst, src in plan.items() if dst not in own)
    copied += sum(write_if_changed(dst, compact(src.read_text(), src.suffix)) for dst, src in own.items())

    # PyScript's interpreter is web/lpweb-runtime.mjs: it boots Pyodide and fetches lpweb (the
    # browser bundle, or the merged wheels without Node) in parallel, so the config needs no "files".
    generated = {SITE / "pyscript.json", SITE / "vendor" / "pyodide" / "pyodide-lock.json", runtime,
                 SITE / "index.html"}
    page = inline_page((ROOT / "demo" / "index.html").read_text(), web)
    page = HTML_COMMENT.sub("", page)   # notes for readers of demo/index.html, not bytes for visitors
    copied += write_if_changed(SITE / "index.html", page)
    text = (web / "lpweb-runtime.mjs").read_text()
    copied += write_if_changed(runtime, compact(text, ".mjs").replace('"./wheels/lpweb.whl"', f'"./wheels/{bundle.name}"', 1))
    # PyScript's optional plugins serve editors, terminals and games, none of which the widget
    # uses: not fetched, not started ("!error": Python errors go to the console, not into the
    # brand's page; the widget shows its own status line). PyScript reads plugins per script
    # type, so demo/index.html points its <mpy-config> here too.
    config = {"interpreter": "./lpweb-runtime.mjs", "plugins": [f"!{name}" for name in PYSCRIPT_UNUSED_PLUGINS]}
    copied += write_if_changed(SITE / "pyscript.json", json.dumps(config, indent=2) + "\n")

    lock_out = SITE / "vendor" / "pyodide" / "pyodide-lock.json"
    lock_key = digest(*map(sri, wheels), (pyodide / "pyodide-lock.json").read_bytes())
    if not (lock_out.exists() and stamp_ok("lock", lock_key)):
        if lock_with_wheels(wheels, lock_out):
            log("pyodide-lock.json in the site lists lpweb and lpweb-widget (loadPackage works by name)")
            write_stamp("lock", lock_key)
        else:
            shutil.copy2(pyodide / "pyodide-lock.json", lock_out)
            (STAMPS / "lock").unlink(missing_ok=True)
        copied += 1

    # Remove anything in the site that the plan no longer contains (an older wheel, say).
    keep = set(plan) | generated
    removed = 0
    for p in sorted(SITE.rglob("*"), reverse=True):
        if p.is_file() and p not in keep:
            p.unlink()
            removed += 1
        elif p.is_dir() and not any(p.iterdir()):
            p.rmdir()
    size = sum(p.stat().st_size for p in SITE.rglob("*") if p.is_file())
    log(f"site {SITE.relative_to(ROOT)}/: {len(keep)} files, {size / 1e6:.1f} MB "
        f"({copied} updated, {removed} removed, {time.monotonic() - t0:.2f} s)")


# --------------------------------------------------------------------------- demo, test, bench

def cmd_demo(args: argparse.Namespace) -> None:
    cmd_web()
    sys.exit(call([VENV_PY, ROOT / "demo" / "run.py", *(["--check"] if args.check else []), *args.extra]))


def pytest_run(label: str, path: str, extra: list[str]) -> tuple[bool, str]:
    t0 = time.monotonic()
    rc = call([VENV_PY, "-m", "pytest", path, *extra])
    took = f"{time.monotonic() - t0:.1f} s"
    if rc == 0:
        return True, f"{label} passed ({took})"
    if rc == 5:
        return False, f"{label} FAILED: no tests were collected in {path} (pytest exit code 5)"
    return False, f"{label} FAILED (pytest exit code {rc}, {took})"


def cmd_test(args: argparse.Namespace) -> None:
    cmd_web()
    # Two invocations: pytest-playwright leaves an event loop running in the main
    # thread, which breaks asyncio tests that run after it in the same process
    # (browser.md 10.1).
    results = [pytest_run("native tests/", "tests", args.extra),
               pytest_run("browser e2e/", "e2e", args.extra)]
    ok = all(r[0] for r in results)
    print(f"\n[build] test summary: {'; '.join(r[1] for r in results)} -> {'OK' if ok else 'FAILED'}",
          flush=True)
    sys.exit(0 if ok else 1)


def cmd_bench(args: argparse.Namespace) -> None:
    bench = ROOT / "bench" / "run.py"
    if not bench.exists():
        log("no benchmarks yet (bench/run.py does not exist; a later issue adds it)")
        return
    cmd_web()
    sys.exit(call([VENV_PY, bench, *args.extra]))


def cmd_docs(args: argparse.Namespace | None = None) -> None:
    """dist/docs/api.md: the API reference, generated from the docstrings (docs/apidoc.py)."""
    run([VENV_PY, ROOT / "docs" / "apidoc.py", DIST / "docs"])


# --------------------------------------------------------------------------- main

def main() -> None:
    parser = argparse.ArgumentParser(prog="python build.py", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n\n", 1)[1])
    sub = parser.add_subparsers(dest="cmd", required=True, metavar="{setup,wheel,web,demo,test,bench,docs}")
    sub.add_parser("setup", help=".venv, chromium, vendored Pyodide and PyScript")
    sub.add_parser("wheel", help="build the wheels of lpweb, lpweb-widget and lpweb-emulator into dist/")
    sub.add_parser("web", help="assemble dist/site/")
    p = sub.add_parser("demo", help="run the demo (emulator, static server, bot); "
                                     "other arguments go to demo/run.py (--port, --emulator-port)")
    p.add_argument("--check", action="store_true", help="drive the page in headless Chromium, exit 0/1")
    sub.add_parser("test", help="pytest tests/ then pytest e2e/; other arguments go to both pytest runs")
    sub.add_parser("bench", help="run bench/run.py if present; other arguments go to it")
    sub.add_parser("docs", help="generate the API reference into dist/docs/api.md")
    args, extra = parser.parse_known_args()
    if extra and args.cmd not in ("demo", "test", "bench"):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra[1:] if extra[:1] == ["--"] else extra

    if not in_venv():
        # Create/update .venv with this interpreter, then continue inside it.
        ensure_venv()
        os.execv(str(VENV_PY), [str(VENV_PY), str(Path(__file__).resolve()), *sys.argv[1:]])

    t0 = time.monotonic()
    {"setup": cmd_setup, "wheel": cmd_wheel, "web": cmd_web, "demo": cmd_demo,
     "test": cmd_test, "bench": cmd_bench, "docs": cmd_docs}[args.cmd](args)
    log(f"{args.cmd} done in {time.monotonic() - t0:.1f} s")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as exc:
        sys.exit(f"[build] command failed with exit code {exc.returncode}: "
                 + " ".join(str(c) for c in exc.cmd))
