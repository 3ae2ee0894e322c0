/* The results grid, a little closer to a spreadsheet (the page works without this).
 *
 * Pasting a block copied from Excel (columns split by tabs, rows by line breaks) into
 * a cell fills that cell and the ones to its right and below, in the same table.
 * Enter and the up and down arrows move to the cell above or below, as in Excel;
 * Tab already moves along the row.
 */
(function () {
  "use strict";

  function cellAt(table, row, col) {
    return table.querySelector(
      'input[data-grid-row="' + row + '"][data-grid-col="' + col + '"]'
    );
  }

  function tableOf(input) {
    var node = input;
    while (node && node.tagName !== "TABLE") {
      node = node.parentNode;
    }
    return node;
  }

  function isGridCell(node) {
    return node && node.tagName === "INPUT" && node.hasAttribute("data-grid-row");
  }

  document.addEventListener("paste", function (event) {
    var cell = event.target;
    if (!isGridCell(cell)) {
      return;
    }
    var data = event.clipboardData || window.clipboardData;
    var text = data ? data.getData("text") : "";
    if (!/[\t\n]/.test(text)) {
      return; /* one value: the browser pastes it as usual */
    }
    event.preventDefault();
    var table = tableOf(cell);
    var row = Number(cell.getAttribute("data-grid-row"));
    var col = Number(cell.getAttribute("data-grid-col"));
    var lines = text.replace(/\r/g, "").replace(/\n+$/, "").split("\n");
    for (var i = 0; i < lines.length; i += 1) {
      var values = lines[i].split("\t");
      for (var j = 0; j < values.length; j += 1) {
        var target = cellAt(table, row + i, col + j);
        if (target && !target.disabled) {
          target.value = values[j].trim();
        }
      }
    }
  });

  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!isGridCell(cell) || event.altKey || event.ctrlKey || event.metaKey) {
      return;
    }
    var step = 0;
    if (event.key === "Enter" || event.key === "ArrowDown") {
      step = event.shiftKey && event.key === "Enter" ? -1 : 1;
    } else if (event.key === "ArrowUp") {
      step = -1;
    } else {
      return;
    }
    var row = Number(cell.getAttribute("data-grid-row")) + step;
    var target = cellAt(tableOf(cell), row, cell.getAttribute("data-grid-col"));
    event.preventDefault(); /* Enter would otherwise send the form half-typed */
    if (target) {
      target.focus();
      target.select();
    }
  });
})();
