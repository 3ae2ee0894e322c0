"""Pure report building: sections, rows, printed fields and verification codes."""
