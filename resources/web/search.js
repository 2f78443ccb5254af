// The exported site's search page: every word of ?q= must occur in a page (title or text); pages whose
// title holds the words come first. The index is window.REPOWIKI_SEARCH_INDEX (search-index.js, written
// by the export), so it works from file:// with no server. Results are built as DOM nodes, never as HTML.
(function () {
  "use strict";
  var index = window.REPOWIKI_SEARCH_INDEX || [];

  function words(query) {
    return query.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function score(entry, terms) {
    var title = entry.title.toLowerCase(), text = entry.text.toLowerCase(), total = 0;
    for (var i = 0; i < terms.length; i++) {
      var inTitle = title.indexOf(terms[i]) >= 0, at = text.indexOf(terms[i]);
      if (!inTitle && at < 0) return 0;
      total += (inTitle ? 10 : 0) + (at >= 0 ? 1 : 0);
    }
    return total;
  }

  function snippet(entry, terms) {
    var text = entry.text, lower = text.toLowerCase(), at = lower.indexOf(terms[0]);
    var start = Math.max(0, at - 60), piece = text.slice(start, start + 200);
    var span = document.createElement("span"), pieceLower = piece.toLowerCase(), pos = 0;
    span.className = "snippet";
    if (start > 0) span.appendChild(document.createTextNode("…"));
    while (pos < piece.length) {
      var next = -1, term = "";
      terms.forEach(function (t) {
        var found = pieceLower.indexOf(t, pos);
        if (found >= 0 && (next < 0 || found < next)) { next = found; term = t; }
      });
      if (next < 0) { span.appendChild(document.createTextNode(piece.slice(pos))); break; }
      span.appendChild(document.createTextNode(piece.slice(pos, next)));
      var mark = document.createElement("mark");
      mark.textContent = piece.slice(next, next + term.length);
      span.appendChild(mark);
      pos = next + term.length;
    }
    return span;
  }

  function run(query) {
    var list = document.getElementById("results"), summary = document.getElementById("summary");
    if (!list) return;
    list.textContent = "";
    var terms = words(query);
    if (!terms.length) { summary.textContent = "Type words to find the pages that mention them."; return; }
    var hits = index.map(function (e) { return { entry: e, score: score(e, terms) }; })
      .filter(function (h) { return h.score > 0; })
      .sort(function (a, b) { return b.score - a.score || a.entry.title.localeCompare(b.entry.title); });
    summary.textContent = hits.length + (hits.length === 1 ? " page" : " pages") + " found for “" + query + "”.";
    hits.forEach(function (h) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = h.entry.url;
      a.textContent = h.entry.title;
      li.appendChild(a);
      li.appendChild(document.createElement("br"));
      li.appendChild(snippet(h.entry, terms));
      list.appendChild(li);
    });
  }

  var query = new URLSearchParams(window.location.search).get("q") || "";
  var box = document.querySelector(".searchbox input");
  if (box) {
    box.value = query;
    box.addEventListener("input", function () { run(box.value); });
    box.focus();
  }
  run(query);
})();
