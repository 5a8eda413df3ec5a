// lpweb widget boot: the launcher and a small composer that work before Python loads.
// Plain DOM (createElement/textContent), no inline script, no HTML parsing: CSP-clean.
// Messages typed now are kept in localStorage and handed to the Python widget, which
// sends them once connected (lpweb.widget.app.boot_queue).
// It also starts Python: importing lpweb-runtime.mjs (the "interpreter" pyscript.json names)
// boots Pyodide and fetches the wheel now, while PyScript's own JS is still loading.
(() => {
  "use strict";
  // Its siblings (lpweb-runtime.mjs, vendor/) sit next to it; build.py inlines it into the
  // demo page (no src), whose own folder holds them.
  const script = document.currentScript;
  const base = script && (script.src || document.baseURI);
  if (base) {
    // Ask for the whole chain at once (runtime -> pyodide.mjs -> pyodide.asm.mjs + .wasm)
    // instead of one file after the other as each module is parsed.
    const at = (path) => new URL(path, base).href;
    for (const [rel, path] of [["modulepreload", "./vendor/pyodide/pyodide.mjs"],
                               ["modulepreload", "./vendor/pyodide/pyodide.asm.mjs"],
                               ["preload", "./vendor/pyodide/pyodide.asm.wasm"]]) {
      const link = document.createElement("link");
      link.rel = rel;
      link.href = at(path);
      if (rel === "preload") { link.as = "fetch"; link.crossOrigin = "anonymous"; }
      document.head.appendChild(link);
    }
    import(at("./lpweb-runtime.mjs")).catch(() => {});
  }
  const KEY = "lpweb.widget.boot-queue";
  const host = document.querySelector("[data-lpweb-widget]");
  if (!host) return;
  const read = () => {
    try { const v = JSON.parse(localStorage.getItem(KEY) || "[]"); return Array.isArray(v) ? v : []; }
    catch (e) { return []; }
  };
  const write = (items) => {
    try { items.length ? localStorage.setItem(KEY, JSON.stringify(items)) : localStorage.removeItem(KEY); }
    catch (e) { /* private mode: the queue lives in memory only */ }
  };
  let memory = read();
  const panel = host.querySelector(".lpw-boot-panel");
  const launcher = host.querySelector(".lpw-boot-launcher");
  const form = host.querySelector(".lpw-boot-composer");
  const list = host.querySelector(".lpw-boot-queue");
  const show = () => {
    if (!list) return;
    list.replaceChildren(...memory.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }));
  };
  const setOpen = (open) => {
    host.dataset.open = open ? "true" : "false";
    if (launcher) launcher.setAttribute("aria-expanded", open ? "true" : "false");
    if (panel) panel.hidden = !open;
  };
  if (launcher) launcher.addEventListener("click", () => setOpen(host.dataset.open !== "true"));
  if (form) form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.querySelector("input[name=message]");
    const text = (input && input.value || "").trim();
    if (!text) return;
    memory.push(text.slice(0, 10000));
    write(memory);
    input.value = "";
    show();
  });
  setOpen(host.dataset.open === "true");
  show();
  window.lpwebBoot = Object.freeze({
    take() { const items = memory; memory = []; write(memory); return JSON.stringify(items); },
    isOpen() { return host.dataset.open === "true"; },
  });
  if (window.performance && performance.mark) performance.mark("lpweb:launcher-ready");
})();
