"""Where the survey numbers come from: the one seam between assessment and surveys.

The base package may not import ``surveys`` (``tests/test_architecture.py``), yet its
results need the residents' scores. Everything it asks of the resident surveys is the
:class:`SurveySource` protocol below:

* ``results_data(session, period, named=...)``: every counted response score per rated
  cadre and unit of the period's closed surveys that no indicator names
  (``surveys.services.results_source``, on the one resident-score path
  ``surveys.services.queries.list_scored_responses``);
* ``sourced_data(session, period, sources)``: for each indicator that names its
  sources, what it reads: scores over the named questions, or grade-ballot votes per
  voter group (``surveys.services.queries.list_ballot_sheets``), and the coded surveys available;
* ``summarise_targets``: the satisfaction index with its intervals
  (``surveys.core.tally.summarise_targets``), which the pure engine
  ``assessment.core.results.compute_period_results`` takes as an argument;
* ``approved_comments(session, period, cadre_id)``: the residents' comments the team
  approved, for the cadre portal;
* ``cadre_awareness(session, period, cadre_id)``: per closed survey, how many residents
  rated the cadre and how many said "don't know" (知晓率), for the cadre portal;
* ``seed_demo_survey(session, plan)``: the demo's resident surveys (``flask demo seed``);
* ``seed_demo_ballots(session, plan)``: the demo's democratic evaluation meetings.

``surveys.services.results_source.ResidentSurveys`` implements it, and the composition root
(``assessment/app/__init__.py``) registers that one object with
:func:`assessment.app.survey_source.register_survey_source`. Services that need survey
numbers take it as their ``surveys`` argument (``None``: no surveys, so survey indicators
are reported missing); views and commands fetch it with
:func:`assessment.app.survey_source.find_survey_source`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.orm import Session

from assessment.core.results import SurveySummariser
from assessment.core.rulebook import SurveySources
from assessment.models import Period

if TYPE_CHECKING:
    from assessment.services.demo import DemoBallotPlan, DemoSurveyPlan

#: Where :func:`assessment.app.survey_source.register_survey_source` keeps the object on the app.


@dataclass(frozen=True, slots=True)
class SurveyAwareness:
    """Residents who know a cadre, in one closed survey (issue 17, 不了解)."""

    survey_title_zh: str
    survey_title_en: str
    #: Responses that rated the cadre.
    n_rated: int
    #: Responses that said "don't know" instead.
    n_dont_know: int
    #: ``n_rated / (n_rated + n_dont_know)``; NaN when both are zero.
    share_known: float


class SurveySource(Protocol):
    """What the assessment side needs from the resident surveys (see the module doc)."""

    def results_data(
        self, session: Session, period: Period, *, named: Collection[str] = ()
    ) -> Mapping[str, Any]:
        """Response scores per rated cadre and unit of the period's closed surveys.

        ``{"cadre": {cadre_id: target}, "unit": {unit_id: target}, "items": {key:
        rows}}`` with a target ``{"scores": [...], "unit_ids": [...], "n_excluded":
        int}`` (``surveys.services.results_source.survey_results_data`` documents it). Surveys
        whose code is in ``named`` are left out (they feed their own indicators).
        """
        ...

    def sourced_data(
        self, session: Session, period: Period, sources: Mapping[str, SurveySources]
    ) -> Mapping[str, Any]:
        """What each indicator naming its sources reads (by indicator code).

        ``surveys.services.results_source.survey_sourced_data`` documents the shape.
        """
        ...

    @property
    def summarise_targets(self) -> SurveySummariser:
        """The satisfaction index function the results engine uses."""
        ...

    def approved_comments(
        self, session: Session, period: Period, cadre_id: int | str
    ) -> list[str] | None:
        """Team-approved comments about a cadre; ``None`` when the group is too small."""
        ...

    def cadre_awareness(
        self, session: Session, period: Period, cadre_id: int
    ) -> Sequence[SurveyAwareness]:
        """Per closed survey that asked about the cadre: rated, "don't know", share known."""
        ...

    def seed_demo_survey(self, session: Session, plan: DemoSurveyPlan) -> Mapping[str, int]:
        """Run, close and seal one demo period's resident survey; counts by channel."""
        ...

    def seed_demo_ballots(self, session: Session, plan: DemoBallotPlan) -> int:
        """Hold one demo period's democratic evaluation meetings; the ballots cast."""
        ...
