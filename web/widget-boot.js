// lpweb widget boot: the launcher and a small composer that work before Python loads.
// Plain DOM (createElement/textContent), no inline script, no HTML parsing: CSP-clean.
// Messages typed now are kept in localStorage and handed to the Python widget, which
// sends them once connected (lpweb.widget.app.boot_queue).
// It also starts Python: importing lpweb-runtime.mjs (the "interpreter" pyscript.json names)
// boots Pyodide and fetches the wheel now, while PyScript's own JS is still loading.
(() => {
  "use strict";
  // Domain discovery (CSDS) started now, while Python boots, when the widget's element names
  // its account and CSDS domain (data-account, data-csds): the browser transport
  // (lpweb/transports/browser.py) takes this answer instead of asking again, and the hosts
  // CSDS names for the token and the websocket get a preconnect. The URL is built exactly as
  // lpweb.endpoints.discover() builds it (a different one is simply never taken). An answer
  // nobody takes is dropped after 60 s, the SDKs' CSDS cache lifetime.
  function discoverEarly(account, csds) {
    const early = new Map();
    if (!account || !csds || !/^[A-Za-z0-9_.~-]+$/.test(account) || typeof fetch !== "function") return early;
    const given = /^(https?):\/\/([^/?#\s]+)\/?$/i.exec(csds);
    const domain = given ? given[2] : csds;
    if (/[/?#\s]/.test(domain)) return early;
    const parts = domain.split(":");
    const name = (parts.length === 2 ? parts[0] : domain).toLowerCase();
    const loopback = name === "localhost" || name === "::1" || name.startsWith("127.") || name.startsWith("[::1]");
    const secure = given ? given[1].toLowerCase() === "https" : !loopback;
    const url = `${secure ? "https" : "http"}://${domain}/api/account/${account}/service/baseURI.json?version=1.0`;
    const answer = fetch(url, { headers: { Accept: "application/json" } }).then(async (response) => {
      const body = new Uint8Array(await response.arrayBuffer());
      return { status: response.status, headers: [...response.headers], body };
    });
    answer.then(({ status, body }) => {
      if (status !== 200) return;
      const hosts = new Set();
      for (const entry of JSON.parse(new TextDecoder().decode(body)).baseURIs || []) {
        if (entry && (entry.service === "idp" || entry.service === "asyncMessagingEnt") && entry.baseURI !== domain) {
          hosts.add(entry.baseURI);
        }
      }
      for (const other of hosts) {
        const link = document.createElement("link");
        link.rel = "preconnect";
        link.href = `${secure ? "https" : "http"}://${other}`;
        document.head.appendChild(link);
      }
    }).catch(() => {});
    early.set(url, answer);
    setTimeout(() => early.delete(url), 60000);
    return early;
  }
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
  const early = discoverEarly(host.dataset.account, host.dataset.csds);
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
    // The browser transport's first GET of `url` takes the answer asked for early (once).
    takeEarly(method, url) {
      const answer = method === "GET" ? early.get(url) : undefined;
      early.delete(url);
      return answer || null;
    },
  });
  if (window.performance && performance.mark) performance.mark("lpweb:launcher-ready");
})();
