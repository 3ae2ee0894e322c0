"""Before a server answers its first request, check its secrets against the deployment's.

The check (:func:`assessment.services.shared_secrets.check_shared_secrets`) runs once per process.
A server whose secrets differ answers every request with an error page and logs why, so
that the load balancer's health check and the operator see it at once, instead of
residents being told that their printed codes are invalid. When the database cannot be
reached (or is not migrated yet) the check is tried again on the next request.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Flask, abort

from assessment.app.db import unit_of_work
from assessment.services.shared_secrets import (
    SHARED_SECRETS,
    SecretMismatchError,
    check_shared_secrets,
)

logger = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Register the once-per-process check of the shared secrets."""
    state = {"checked": False}
    secrets = {name: str(app.config.get(name) or "") for name in SHARED_SECRETS}

    @app.before_request
    def check_secrets_once() -> None:
        if state["checked"]:
            return
        try:
            with unit_of_work(None) as session:
                recorded = check_shared_secrets(session, secrets)
        except SecretMismatchError as error:
            logger.critical("refusing to serve: %s", error)
            abort(500)
        except sa.exc.DBAPIError:
            logger.warning("shared secrets not checked yet: the database is not reachable")
            return
        if recorded:
            logger.info("recorded the fingerprints of %s", ", ".join(recorded))
        state["checked"] = True
