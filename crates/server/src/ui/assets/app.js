// Live updates for the dashboard over Server-Sent Events (native EventSource, no framework).
// The browser sends Last-Event-ID on reconnect, so a dropped connection resumes where it left.
(function () {
  "use strict";
  var list = document.getElementById("live-events");
  var status = document.getElementById("live-status");
  if (!list || !window.EventSource) { return; }
  var equity = document.getElementById("live-equity");
  var pnl = document.getElementById("live-pnl");
  var MAX_ITEMS = 50;
  var kinds = ["equity", "positions", "fill", "order", "risk", "plugin_run", "alert", "health",
    "config_changed", "gap", "reset", "dropped", "ready"];
  function add(kind, text) {
    var li = document.createElement("li");
    var k = document.createElement("span");
    k.className = "kind";
    k.textContent = kind;
    li.appendChild(k);
    li.appendChild(document.createTextNode(text));
    list.insertBefore(li, list.firstChild);
    while (list.children.length > MAX_ITEMS) { list.removeChild(list.lastChild); }
  }
  function summary(kind, d) {
    switch (kind) {
      case "equity": return "equity " + d.equity + " · cash " + d.cash + " · gross " + d.gross_exposure;
      case "fill": return d.side + " " + d.qty + " " + d.symbol + " @ " + d.price;
      case "order": return d.request.side + " " + d.request.qty + " " + d.request.symbol + " → " + d.status + (d.reason ? " (" + d.reason + ")" : "");
      case "risk": return (d.decision.approved ? "approved " : "REFUSED ") + d.decision.rule + ": " + d.decision.reason;
      case "plugin_run": return d.plugin_id + " " + d.status + " " + d.cpu_ms.toFixed(1) + " ms" + (d.message ? " · " + d.message : "");
      case "alert": case "health": return d.severity + " " + d.source + ": " + d.message;
      case "positions": return d.positions.filter(function (p) { return p.qty !== "0"; }).length + " open position(s)";
      default: return JSON.stringify(d);
    }
  }
  var es = new EventSource("/api/v1/stream");
  es.onopen = function () { status.textContent = "live"; };
  es.onerror = function () { status.textContent = "disconnected; retrying…"; };
  kinds.forEach(function (kind) {
    es.addEventListener(kind, function (ev) {
      var d;
      try { d = JSON.parse(ev.data); } catch (e) { d = ev.data; }
      if (kind === "ready") { status.textContent = "live"; return; }
      if (kind === "equity" && equity) { equity.textContent = Number(d.equity).toFixed(2); }
      if (kind === "equity" && pnl && pnl.dataset.start) {
        // Same definition as the server's card: equity less the first equity point.
        var start = Number(pnl.dataset.start), v = Number(d.equity) - start;
        pnl.textContent = v.toFixed(2) + " (" + (start > 0 ? (v / start * 100).toFixed(2) + "%" : "–") + ")";
      }
      var text;
      try { text = summary(kind, d); } catch (e) { text = ev.data; }
      add(kind, text);
    });
  });
}());
