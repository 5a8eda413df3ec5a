// lpweb's Trusted Types default policy, for pages served with
//   require-trusted-types-for 'script'; trusted-types default
// Pyodide (Emscripten EM_ASM/EM_JS) and PyScript compile a few JS snippets with eval /
// Function at start-up, so scripts-from-strings must pass; everything else is refused:
// no HTML string ever reaches an HTML sink (every HTML-parsing assignment throws), and
// script URLs must be same-origin.
(() => {
  "use strict";
  if (!window.trustedTypes || !trustedTypes.createPolicy) return;
  trustedTypes.createPolicy("default", {
    createHTML() { throw new TypeError("lpweb: HTML strings are not allowed (Trusted Types)"); },
    createScript(source) { return source; },
    createScriptURL(url) {
      const u = new URL(url, document.baseURI);
      if (u.origin !== location.origin) throw new TypeError("lpweb: cross-origin script URL refused");
      return u.href;
    },
  });
})();
