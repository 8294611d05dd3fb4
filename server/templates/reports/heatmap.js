// The heat map's sorting, served by the binary (no inline script, no CDN). Progressive
// enhancement: without it the table reads in tree order with every figure in place.
//
// Each column heading with data-sort becomes a button. The first press sorts with the least
// healthy first (data-sort says which way that is for the column), the next press reverses;
// "Unit" (data-sort="tree") goes back to the tree order. Rows are sorted within their group
// (a <tbody>): the group's own unit stays first, a unit's cut rows stay under it (sorted
// too), and hidden cells (no data-v) always go last. Only figures already on the page are
// compared.
(function () {
  "use strict";
  var table = document.querySelector("table.heat");
  if (!table || !table.tHead) return;
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);

  function value(row, col) {
    var cell = row.cells[col];
    var v = cell ? cell.getAttribute("data-v") : null;
    if (v === null || v === "") return null;
    if (v === "+") return Infinity;
    if (v === "-") return -Infinity;
    var n = parseFloat(v);
    return isNaN(n) ? null : n;
  }

  function byTree(a, b) {
    return a.index - b.index;
  }

  function byColumn(col, dir) {
    return function (a, b) {
      var x = value(a.row, col);
      var y = value(b.row, col);
      if (x === null || y === null) {
        if (x === null && y === null) return byTree(a, b);
        return x === null ? 1 : -1;
      }
      if (x === y) return byTree(a, b);
      return (x < y) === (dir === "asc") ? -1 : 1;
    };
  }

  // A group's blocks: a unit's row with the cut rows under it.
  function blocks(body) {
    var out = [];
    Array.prototype.forEach.call(body.rows, function (row) {
      if (!row.hasAttribute("data-index")) return;
      var entry = { row: row, index: +row.getAttribute("data-index"), cuts: [] };
      var last = out[out.length - 1];
      if (row.classList.contains("cut") && last) {
        last.cuts.push(entry);
      } else {
        out.push(entry);
      }
    });
    return out;
  }

  function sort(order) {
    Array.prototype.forEach.call(table.tBodies, function (body) {
      var all = blocks(body);
      var first = all.shift();
      var ordered = first ? [first].concat(all.sort(order)) : [];
      ordered.forEach(function (block) {
        body.appendChild(block.row);
        block.cuts.sort(order).forEach(function (cut) {
          body.appendChild(cut.row);
        });
      });
    });
  }

  heads.forEach(function (th, col) {
    var first = th.getAttribute("data-sort");
    if (!first) return;
    var button = document.createElement("button");
    button.type = "button";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    button.addEventListener("click", function () {
      var now = th.getAttribute("aria-sort");
      heads.forEach(function (h) {
        h.removeAttribute("aria-sort");
      });
      if (first === "tree") {
        sort(byTree);
        table.classList.remove("sorted");
        return;
      }
      var dir = now === "ascending" ? "desc" : now === "descending" ? "asc" : first;
      th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
      sort(byColumn(col, dir));
      table.classList.add("sorted");
    });
  });
  var hint = document.getElementById("sort-hint");
  if (hint) hint.hidden = false;
})();
