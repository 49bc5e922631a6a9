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

  function setAgents(agents) {
    var body = document.getElementById("wall-agents");
    var rows = document.createDocumentFragment();
    agents.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.setAttribute("data-agent", a.agent);
      tr.className = "agent-" + a.state;
      cell(tr, a.name + "（" + a.agent + "）");
      cell(tr, a.state_zh);
      cell(tr, a.since);
      cell(tr, a["for"]);
      cell(tr, a.answered);
      rows.appendChild(tr);
    });
    if (!agents.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 5;
      td.textContent = "暂无坐席";
      empty.appendChild(td);
      rows.appendChild(empty);
    }
    body.replaceChildren(rows);
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
        connection.textContent = wall.running ? "" : "专席队列未运行";
        root.setAttribute("data-updates", String((parseInt(root.getAttribute("data-updates"), 10) || 0) + 1));
      })
      .catch(function () { connection.textContent = "（连接中断，稍后自动重试）"; })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
