/* zsc explore: links lines across the stage columns. Hovering a line marks
 * the lines of every other stage it comes from or that come from it; a click
 * pins the marks and scrolls the other columns to them; Escape unpins. The
 * links are the JSON the page carries (explore.h, struct explore_link). */
(function () {
  "use strict";
  var FIELDS = 4;                        /* src, c_line, pc, caged_line */
  var data = JSON.parse(document.getElementById("zs-links").textContent);
  var cols = [];
  var marked = [];
  var pinned = null;

  function known(f, v) { return f === 2 ? v >= 0 : v > 0; }
  function value(col, i, f) { return col.links[i * FIELDS + f]; }

  function indexColumn(c) {
    var section = document.getElementById("col-" + c.id);
    if (!section) return;
    var col = { level: c.level, links: c.links, section: section, code: section.querySelector(".code"),
                rows: section.querySelectorAll(".l"), index: [] };
    for (var f = 0; f < FIELDS; f++) col.index.push(new Map());
    for (var i = 0; i < col.rows.length; i++) {
      col.rows[i].zsLine = i;
      for (f = 0; f < FIELDS; f++) {
        var v = value(col, i, f);
        if (!known(f, v)) continue;
        if (!col.index[f].has(v)) col.index[f].set(v, []);
        col.index[f].get(v).push(i);
      }
    }
    cols.push(col);
  }

  /* the lines of col linked to line i of from: two stages meet in the field
   * of the coarser one (Caddyfile line, eBPF C line, instruction, caged C line) */
  function linked(from, i, col) {
    var f = Math.min(from.level, col.level);
    if (f >= FIELDS) return from === col ? [i] : [];
    var v = value(from, i, f);
    return known(f, v) ? col.index[f].get(v) || [] : [];
  }

  function clear() {
    marked.forEach(function (row) { row.classList.remove("hl", "cur"); });
    marked = [];
  }

  function mark(row, cls) {
    row.classList.add(cls);
    marked.push(row);
  }

  function reveal(col, j) {
    var row = col.rows[j], box = col.code;
    if (row.offsetTop < box.scrollTop || row.offsetTop + row.offsetHeight > box.scrollTop + box.clientHeight)
      box.scrollTop = Math.max(0, row.offsetTop - box.clientHeight / 3);
  }

  function rowText(row) {
    var t = row.textContent;
    return t.slice(row.firstChild.textContent.length).trim();
  }

  function describe(from, i) {
    var parts = [];
    var src = value(from, i, 0), c = value(from, i, 1), pc = value(from, i, 2), caged = value(from, i, 3);
    if (src > 0) {
      var source = cols.filter(function (col) { return col.level === 0; })[0];
      var row = source && source.rows[src - 1];
      parts.push("Caddyfile:" + src + (row ? "  " + rowText(row) : ""));
    }
    if (c > 0) parts.push("eBPF C:" + c);
    if (pc >= 0) parts.push("insn " + pc);
    if (caged > 0) parts.push("caged C:" + caged);
    document.getElementById("zs-status").textContent = parts.length ? parts.join("  \u00b7  ") : "(no recorded origin)";
  }

  function show(from, i, scroll) {
    clear();
    cols.forEach(function (col) {
      var rows = linked(from, i, col);
      rows.forEach(function (j) { mark(col.rows[j], "hl"); });
      if (scroll && col !== from && rows.length && !col.section.hidden) reveal(col, rows[0]);
    });
    mark(from.rows[i], "cur");
    describe(from, i);
  }

  function lineOf(e) {
    var row = e.target.closest ? e.target.closest(".l") : null;
    return row && row.zsLine !== undefined ? row.zsLine : -1;
  }

  function listen(col) {
    col.code.addEventListener("mouseover", function (e) {
      var i = lineOf(e);
      if (!pinned && i >= 0) show(col, i, false);
    });
    col.code.addEventListener("click", function (e) {
      var i = lineOf(e);
      if (i < 0) return;
      if (pinned && pinned.col === col && pinned.line === i) {
        pinned = null;
        return clear();
      }
      pinned = { col: col, line: i };
      show(col, i, true);
    });
    col.code.addEventListener("mouseleave", function () { if (!pinned) clear(); });
  }

  data.cols.forEach(indexColumn);
  cols.forEach(listen);
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape") { pinned = null; clear(); }
  });
  document.querySelectorAll("nav input[data-col]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.getElementById("col-" + box.dataset.col).hidden = !box.checked;
    });
  });
  document.getElementById("zs-colours").addEventListener("change", function (e) {
    document.body.classList.toggle("colours", e.target.checked);
  });
})();
