// lpweb's Pyodide for PyScript: pyscript.json names this module as its "interpreter".
//
// It exports what PyScript expects of an interpreter module (loadPyodide, version) and
// changes one thing: the work starts when this module is first imported, and the lpweb
// wheel is fetched while Pyodide boots and unpacked into site-packages before the
// interpreter is handed over. widget-boot.js imports it while the page is still being
// parsed, so Pyodide no longer waits for PyScript's own JS, its config fetch and its
// storage set-up, and PyScript no longer fetches the wheel ("files") after the
// interpreter is ready. A page without widget-boot.js still gets the parallel wheel.
import { loadPyodide as bootPyodide, version } from "./vendor/pyodide/pyodide.mjs";

export { version };

// build.py writes the wheel's file name here when it assembles dist/site/.
const WHEEL = new URL("./wheels/lpweb.whl", import.meta.url).href;

let ready = null;
// Performance-timeline marks (bench/browser_boot.py reads them; harmless elsewhere).
const mark = (name) => globalThis.performance && performance.mark && performance.mark(name);

function boot() {
  if (!ready) {
    const wheel = fetch(WHEEL).then((response) => {
      if (!response.ok) throw new Error(`lpweb: ${WHEEL}: HTTP ${response.status}`);
      return response.arrayBuffer();
    });
    wheel.catch(() => {});  // reported below, once the interpreter is up
    ready = bootPyodide().then(async (pyodide) => {
      mark("lpweb:pyodide-ready");
      pyodide.unpackArchive(await wheel, "zip");  // default extractDir: site-packages
      mark("lpweb:wheel-unpacked");
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
