// The agent console (坐席工作台): one WebSocket (/agent/ws) feeds the page; commands go back on it.
// No framework, no CDN; text is always set with textContent (never parsed as HTML).
(function () {
  "use strict";
  var desk = document.getElementById("desk");
  if (!desk) { return; }
  var $ = function (id) { return document.getElementById(id); };
  var ws = null, retry = 500, seq = 0, callId = null, lastCall = null, hits = {};
  var SPEAKER = { caller: "来电人", agent: "坐席" };

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }
  function send(type, data) {
    if (!ws || ws.readyState !== 1) { problem("与服务器的连接已断开，正在重连…"); return null; }
    var message = data || {};
    message.type = type;
    message.ref = ++seq;
    ws.send(JSON.stringify(message));
    return message.ref;
  }
  function problem(text) {
    var p = $("problem");
    if (!text) { p.hidden = true; p.textContent = ""; return; }
    p.textContent = text; p.hidden = false;
  }
  function link(up, text) { var l = $("link"); l.dataset.up = up ? "true" : "false"; l.textContent = text; }

  function connect() {
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/agent/ws";
    var agent = desk.dataset.watching;
    if (agent) { url += "?agent=" + encodeURIComponent(agent); }
    ws = new WebSocket(url);
    ws.onopen = function () { retry = 500; link(true, "已连接"); };
    ws.onclose = function (event) {
      if (event.code === 4401) { location.assign("/login?next=" + encodeURIComponent(location.pathname + location.search)); return; }
      link(false, "连接已断开，" + Math.round(retry / 1000 * 10) / 10 + " 秒后重连");
      setTimeout(connect, retry); retry = Math.min(retry * 2, 10000);
    };
    ws.onmessage = function (event) {
      var message = JSON.parse(event.data);
      var handler = HANDLERS[message.type];
      if (handler) { handler(message); }
    };
  }

  // --- seat ---
  function seat(m) {
    var state = $("seat-state");
    state.textContent = m.enabled ? m.state_zh : "专席队列未启用";
    state.dataset.state = m.state || "offline";
    $("seat-reason").textContent = m.reason ? "（" + m.reason + "）" : "";
    $("waiting").textContent = m.waiting || 0;
  }

  // --- the call ---
  function bridged(m) {
    callId = m.call_id; lastCall = m.call_id;
    $("no-call").hidden = true; $("call").hidden = false;
    $("caller-number").textContent = m.caller_number;
    $("caller-enterprise").textContent = m.enterprise || "（无记录）";
    var steps = (m.ivr.steps || []).map(function (s) { return s.key ? s.label + " 按 " + s.key : s.label; });
    $("ivr-path").textContent = (steps.length ? steps.join(" → ") + " → " : "") + m.ivr.service_zh;
    $("call-state").textContent = "通话中";
    holdButton(m.on_hold);
    var hints = $("hints"); clear(hints);
    (m.hints || []).forEach(function (h) { hints.appendChild(el("li", h)); });
    var body = $("history").querySelector("tbody"); clear(body);
    if (!m.history.length) {
      var row = el("tr"); var cell = el("td", "该号码没有历史工单"); cell.colSpan = 5; row.appendChild(cell); body.appendChild(row);
    }
    m.history.forEach(function (o) {
      var tr = el("tr"); var a = el("a", o.number); a.href = "/unit/orders/" + o.id;
      var td = el("td"); td.appendChild(a); tr.appendChild(td);
      tr.appendChild(el("td", o.received_at.slice(0, 16).replace("T", " ")));
      tr.appendChild(el("td", (o.class_zh ? "【" + o.class_zh + "】" : "") + (o.title || "")));
      tr.appendChild(el("td", o.state_zh + (o.open ? "（未办结）" : "")));
      tr.appendChild(el("td", o.unit_name || "—"));
      body.appendChild(tr);
    });
    clear($("transcript")); clear($("suggestions")); $("order-result").textContent = "";
    $("expert-state").textContent = ""; expertButtons("none");
    document.title = "来电 " + m.caller_number + " · 坐席工作台";
    $("announce").textContent = "新来电：" + m.caller_number + (m.hints.length ? "，有重复来电提示" : "");
  }
  function ended(m) {
    if (m.call_id !== callId) { return; }
    callId = null;
    $("call-state").textContent = "通话已结束（" + ({ caller: "来电人挂机", agent: "坐席挂机" }[m.ended_by] || "已挂断") + "），请完成工单";
    holdButton(false); expertButtons("none");
  }
  function holdButton(on) {
    var b = $("hold"); b.setAttribute("aria-pressed", on ? "true" : "false"); b.textContent = on ? "取消保持" : "保持";
  }

  // --- live text ---
  function transcript(m) {
    if (m.call_id !== callId && m.call_id !== lastCall) { return; }
    var list = $("transcript");
    var partial = list.querySelector("li.partial[data-speaker='" + m.speaker + "']");
    var line = partial || el("li");
    clear(line);
    line.appendChild(el("span", (SPEAKER[m.speaker] || m.speaker) + "：", "who"));
    line.appendChild(el("span", m.text));
    line.dataset.speaker = m.speaker;
    line.className = m.final ? "final" : "partial";
    if (m.final && !m.text) { if (partial) { list.removeChild(partial); } return; }
    if (!partial) { list.appendChild(line); }
    list.scrollTop = list.scrollHeight;
  }

  // --- knowledge ---
  function entryList(target, items, query) {
    clear(target);
    if (!items.length) { target.appendChild(el("li", "没有找到匹配的知识条目")); return; }
    items.forEach(function (found) {
      var e = found.entry, li = el("li"), b = el("button", e.title);
      b.type = "button";
      b.addEventListener("click", function () { send("kb.open", { entry_id: e.id, q: query || "" }); });
      li.appendChild(b);
      li.appendChild(el("span", " · " + (e.unit_name || "") + (found.excerpt ? " · " + found.excerpt : ""), "muted"));
      target.appendChild(li);
    });
  }
  function entry(m) {
    var e = m.entry, box = $("kb-entry"); clear(box); box.hidden = false;
    box.appendChild(el("h3", e.title));
    box.appendChild(el("p", "问：" + (e.question || "")));
    box.appendChild(el("p", "答：" + e.answer));
    if (e.key_points.length) {
      box.appendChild(el("p", "要点："));
      var ul = el("ul"); e.key_points.forEach(function (k) { ul.appendChild(el("li", k)); }); box.appendChild(ul);
    }
    box.appendChild(el("p", "政策依据：" + (e.policy_source || "—"), "muted"));
    box.appendChild(el("p", "承办单位：" + (e.unit_name || "—") + " · 已被查看 " + m.hits + " 次", "muted"));
    var use = el("button", "引用此条答复"); use.type = "button";
    use.addEventListener("click", function () {
      $("f-answer").value = e.answer;
      var select = $("f-kb"), id = String(e.id);
      if (!hits[id]) { var o = el("option", e.title); o.value = id; select.appendChild(o); hits[id] = true; }
      select.value = id; $("f-answer").focus();
    });
    box.appendChild(use);
    box.focus();
  }

  // --- experts ---
  function expertsList(m) {
    var list = $("experts"); clear(list);
    if (!m.items.length) { list.appendChild(el("li", "该主题当前没有值班专家，可转为工单处理")); }
    m.items.forEach(function (p) {
      list.appendChild(el("li", p.name + "（" + (p.unit_name || "") + "）" + (p.on_duty ? " · 在岗" : " · 不在岗") +
        (p.backup_for ? " · 备岗" : "")));
    });
    $("expert-start").disabled = !m.items.length || !callId;
  }
  var STAGES = { ringing: "正在呼叫专家", consulting: "专家已接通（来电人保持中）", conference: "三方通话中",
    "agent-left": "您已离开，来电人与专家通话中", cancelled: "已挂断专家", "no-answer": "专家未接听", "expert-left": "专家已挂机" };
  function expert(m) {
    $("expert-state").textContent = (STAGES[m.stage] || m.stage) + (m.message ? "：" + m.message : "");
    expertButtons(m.stage);
  }
  function expertButtons(stage) {
    var live = ["ringing", "consulting", "conference"].indexOf(stage) >= 0;
    $("expert-start").disabled = live || !callId || !$("experts").children.length;
    $("expert-join").disabled = stage !== "consulting";
    $("expert-leave").disabled = stage !== "conference";
    $("expert-cancel").disabled = !live;
  }

  // --- the draft ---
  var FIELDS = ["order_class", "service", "complexity", "title", "content", "enterprise", "contact", "location", "unit"];
  function draft(m) {
    var form = $("order-form"), f = m.form;
    FIELDS.forEach(function (name) { form.elements[name].value = f[name] || ""; });
    $("unit-reason").textContent = f.unit_reason || "";
    $("draft-source").textContent = { transcription: "草稿来自通话转写", live: "草稿来自实时转写，可修改",
      none: "尚无转写，已按来电信息预填" }[f.source] || "";
  }
  function formData() {
    var form = $("order-form"), data = {};
    FIELDS.concat(["answer", "kb_entry_id"]).forEach(function (name) { data[name] = form.elements[name].value; });
    return data;
  }
  function done(m) {
    $("order-result").textContent = "工单 " + m.number + " " + m.state_zh + (m.action === "answer" ? "（当场办结）" : "（已派单）");
    problem("");
  }

  var HANDLERS = {
    hello: function (m) { if (!m.agent_id) { problem("您的账号不是专席坐席，无法接听来电"); } },
    seat: seat,
    "call.bridged": bridged,
    "call.ended": ended,
    transcript: transcript,
    suggestions: function (m) { entryList($("suggestions"), m.items, ""); },
    draft: draft,
    "kb.results": function (m) { entryList($("kb-results"), m.items, m.q); },
    "kb.entry": entry,
    experts: expertsList,
    expert: expert,
    hold: function (m) { holdButton(m.on); },
    "order.done": done,
    error: function (m) { problem(m.message); }
  };

  // --- controls ---
  $("ready").addEventListener("click", function () { send("seat.available"); });
  $("pause").addEventListener("click", function () { send("seat.pause", { reason: $("pause-reason").value }); });
  $("hold").addEventListener("click", function () {
    send("hold", { on: $("hold").getAttribute("aria-pressed") !== "true", call_id: callId });
  });
  $("kb-form").addEventListener("submit", function (event) {
    event.preventDefault(); send("kb.search", { q: $("kb-q").value });
  });
  $("expert-find").addEventListener("click", function () { send("experts", { topic: $("expert-topic").value }); });
  $("expert-start").addEventListener("click", function () { send("expert.start", { topic: $("expert-topic").value }); });
  $("expert-join").addEventListener("click", function () { send("expert.join"); });
  $("expert-leave").addEventListener("click", function () { send("expert.leave"); });
  $("expert-cancel").addEventListener("click", function () { send("expert.cancel"); });
  $("answer").addEventListener("click", function () { send("order.answer", { form: formData(), call_id: lastCall }); });
  $("dispatch").addEventListener("click", function () { send("order.dispatch", { form: formData(), call_id: lastCall }); });
  $("redraft").addEventListener("click", function () { send("draft", { call_id: lastCall }); });

  var KEYS = { s: "kb-q", e: "expert-topic", w: "f-class" };
  var BUTTONS = { d: "dispatch", a: "answer", h: "hold", r: "ready", p: "pause" };
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) { return; }
    var key = event.key.toLowerCase();
    if (KEYS[key]) { event.preventDefault(); $(KEYS[key]).focus(); }
    else if (BUTTONS[key] && !$(BUTTONS[key]).disabled) { event.preventDefault(); $(BUTTONS[key]).click(); }
  }, true);

  connect();
})();
