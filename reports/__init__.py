"""Reports: PDF rendering of plain data (``reports.pdf`` is the only WeasyPrint user)."""
