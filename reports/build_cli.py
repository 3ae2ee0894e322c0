"""``flask reports build``: every scorecard and the summary of a period, into instance/."""

from __future__ import annotations

import click

#: The commands this module adds to the ``reports`` group.
COMMANDS: tuple[click.Command, ...] = ()
