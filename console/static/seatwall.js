// The live seat wall: polls /seat/wall/data every few seconds and updates the figures in place (no
// reloads). The page is complete without this script: a reload shows the present.
(function () {
  var root = document.getElementById("seat-wall");
  if (!root || !window.fetch) { return; }
  var source = root.getAttribute("data-source");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 3000;
  var connection = root.querySelector("[data-field=connection]");

  function setFields(fields) {
    var spans = root.querySelectorAll("[data-field]");
    for (var i = 0; i < spans.length; i++) {
      var name = spans[i].getAttribute("data-field");
      if (Object.prototype.hasOwnProperty.call(fields, name) && spans[i].textContent !== fields[name]) {
        spans[i].textContent = fields[name];
      }
    }
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
  }

  // Replace a table body's rows: one per item, the cells from `columns`, or one row saying it is empty.
  function fill(bodyId, items, columns, emptyText, decorate) {
    var body = document.getElementById(bodyId);
    if (!body) { return; }
    var rows = document.createDocumentFragment();
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      if (decorate) { decorate(tr, item); }
      columns.forEach(function (column) { cell(tr, column(item)); });
      rows.appendChild(tr);
    });
    if (!items.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = columns.length;
      td.textContent = emptyText;
      empty.appendChild(td);
      rows.appendChild(empty);
    }
    body.replaceChildren(rows);
  }

  function setAgents(agents) {
    fill("wall-agents", agents, [
      function (a) { return a.name + "（" + a.agent + "）"; },
      function (a) { return a.state_zh; },
      function (a) { return a.since; },
      function (a) { return a["for"]; },
      function (a) { return a.answered; }
    ], "暂无坐席", function (tr, a) {
      tr.setAttribute("data-agent", a.agent);
      tr.className = "agent-" + a.state;
    });
  }

  function setCallers(callers) {
    fill("wall-callers", callers, [
      function (c) { return c.position; },
      function (c) { return c.number; },
      function (c) { return c.waited; },
      function (c) { return c.ringing; }
    ], "当前无人排队");
  }

  function poll() {
    fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (wall) {
        setFields(wall.fields);
        setAgents(wall.agents);
        setCallers(wall.callers);
        connection.textContent = wall.running ? "" : "专席队列未运行";
        root.setAttribute("data-updates", String((parseInt(root.getAttribute("data-updates"), 10) || 0) + 1));
      })
      .catch(function () { connection.textContent = "（连接中断，稍后自动重试）"; })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
