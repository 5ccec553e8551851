// The message list, live: while the page is open and shown, its newest page is read again
// from the list's JSON twin (data-live) and its rows redrawn when they changed. Values are
// written as text, never as markup. Without this script the page is the same list, unmoving.
(function () {
  "use strict";
  var table = document.querySelector("table[data-live]");
  if (!table) {
    return;
  }
  var source = table.getAttribute("data-live");
  var every = Number(table.getAttribute("data-interval")) || 5000;
  var empty = document.getElementById("no-messages");
  var announce = document.getElementById("live-status");
  var checked = document.getElementById("live-checked");
  var shown = signature(table.tBodies[0].rows);

  function signature(rows) {
    return Array.prototype.map.call(rows, function (row) {
      return row.getAttribute("data-id") + ":" + row.getAttribute("data-status");
    }).join(",");
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function draw(results) {
    var rows = document.createDocumentFragment();
    results.forEach(function (m) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-id", m.id);
      tr.setAttribute("data-status", m.status);
      var link = document.createElement("a");
      link.href = "/console/messages/" + encodeURIComponent(m.id);
      var code = document.createElement("code");
      code.textContent = m.id;
      link.appendChild(code);
      cell(tr, "").appendChild(link);
      var status = document.createElement("span");
      status.className = "status status-" + m.status;
      status.textContent = m.status;
      cell(tr, "").appendChild(status);
      cell(tr, m.recipient);
      cell(tr, m.notification || "—");
      cell(tr, (m.tags || []).join(", "));
      cell(tr, m.enqueued);
      cell(tr, m.lastEvent || "—");
      rows.appendChild(tr);
    });
    table.tBodies[0].replaceChildren(rows);
    table.hidden = results.length === 0;
    empty.hidden = results.length !== 0;
  }

  function later() {
    window.setTimeout(poll, every);
  }

  function poll() {
    if (document.hidden) {
      later();
      return;
    }
    fetch(source, { credentials: "same-origin", headers: { accept: "application/json" } })
      .then(function (response) {
        var type = response.headers.get("content-type") || "";
        if (!response.ok || type.indexOf("application/json") !== 0) {
          throw new Error("the list is not there: signed out?");
        }
        return response.json();
      })
      .then(function (data) {
        checked.textContent = "Live: checked at " + data.at + ".";
        var drawn = data.results.map(function (m) { return m.id + ":" + m.status; }).join(",");
        if (drawn !== shown) {
          draw(data.results);
          shown = drawn;
          announce.textContent = "The list changed at " + data.at + ".";
        }
        later();
      })
      .catch(function () {
        checked.textContent = "Live updates stopped: reload the page.";
      });
  }

  later();
})();
