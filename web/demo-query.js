// The demo page's own glue, not part of the widget: the local emulator's address comes in the
// page's URL (?csds=127.0.0.1:8081&account=...; `python build.py demo` prints it) and goes on
// the widget's element, where mount() and widget-boot.js read it. Runs before widget-boot.js.
(() => {
  "use strict";
  const query = new URLSearchParams(location.search);
  const host = document.querySelector("[data-lpweb-widget]");
  if (!host) return;
  for (const name of ["account", "csds"]) {
    const value = query.get(name);
    if (value) host.dataset[name] = value;
  }
})();
