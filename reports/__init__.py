"""Reports: PDF rendering of plain data (``reports.render.pdf`` is the only WeasyPrint user)."""
