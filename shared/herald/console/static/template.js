// A template's preview as it is typed: a moment after the title, body or sample data
// change, the form's fields are posted to the preview's JSON twin (data-preview) and the
// preview redrawn; values are written as text, the email's HTML only into a frame that is
// sandboxed with no permission. Without this script, the Preview button posts the form.
(function () {
  "use strict";
  var region = document.getElementById("preview");
  var form = document.querySelector("form.template-form");
  if (!region || !form) {
    return;
  }
  var source = region.getAttribute("data-preview");
  var pause = 400;
  var timer = null;
  var asked = 0;

  function element(tag, text, attributes) {
    var made = document.createElement(tag);
    if (text !== null) {
      made.textContent = text;
    }
    Object.keys(attributes || {}).forEach(function (name) {
      made.setAttribute(name, attributes[name]);
    });
    return made;
  }

  function problem(found) {
    var box = element("div", null, { role: "alert", id: "problem" });
    var where = found.part + (found.line ? ", line " + found.line + ", column " + found.column : "");
    var said = element("p", null);
    said.appendChild(element("strong", where + ":"));
    said.appendChild(document.createTextNode(" " + found.reason));
    box.appendChild(said);
    if (found.line) {
      box.appendChild(element("pre", found.sourceLine + "\n" + found.caret, {
        tabindex: "0",
        "class": "source-line",
        "aria-label": "The line at fault, a caret under the column"
      }));
    }
    return box;
  }

  function email(shown) {
    var parts = document.createDocumentFragment();
    var subject = element("p", null, { id: "preview-subject" });
    subject.appendChild(element("strong", "Subject:"));
    subject.appendChild(document.createTextNode(" " + shown.subject));
    parts.appendChild(subject);
    if (shown.html) {
      var frame = element("iframe", null, {
        "class": "preview",
        sandbox: "",
        title: "The email as its recipient sees it"
      });
      frame.srcdoc = shown.html;
      parts.appendChild(frame);
    }
    if (shown.text) {
      parts.appendChild(element("pre", shown.text, { tabindex: "0", id: "preview-text" }));
    }
    return parts;
  }

  function refused(error) {
    var box = element("div", null, { role: "alert", id: "problem" });
    box.appendChild(element("p", error));
    return box;
  }

  function draw(answer) {
    var drawn = answer.error ? refused(answer.error)
      : answer.problem ? problem(answer.problem) : email(answer);
    region.replaceChildren(drawn);
    ["title", "body"].forEach(function (name) {
      var field = document.getElementById(name);
      if (!field) {
        return;
      }
      if (answer.problem && answer.problem.part === name) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-describedby", "problem");
      } else {
        field.removeAttribute("aria-invalid");
        field.removeAttribute("aria-describedby");
      }
    });
  }

  function preview() {
    var mine = ++asked;
    var fields = new URLSearchParams(new FormData(form));
    fields.delete("action");
    fetch(source, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
      body: fields.toString()
    })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (type.indexOf("application/json") !== 0) {
          throw new Error("no preview: signed out, or the form is out of date");
        }
        return response.json();
      })
      .then(function (answer) {
        if (mine === asked) {
          draw(answer);
        }
      })
      .catch(function () {
        if (mine === asked) {
          region.replaceChildren(element("p", "The preview stopped: reload the page.", { "class": "muted" }));
        }
      });
  }

  form.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(preview, pause);
  });
})();
