// lpweb's Pyodide for PyScript: pyscript.json names this module as its "interpreter".
//
// It exports what PyScript expects of an interpreter module (loadPyodide, version) and
// changes one thing: the work starts when this module is first imported, and lpweb is
// fetched while Pyodide boots and written into site-packages before the interpreter is
// handed over. widget-boot.js imports it while the page is still being parsed, so Pyodide
// no longer waits for PyScript's own JS, its config fetch and its storage set-up, and
// PyScript no longer fetches lpweb ("files") after the interpreter is ready. A page without
// widget-boot.js still gets the parallel fetch.
//
// What is fetched is build.py's browser bundle, lpweb-<version>-browser.tar.gz: one gzip
// stream of a tar of lpweb's files in site-packages. The browser inflates it
// (DecompressionStream) as it arrives, in parallel with Pyodide's boot, and its files are
// written into site-packages by Pyodide's fsInit hook, i.e. before the interpreter starts:
// no Python-side unpacking, and nothing for the import system to re-scan. A site built
// without Node serves lpweb-<version>-browser.zip instead (the wheels' files, uncompiled),
// unpacked by Pyodide once it is up.
import { loadPyodide as bootPyodide, version } from "./vendor/pyodide/pyodide.mjs";

export { version };

// build.py writes the served file's name here when it assembles dist/site/.
const BUNDLE = new URL("./wheels/lpweb.whl", import.meta.url).href;

let ready = null;
// Performance-timeline marks (bench/browser_boot.py reads them; harmless elsewhere).
const mark = (name) => globalThis.performance && performance.mark && performance.mark(name);

async function download(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`lpweb: ${url}: HTTP ${response.status}`);
  if (!url.endsWith(".tar.gz") || typeof DecompressionStream !== "function") return response.arrayBuffer();
  return new Response(response.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
}

// The files of an uncompressed tar (ustar: 512-byte headers, name and prefix fields, octal sizes).
function* untar(bytes) {
  const text = (at, length) => {
    const field = bytes.subarray(at, at + length);
    const end = field.indexOf(0);
    return new TextDecoder().decode(end < 0 ? field : field.subarray(0, end));
  };
  for (let at = 0; at + 512 <= bytes.length && bytes[at] !== 0;) {
    const size = parseInt(text(at + 124, 12).trim() || "0", 8);
    const prefix = text(at + 345, 155);
    const name = (prefix ? prefix + "/" : "") + text(at, 100);
    if ((bytes[at + 156] || 48) === 48) yield [name, bytes.subarray(at + 512, at + 512 + size)];  // "0": a file
    at += 512 + Math.ceil(size / 512) * 512;
  }
}

// True when `buffer` is a tar the browser has inflated already (false: the merged wheels of a site
// built without Node, or a gzip stream in a browser without DecompressionStream, which Pyodide
// unpacks once it is up).
const inflated = (buffer) => BUNDLE.endsWith(".tar.gz") && new Uint8Array(buffer, 0, 2)[0] !== 0x1f;

function boot() {
  if (!ready) {
    const bundle = download(BUNDLE);
    bundle.catch(() => {});  // reported below, once the interpreter is up
    let sitePackages = null;
    const fsInit = async (FS, info) => {
      sitePackages = info.sitePackages;
      const buffer = await bundle.catch(() => null);
      if (!buffer || !inflated(buffer)) return;
      for (const [name, data] of untar(new Uint8Array(buffer))) {
        const path = `${sitePackages}/${name}`;
        FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        FS.writeFile(path, data);
      }
      mark("lpweb:wheel-unpacked");
    };
    ready = bootPyodide({ fsInit }).then(async (pyodide) => {
      mark("lpweb:pyodide-ready");
      const buffer = await bundle;
      if (!inflated(buffer)) {
        pyodide.unpackArchive(buffer, BUNDLE.endsWith(".tar.gz") ? "gztar" : "zip", { extractDir: sitePackages });
        mark("lpweb:wheel-unpacked");
      }
      return pyodide;
    });
  }
  return ready;
}

boot();

// PyScript calls this with its stdout/stderr writers (and "packages" when its config has some).
export async function loadPyodide(options = {}) {
  const pyodide = await boot();
  if (options.stdout) pyodide.setStdout({ batched: options.stdout });
  if (options.stderr) pyodide.setStderr({ batched: options.stderr });
  if (options.packages && options.packages.length) await pyodide.loadPackage(options.packages);
  return pyodide;
}
