"""The team's review of residents' free-text comments (staff data, audited).

A :class:`CommentReview` is the team's decision about one free-text answer: approved,
about one survey target (the cadre portal then shows it), or hidden. There is one row
per answer, keyed like the answer by (response, item); a later decision replaces it and
the audit log keeps every earlier one.

Column names repeat none of the participation tables' nor of the staff tables that
reach them (``status``, ``reason``, ``created_at``...): ``tests/surveys/test_anonymity.py``
joins tables by shared column names, and this table leads to the responses. The
reviewer is an account id without a foreign key, as in
:class:`surveys.models.paper.ResponseExclusion`.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assessment.app.db import UTCDateTime, db, utcnow

REVIEW_STATUSES = ("approved", "hidden")


class CommentReview(db.Model):  # type: ignore[name-defined,misc]
    """Approve (about a target) or hide one free-text answer of a closed survey."""

    __tablename__ = "survey_comment_reviews"
    __table_args__ = (
        sa.PrimaryKeyConstraint("response_id", "item"),
        sa.CheckConstraint("review_status IN ('approved', 'hidden')", name="review_status_known"),
        sa.CheckConstraint(
            "review_status = 'hidden' OR about_target_id IS NOT NULL",
            name="approved_names_target",
        ),
    )

    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE")
    )
    #: The answer's item key (a free-text question's code).
    item: Mapped[str] = mapped_column(sa.String(80))
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: ``approved`` (shown on the portal of the target's cadre) or ``hidden``.
    review_status: Mapped[str] = mapped_column(sa.String(8))
    #: The target the approved comment is about; NULL when hidden.
    about_target_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("survey_targets.id", ondelete="CASCADE"), index=True
    )
    #: Why (optional), e.g. "names a third person" for a hidden comment.
    review_reason: Mapped[str] = mapped_column(sa.Text, default="")
    #: Account id of the team member (no foreign key: see the module docstring).
    reviewed_by: Mapped[int]
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
