// Entente's one script: checks STIX patterns as they are typed.
//
// Every field marked `data-pattern-check` is sent, a moment after typing
// stops, to POST /workbench/validate (same origin, the session cookie, the
// form's CSRF token in the X-CSRF-Token header, from the field's
// `data-csrf` or the form's hidden `csrf` field). The answer is shown in
// the element `<field id>-check`, built from text nodes only. Pages work
// without this script: the forms check the pattern on the server anyway.
(function () {
  "use strict";

  var DELAY_MS = 300;

  function tokenOf(field) {
    if (field.dataset.csrf) {
      return field.dataset.csrf;
    }
    var hidden = field.form && field.form.querySelector("input[name='csrf']");
    return hidden ? hidden.value : "";
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  function show(out, field, answer) {
    clear(out);
    out.classList.remove("error", "ok");
    if (answer.valid) {
      out.classList.add("ok");
      out.appendChild(document.createTextNode("Valid pattern."));
      field.removeAttribute("aria-invalid");
      return;
    }
    out.classList.add("error");
    field.setAttribute("aria-invalid", "true");
    out.appendChild(document.createTextNode("Character " + answer.column + ": " + answer.message + " "));
    var code = document.createElement("code");
    code.appendChild(document.createTextNode(answer.before));
    var mark = document.createElement("mark");
    mark.appendChild(document.createTextNode(answer.span || " "));
    code.appendChild(mark);
    code.appendChild(document.createTextNode(answer.after));
    out.appendChild(code);
  }

  function watch(field) {
    var out = document.getElementById(field.id + "-check");
    if (!out) {
      return;
    }
    var timer = null;
    var inflight = null;
    field.addEventListener("input", function () {
      if (timer) {
        clearTimeout(timer);
      }
      timer = setTimeout(function () {
        var text = field.value;
        if (inflight) {
          inflight.abort();
        }
        if (text.trim() === "") {
          clear(out);
          field.removeAttribute("aria-invalid");
          return;
        }
        inflight = new AbortController();
        fetch("/workbench/validate", {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": tokenOf(field) },
          body: JSON.stringify({ pattern: text }),
          signal: inflight.signal
        })
          .then(function (r) {
            return r.ok ? r.json() : null;
          })
          .then(function (answer) {
            if (answer && field.value === text) {
              show(out, field, answer);
            }
          })
          .catch(function () {
            // Aborted or offline: the server checks the pattern on submit.
          });
      }, DELAY_MS);
    });
  }

  var fields = document.querySelectorAll("[data-pattern-check]");
  for (var i = 0; i < fields.length; i++) {
    watch(fields[i]);
  }
})();
