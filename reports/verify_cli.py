"""``flask reports verify`` and the open-data bundle commands."""

from __future__ import annotations

import click

#: The commands this module adds to the ``reports`` group.
COMMANDS: tuple[click.Command, ...] = ()
