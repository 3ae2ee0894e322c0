"""The rulebook (考核细则) as data: records, validation, canonical form, digest and diff.

A rulebook is everything that decides scores in a period (DESIGN sections 3-5): one
indicator set per post, rubrics for qualitative indicators, the grading scheme and the
aggregation settings. It travels as a plain document (a mapping of lists, strings and
numbers, written as YAML or JSON) and lives in code as frozen records.

- :func:`parse_rulebook` checks a whole document and returns a :class:`Rulebook`, or
  raises :class:`~assessment.core.errors.RulebookError` listing every problem with its
  path inside the document (``posts[2].indicators[4].target``), a code and parameters.
- :func:`to_plain` gives the canonical plain document back (defaults filled in, numbers
  normalised), and :func:`rules_digest` is the SHA-256 of its canonical JSON.
- :func:`diff_rulebooks` lists what changed between two versions, by path.
- :func:`describe_indicator` returns the numbers of an indicator's formula so that a
  template can phrase it in the reader's language.

The weight rule (one rule, everywhere): the category weights of an indicator set sum to
100, and the weights of the weighted indicators (quantitative, qualitative, survey) in a
category sum to that category's weight. An indicator's weight is therefore the number of
points it gives at full achievement. Veto, bonus and penalty items carry no weight.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from typing import Any

from assessment.core.ballots import (
    BOUNDARIES,
    DEFAULT_SHARE_RULES,
    SHARE_COMPARISONS,
    SHEET_ACTIONS,
    BallotBands,
    BallotValidity,
    Band,
    ShareRule,
    share_text,
)
from assessment.core.digest import canonical_json, sha256_hex
from assessment.core.errors import InvalidParameterError, RulebookError
from assessment.core.precision import DEFAULT_PRECISION, MAX_PLACES, Precision, Rounding, exact
from assessment.core.rollup import ROLLUP_OF, EligibilityRule
from assessment.core.scoring import QUOTA_ROUNDINGS, QuantitativeRule

__all__ = [
    "ASSESSED_POSTS",
    "ASSESSED_POSTS_KEY",
    "DEFAULT_GRADES",
    "DEFAULT_LEVELS",
    "FORMAT",
    "REGULAR_GRADES",
    "TIE_RULES",
    "UNIT_KINDS",
    "WEIGHTED_KINDS",
    "Aggregation",
    "Breakpoint",
    "Category",
    "Eligibility",
    "FormulaSummary",
    "Grade",
    "GradingScheme",
    "Indicator",
    "IndicatorKind",
    "IndicatorSet",
    "Label",
    "QuotaGroup",
    "Rubric",
    "RubricLevel",
    "Rulebook",
    "RulebookChange",
    "RulebookProblem",
    "Step",
    "SurveySources",
    "VoterGroupWeight",
    "default_document",
    "describe_indicator",
    "diff_documents",
    "diff_rulebooks",
    "find_problems",
    "find_source_problems",
    "max_points",
    "parse_rulebook",
    "quantitative_rule",
    "rules_digest",
    "to_plain",
]

#: Version tag of the document format; a document must carry it as ``format``.
FORMAT = "township-assessment/rulebook/1"
#: The optional root field naming the county template a rulebook adopted (issue 16).
TEMPLATE_KEY = "template"
#: The optional root field saying whom a period assesses: ``all`` (default) every post held
#: in its scope, which must then each have an indicator set; ``listed`` only the posts
#: that have one (a county assessing its township leaders alone, issue 16).
ASSESSED_POSTS_KEY = "assessed_posts"
ASSESSED_POSTS = ("all", "listed")
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
#: The only tie rule: everyone tied on every key across the quota boundary drops.
TIE_RULES = ("all_tied_drop",)
#: Kinds of unit whose grade a quota group may read (``by_unit_grade.unit_kind``).
UNIT_KINDS = ("county", "township", "street", "village", "community")
METHODS = ("linear", "ratio", "steps", "binary", "efficacy", "piecewise")
ROUNDINGS = tuple(r.value for r in Rounding)
DIRECTIONS = ("higher", "lower")
SUBJECTS = ("cadre", "unit")
#: How a survey indicator with ``sources`` turns answers into a 0-100 input.
SOURCE_METHODS = ("satisfaction", "ballot")
#: The grades of a grade ballot, best first, and their default coefficients.
BALLOT_GRADES = ("excellent", "competent", "basic", "incompetent")
DEFAULT_BALLOT_COEFFICIENTS: tuple[float, ...] = (1.0, 0.8, 0.6, 0.0)
WEIGHT_TOTAL = 100.0
# Weights are typed by people as decimals; sums are compared with this tolerance.
_WEIGHT_TOLERANCE = 1e-6
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
#: What a code may be (posts, indicators, templates): 1-32 letters, digits, ".", "-", "_".
CODE_PATTERN = _CODE
_MAX_TEXT = 2000


class IndicatorKind(StrEnum):
    """The six kinds of indicator of DESIGN section 3, and the roll-up of sub-periods."""

    QUANTITATIVE = "quantitative"
    QUALITATIVE = "qualitative"
    SURVEY = "survey"
    VETO = "veto"
    BONUS = "bonus"
    PENALTY = "penalty"
    #: Reads the published results of the period's sub-periods (:mod:`assessment.core.rollup`).
    ROLLUP = "rollup"


#: Kinds that belong to a category and carry a weight.
WEIGHTED_KINDS = frozenset(
    {
        IndicatorKind.QUANTITATIVE,
        IndicatorKind.QUALITATIVE,
        IndicatorKind.SURVEY,
        IndicatorKind.ROLLUP,
    }
)


# ---------------------------------------------------------------------------
# records
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Label:
    """A name in Chinese and English (both required)."""

    zh: str
    en: str


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a ``steps`` indicator: reaching ``threshold`` gives ``ratio``."""

    threshold: float
    ratio: float


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """One breakpoint of a ``piecewise`` indicator: at ``actual`` the ratio is ``ratio``."""

    actual: float
    ratio: float


@dataclass(frozen=True, slots=True)
class VoterGroupWeight:
    """A voter group (测评主体) read by a ballot indicator and its weight inside it."""

    group: str
    weight: float


@dataclass(frozen=True, slots=True)
class SurveySources:
    """Where a survey indicator's input comes from, when it names its sources.

    Parameters
    ----------
    surveys : tuple of str
        Codes of the period's surveys it reads (a survey's ``code``).
    questions : tuple of str
        Codes of the questions it reads; empty: every rated question of the method's
        kind (Likert and 0-10 for ``satisfaction``, grade ballots for ``ballot``).
    method : str
        ``satisfaction`` (the satisfaction index, DESIGN section 4) or ``ballot``
        (grade ballots scored by coefficient, :mod:`assessment.core.ballots`).
    groups : tuple of VoterGroupWeight
        The voter groups and their weights inside the indicator (required by
        ``ballot``; optional for ``satisfaction``: each group's index over its own
        responses, weighted by :mod:`assessment.core.voter_groups`).
    min_responses : int
        Least valid responses (``satisfaction``) or valid ballots per group
        (``ballot``) below which the input is missing (default 1).
    quorum_share : float or None
        ``ballot``: least share of the eligible voters (the access codes issued to
        the group) whose valid ballots a group needs.
    coefficients : tuple of float
        ``ballot``: coefficient of 优秀, 称职, 基本称职, 不称职 (default 1, 0.8, 0.6, 0).
    publish_votes : bool
        ``ballot``: the public notice shows each cadre's vote counts and shares per
        voter group (default: only the total and grade; the team's reports and the
        cadre's portal always show them).
    validity : BallotValidity or None
        ``ballot``: the rules a ballot sheet must keep (top-grade limit, same grade
        for all); ``None``: every sheet counts.
    bands : BallotBands or None
        ``ballot``: score each group by vote-share bands instead of the coefficients.
    consequences : tuple of ShareRule or None
        ``ballot``: vote-share rules (flag, or cap the grade); ``None``: the default,
        不称职 above one third raises a flag.
    """

    surveys: tuple[str, ...]
    questions: tuple[str, ...] = ()
    method: str = "satisfaction"
    groups: tuple[VoterGroupWeight, ...] = ()
    min_responses: int = 1
    quorum_share: float | None = None
    coefficients: tuple[float, ...] = DEFAULT_BALLOT_COEFFICIENTS
    publish_votes: bool = False
    validity: BallotValidity | None = None
    bands: BallotBands | None = None
    consequences: tuple[ShareRule, ...] | None = None

    @property
    def share_rules(self) -> tuple[ShareRule, ...]:
        """The vote-share rules in force (the default when the rulebook gives none)."""
        return DEFAULT_SHARE_RULES if self.consequences is None else self.consequences

    @property
    def coefficient_of(self) -> dict[str, float]:
        """The coefficients by grade code."""
        return dict(zip(BALLOT_GRADES, self.coefficients, strict=True))


@dataclass(frozen=True, slots=True)
class Indicator:
    """One indicator of an indicator set.

    Parameters
    ----------
    code : str
        Unique within its indicator set.
    name : Label
        Chinese and English name.
    kind : IndicatorKind
        Quantitative, qualitative, survey, veto, bonus or penalty.
    category : str or None
        Category code (weighted kinds only).
    weight : float or None
        Points at full achievement (weighted kinds only).
    method, direction : str or None
        Quantitative: ``linear|ratio|steps|binary`` and ``higher|lower``.
    baseline, target : float or None
        Quantitative: baseline ``b`` (linear) and target ``t`` (linear, ratio, optional
        for binary).
    cap : float
        Quantitative: upper bound ``c`` of the achievement ratio (default 1.0).
    steps : tuple of Step
        Quantitative ``steps`` method, from the easiest threshold to the hardest.
    unacceptable, satisfactory : float or None
        Quantitative ``efficacy`` method: the unacceptable value (不允许值) and the
        satisfactory value (满意值).
    floor : float
        Quantitative ``efficacy`` method: lower bound of the ratio (default 0).
    breakpoints : tuple of Breakpoint
        Quantitative ``piecewise`` method: at least two, from the worst actual to the best.
    unit : Label or None
        Quantitative: the unit of the actual value (e.g. 万元 / 10k yuan).
    rubric : str or None
        Qualitative: code of the rubric whose levels the assessors pick from.
    subject : str or None
        Survey: whom residents rate, ``cadre`` or ``unit``.
    sources : SurveySources or None
        Survey: which surveys, questions and voter groups it reads and how; ``None``
        pools the period's closed surveys that no indicator names (the behaviour of
        rulebooks written before sources existed).
    caps_at : str or None
        Veto: the grade code a triggered veto caps the grade at.
    points : float or None
        Bonus or penalty: points per recorded event.
    description : Label or None
        What counts, where the evidence comes from.
    rollup_of : str or None
        Roll-up: ``mean_total``, ``grade_count`` or ``latest_grade``
        (:func:`assessment.core.rollup.compute_rollup`).
    rollup_grade : str or None
        Roll-up ``grade_count``: the child grade counted.
    grade_values : tuple of (str, float)
        Roll-up ``latest_grade``: the value (0-100) of each child grade.
    """

    code: str
    name: Label
    kind: IndicatorKind
    category: str | None = None
    weight: float | None = None
    method: str | None = None
    direction: str | None = None
    baseline: float | None = None
    target: float | None = None
    cap: float = 1.0
    steps: tuple[Step, ...] = ()
    unit: Label | None = None
    rubric: str | None = None
    subject: str | None = None
    caps_at: str | None = None
    points: float | None = None
    description: Label | None = None
    unacceptable: float | None = None
    satisfactory: float | None = None
    floor: float = 0.0
    breakpoints: tuple[Breakpoint, ...] = ()
    sources: SurveySources | None = None
    rollup_of: str | None = None
    rollup_grade: str | None = None
    grade_values: tuple[tuple[str, float], ...] = ()

    @property
    def is_weighted(self) -> bool:
        """Whether the indicator belongs to a category and carries a weight."""
        return self.kind in WEIGHTED_KINDS


@dataclass(frozen=True, slots=True)
class Category:
    """A category of an indicator set (e.g. 绩 work results) and its weight."""

    code: str
    name: Label
    weight: float


@dataclass(frozen=True, slots=True)
class IndicatorSet:
    """The indicators of one post (指标体系).

    Parameters
    ----------
    post : str
        Post code (e.g. ``VSEC``).
    name : Label
        The post's name, kept in the document so that it reads on its own.
    categories : tuple of Category
        Weights sum to 100.
    indicators : tuple of Indicator
        Every kind; weighted ones refer to a category.
    bonus_cap, penalty_cap : float or None
        Caps on the summed bonus and penalty points (required when the set has bonus or
        penalty items; ``None`` when it has none).
    """

    post: str
    name: Label
    categories: tuple[Category, ...]
    indicators: tuple[Indicator, ...]
    bonus_cap: float | None = None
    penalty_cap: float | None = None

    def indicator(self, code: str) -> Indicator:
        """Return the indicator with this code (``KeyError`` when absent)."""
        for indicator in self.indicators:
            if indicator.code == code:
                return indicator
        raise KeyError(code)

    def in_category(self, category: str) -> tuple[Indicator, ...]:
        """The weighted indicators of one category, in document order."""
        return tuple(i for i in self.indicators if i.is_weighted and i.category == category)

    def of_kind(self, kind: IndicatorKind | str) -> tuple[Indicator, ...]:
        """The indicators of one kind, in document order."""
        return tuple(i for i in self.indicators if i.kind == kind)


@dataclass(frozen=True, slots=True)
class RubricLevel:
    """One level of a qualitative rubric: a value on 0-100 and what it means."""

    code: str
    name: Label
    value: float
    description: Label | None = None


@dataclass(frozen=True, slots=True)
class Rubric:
    """Levels an assessor picks from, best first (strictly decreasing values)."""

    code: str
    name: Label
    levels: tuple[RubricLevel, ...]


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade and the lowest total that earns it."""

    code: str
    name: Label
    minimum: float


@dataclass(frozen=True, slots=True)
class QuotaGroup:
    """Posts graded together for the top-grade quota (issue 16).

    Parameters
    ----------
    code : str
        The group's code (the results' ``post_group``).
    name : Label
        What the rules page, the results and the notice call it.
    posts : tuple of str
        The posts graded together, over every unit of the period's scope.
    rounding : str
        How ``share × size`` becomes a whole number: ``down``, ``half_up`` or ``up``.
    top_quota : float or None
        The share of the group that may keep the top grade, in (0, 1]; ``None`` when
        the share depends on the unit's grade.
    unit_kind : str or None
        With ``shares``: the group is split per unit of this kind (the nearest unit of
        the kind at or above each cadre's unit), and each part gets the share of its
        unit's grade.
    shares : tuple of (str, float)
        Unit grade code and share, the largest share first.
    """

    code: str
    name: Label
    posts: tuple[str, ...]
    rounding: str = "down"
    top_quota: float | None = None
    unit_kind: str | None = None
    shares: tuple[tuple[str, float], ...] = ()

    @property
    def by_unit_grade(self) -> bool:
        """Whether the share depends on the unit's grade (the group splits by unit)."""
        return self.unit_kind is not None

    def share_of(self, unit_grade: str) -> float | None:
        """The share for a unit of this grade; ``None`` when the grade is not listed."""
        for code, share in self.shares:
            if code == unit_grade:
                return share
        return None


@dataclass(frozen=True, slots=True)
class GradingScheme:
    """Grades best first, the top-grade quota and the tie rule.

    Parameters
    ----------
    grades : tuple of Grade
        Strictly decreasing minimums; the last grade's minimum is 0.
    top_quota : float
        Largest share of a post group that may keep the top grade, in (0, 1].
    tie_rule : str
        ``"all_tied_drop"``: cadres tied on every ranking key across the quota
        boundary all drop one grade.
    rounding : str
        How ``top_quota × size`` becomes a whole number: ``down`` (floor, the default),
        ``half_up`` or ``up`` (ceiling).
    quota_groups : tuple of QuotaGroup
        Groups graded together across posts (and townships); a post in none of them
        is graded on its own with ``top_quota``.
    """

    grades: tuple[Grade, ...]
    top_quota: float = 0.2
    tie_rule: str = "all_tied_drop"
    rounding: str = "down"
    quota_groups: tuple[QuotaGroup, ...] = ()

    def quota_group_of(self, post: str) -> QuotaGroup | None:
        """The quota group that lists this post, or ``None`` (the post is graded alone)."""
        for group in self.quota_groups:
            if post in group.posts:
                return group
        return None

    def quota_group(self, code: str) -> QuotaGroup:
        """Return the quota group with this code (``KeyError`` when absent)."""
        for group in self.quota_groups:
            if group.code == code:
                return group
        raise KeyError(code)

    @property
    def top(self) -> Grade:
        """The best grade (the one the quota applies to)."""
        return self.grades[0]

    def grade(self, code: str) -> Grade:
        """Return the grade with this code (``KeyError`` when absent)."""
        for grade in self.grades:
            if grade.code == code:
                return grade
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class Eligibility:
    """An eligibility rule of the rulebook: its name, and the rule the engine applies."""

    name: Label
    rule: EligibilityRule


@dataclass(frozen=True, slots=True)
class Aggregation:
    """How ratings and responses are combined.

    Parameters
    ----------
    trim_threshold : int
        A qualitative panel value is the trimmed mean (drop one highest and one lowest)
        from this many ratings on, else the plain mean; at least 3 (default 5).
    post_stratification : bool
        Whether survey responses are weighted by unit population share / response share.
    """

    trim_threshold: int = 5
    post_stratification: bool = False


@dataclass(frozen=True, slots=True)
class TemplateReference:
    """The county template a township's rulebook adopted (``docs/rulebook.md``).

    Parameters
    ----------
    unit : str
        Code of the county unit that publishes the template.
    code : str
        The template's code within the county.
    version : int
        The published template version adopted (1, 2, ...).
    digest : str
        SHA-256 of that version's canonical template document.
    """

    unit: str
    code: str
    version: int
    digest: str


@dataclass(frozen=True, slots=True)
class Rulebook:
    """Everything that decides scores in one period.

    Parameters
    ----------
    title : Label
        E.g. 青山镇2026年度干部考核细则.
    grading : GradingScheme
    aggregation : Aggregation
    rubrics : tuple of Rubric
    indicator_sets : tuple of IndicatorSet
        One per post, unique post codes.
    precision : Precision
        Declared precision of every published number (default two decimals, half up).
    eligibility : tuple of Eligibility
        Rules on the sub-periods' grades that cap the grade (e.g. 优秀 only with three
        quarters graded 好); every indicator set then has a ``rollup`` indicator.
    template : TemplateReference or None
        The county template this rulebook adopted, if any.
    assessed_posts : str
        ``all`` (every post held in the period's scope is assessed and needs an
        indicator set) or ``listed`` (only the posts with an indicator set are assessed;
        the scope's other cadres are not subjects of the period).
    """

    title: Label
    grading: GradingScheme
    aggregation: Aggregation
    rubrics: tuple[Rubric, ...]
    indicator_sets: tuple[IndicatorSet, ...]
    precision: Precision = DEFAULT_PRECISION
    eligibility: tuple[Eligibility, ...] = ()
    template: TemplateReference | None = None
    assessed_posts: str = "all"

    def indicator_set(self, post: str) -> IndicatorSet:
        """Return the indicator set of a post (``KeyError`` when absent)."""
        for indicator_set in self.indicator_sets:
            if indicator_set.post == post:
                return indicator_set
        raise KeyError(post)

    def rubric(self, code: str) -> Rubric:
        """Return the rubric with this code (``KeyError`` when absent)."""
        for rubric in self.rubrics:
            if rubric.code == code:
                return rubric
        raise KeyError(code)

    @property
    def post_codes(self) -> tuple[str, ...]:
        """Post codes of the indicator sets, in document order."""
        return tuple(s.post for s in self.indicator_sets)

    def post_sort_key(self, post: str) -> tuple[int, str]:
        """Sort key putting posts (post groups) in the rulebook's order, unknown ones last.

        Pages and reports list post groups as the published rules do (township leaders
        first in the examples), not by code.
        """
        codes = self.post_codes
        return (codes.index(post) if post in codes else len(codes), post)


@dataclass(frozen=True, slots=True)
class RulebookProblem:
    """One problem in a rulebook document.

    Parameters
    ----------
    path : str
        Where in the document, e.g. ``posts[2].indicators[4].target`` (``""`` for the
        whole document).
    code : str
        Stable snake_case code, e.g. ``"target_equals_baseline"``.
    params : mapping
        Values the message names (e.g. ``actual`` and ``expected`` sums).
    """

    path: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        """Return ``path: code {params}`` for logs and exception text."""
        where = self.path or "(document)"
        return f"{where}: {self.code}" + (f" {dict(self.params)}" if self.params else "")


# ---------------------------------------------------------------------------
# defaults
# ---------------------------------------------------------------------------

#: Default grades (DESIGN section 4): 优秀 ≥ 90, 称职 ≥ 70, 基本称职 ≥ 60, 不称职.
DEFAULT_GRADES: tuple[Grade, ...] = (
    Grade("excellent", Label("优秀", "Excellent"), 90.0),
    Grade("competent", Label("称职", "Competent"), 70.0),
    Grade("basic", Label("基本称职", "Basically competent"), 60.0),
    Grade("incompetent", Label("不称职", "Incompetent"), 0.0),
)

#: Default rubric levels: 优 100, 良 85, 中 70, 差 50.
DEFAULT_LEVELS: tuple[RubricLevel, ...] = (
    RubricLevel("A", Label("优", "Excellent"), 100.0),
    RubricLevel("B", Label("良", "Good"), 85.0),
    RubricLevel("C", Label("中", "Fair"), 70.0),
    RubricLevel("D", Label("差", "Poor"), 50.0),
)


#: The regular (平时) grades, the default of a sub-period's rulebook: 好 ≥ 90,
#: 较好 ≥ 80, 一般 ≥ 60, 较差 below (codes ``good``, ``fair``, ``average``, ``poor``).
REGULAR_GRADES: tuple[Grade, ...] = (
    Grade("good", Label("好", "Good"), 90.0),
    Grade("fair", Label("较好", "Fairly good"), 80.0),
    Grade("average", Label("一般", "Average"), 60.0),
    Grade("poor", Label("较差", "Poor"), 0.0),
)


def default_document(title: Label, grades: tuple[Grade, ...] = DEFAULT_GRADES) -> dict[str, Any]:
    """Return a new, empty rulebook document with the default settings.

    Parameters
    ----------
    title : Label
        Title of the rulebook.
    grades : tuple of Grade
        The grading scheme: :data:`DEFAULT_GRADES` (优秀 称职 基本称职 不称职) for an
        annual or term period, :data:`REGULAR_GRADES` (好 较好 一般 较差) for a sub-period.

    Returns
    -------
    dict
        Plain document: default grades, quota 0.2, trim threshold 5, one rubric
        ``standard`` with the default levels, and no indicator sets yet.

    Examples
    --------
    >>> doc = default_document(Label("细则", "Rules"))
    >>> doc["grading"]["top_quota"], [g["min"] for g in doc["grading"]["grades"]]
    (0.2, [90, 70, 60, 0])
    """
    book = Rulebook(
        title=title,
        grading=GradingScheme(grades),
        aggregation=Aggregation(),
        rubrics=(Rubric("standard", Label("通用四档", "Standard four levels"), DEFAULT_LEVELS),),
        indicator_sets=(),
    )
    return to_plain(book)


# ---------------------------------------------------------------------------
# parsing and validation
# ---------------------------------------------------------------------------


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


class _Checker:
    """Collects problems while reading a document; never stops at the first one."""

    def __init__(self) -> None:
        self.problems: list[RulebookProblem] = []
        # the document's declared precision, read before anything it constrains
        self.precision = DEFAULT_PRECISION

    def add(self, path: str, code: str, /, **params: Any) -> None:
        self.problems.append(RulebookProblem(path, code, params))

    def mapping(self, value: object, path: str) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.add(path, "not_a_mapping")
            return None
        return value

    def fields(
        self,
        value: object,
        path: str,
        required: Sequence[str],
        optional: Sequence[str] = (),
    ) -> Mapping[str, Any] | None:
        """A mapping with the required keys present and no unknown keys."""
        mapping = self.mapping(value, path)
        if mapping is None:
            return None
        for key in required:
            if key not in mapping:
                self.add(_at(path, key), "missing")
        allowed = set(required) | set(optional)
        for key in mapping:
            if key not in allowed:
                self.add(_at(path, str(key)), "unknown_field", allowed=", ".join(sorted(allowed)))
        return mapping

    def items(self, value: object, path: str) -> list[tuple[str, Any]]:
        if not isinstance(value, list):
            self.add(path, "not_a_list")
            return []
        return [(_at(path, index), item) for index, item in enumerate(value)]

    def text(self, value: object, path: str, *, required: bool = True) -> str | None:
        if not isinstance(value, str):
            self.add(path, "not_a_string")
            return None
        text = value.strip()
        if required and not text:
            self.add(path, "empty")
            return None
        if len(text) > _MAX_TEXT:
            self.add(path, "too_long", max=_MAX_TEXT)
            return None
        return text

    def code(self, value: object, path: str) -> str | None:
        text = self.text(value, path)
        if text is not None and not _CODE.match(text):
            self.add(path, "bad_code", value=text)
            return None
        return text

    def number(
        self,
        value: object,
        path: str,
        *,
        minimum: float | None = None,
        maximum: float | None = None,
        positive: bool = False,
    ) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.add(path, "not_a_number", value=value)
            return None
        number = float(value)
        if not math.isfinite(number):
            self.add(path, "not_a_number", value=value)
            return None
        if positive and number <= 0:
            self.add(path, "not_positive", value=_num(number))
            return None
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            self.add(
                path,
                "out_of_range",
                value=_num(number),
                min=_num(minimum) if minimum is not None else None,
                max=_num(maximum) if maximum is not None else None,
            )
            return None
        return number

    def published(self, value: float | None, path: str) -> float | None:
        """A rule boundary that totals are compared with: at most the declared decimals."""
        if value is None:
            return None
        if Fraction(self.precision.round(exact(value))) != exact(value):
            self.add(
                path,
                "more_decimals_than_precision",
                value=_num(value),
                places=self.precision.places,
            )
            return None
        return value

    def integer(self, value: object, path: str, *, minimum: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, "not_an_integer", value=value)
            return None
        if value < minimum:
            self.add(path, "out_of_range", value=value, min=minimum, max=None)
            return None
        return value

    def boolean(self, value: object, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.add(path, "not_a_boolean", value=value)
            return None
        return value

    def choice(self, value: object, path: str, choices: Sequence[str]) -> str | None:
        text = self.text(value, path)
        if text is not None and text not in choices:
            self.add(path, "unknown_choice", value=text, choices=", ".join(choices))
            return None
        return text

    def label(self, value: object, path: str) -> Label | None:
        mapping = self.fields(value, path, ("zh", "en"))
        if mapping is None:
            return None
        zh = self.text(mapping.get("zh"), _at(path, "zh")) if "zh" in mapping else None
        en = self.text(mapping.get("en"), _at(path, "en")) if "en" in mapping else None
        return Label(zh, en) if zh is not None and en is not None else None

    def unique(self, codes: Sequence[tuple[str, str | None]], key: str) -> None:
        """Report each repeated code at the path of its second and later uses."""
        seen: set[str] = set()
        for path, code in codes:
            if code is None:
                continue
            if code in seen:
                self.add(_at(path, key), "duplicate_code", code=code)
            seen.add(code)


def _num(value: float) -> int | float:
    """The canonical number: an integral float is written as an integer."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)


_QUANT_FIELDS = (
    "method",
    "direction",
    "baseline",
    "target",
    "cap",
    "steps",
    "unit",
    "unacceptable",
    "satisfactory",
    "floor",
    "breakpoints",
)
#: The parameters each method needs (beyond ``cap``, ``direction`` and ``unit``).
_METHOD_FIELDS: dict[str, set[str]] = {
    "linear": {"baseline", "target"},
    "ratio": {"target"},
    "steps": {"steps"},
    "binary": set(),
    "efficacy": {"unacceptable", "satisfactory"},
    "piecewise": {"breakpoints"},
}
#: Parameters a method may have but does not need.
_METHOD_OPTIONAL: dict[str, set[str]] = {"binary": {"target"}, "efficacy": {"floor"}}
_COMMON_FIELDS = ("code", "name", "kind", "description")
_KIND_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # kind: (required beyond code/name/kind, optional)
    "quantitative": (("category", "weight", "method"), _QUANT_FIELDS),
    "qualitative": (("category", "weight"), ("rubric",)),
    "survey": (("category", "weight"), ("subject", "sources")),
    "veto": (("caps_at",), ()),
    "bonus": (("points",), ()),
    "penalty": (("points",), ()),
    "rollup": (("category", "weight", "of"), ("grade", "values")),
}


def _parse_quantitative(
    check: _Checker, data: Mapping[str, Any], path: str
) -> dict[str, Any] | None:
    """Method parameters of a quantitative indicator (DESIGN section 4)."""
    method = check.choice(data.get("method"), _at(path, "method"), METHODS)
    direction = "higher"
    if "direction" in data:
        direction = check.choice(data["direction"], _at(path, "direction"), DIRECTIONS) or ""
    cap = 1.0
    if "cap" in data:
        cap = check.number(data["cap"], _at(path, "cap"), positive=True) or 0.0
    baseline = target = unacceptable = satisfactory = None
    floor = 0.0
    steps: tuple[Step, ...] = ()
    breakpoints: tuple[Breakpoint, ...] = ()
    unit = check.label(data["unit"], _at(path, "unit")) if "unit" in data else None
    if method is None or not direction or not cap:
        return None
    expected = _METHOD_FIELDS[method]
    optional = _METHOD_OPTIONAL.get(method, set())
    for key in (
        "baseline",
        "target",
        "steps",
        "unacceptable",
        "satisfactory",
        "floor",
        "breakpoints",
    ):
        if key in expected and key not in data:
            check.add(_at(path, key), "missing_for_method", method=method)
        elif key not in expected | optional and key in data:
            check.add(_at(path, key), "not_used_by_method", method=method)
    ok = True
    if "baseline" in expected and "baseline" in data:
        baseline = check.number(data["baseline"], _at(path, "baseline"))
        ok = ok and baseline is not None
    if "target" in expected | optional and "target" in data:
        target = check.number(data["target"], _at(path, "target"))
        ok = ok and target is not None
    if method == "linear" and baseline is not None and target is not None:
        if target == baseline:
            check.add(_at(path, "target"), "target_equals_baseline", baseline=_num(baseline))
            ok = False
        elif (direction == "higher") != (target > baseline):
            check.add(
                _at(path, "target"),
                "target_wrong_side",
                direction=direction,
                baseline=_num(baseline),
                target=_num(target),
            )
            ok = False
    if method == "ratio" and target is not None and target <= 0:
        check.add(_at(path, "target"), "not_positive", value=_num(target))
        ok = False
    if method == "steps" and "steps" in data:
        parsed = _parse_steps(check, data["steps"], _at(path, "steps"), direction, cap)
        ok = ok and parsed is not None
        steps = parsed or ()
    if method == "efficacy":
        efficacy = _parse_efficacy(check, data, path, direction, cap)
        ok = ok and efficacy is not None
        unacceptable, satisfactory, floor = efficacy or (None, None, 0.0)
    if method == "piecewise" and "breakpoints" in data:
        points = _parse_breakpoints(
            check, data["breakpoints"], _at(path, "breakpoints"), direction, cap
        )
        ok = ok and points is not None
        breakpoints = points or ()
    if not ok:
        return None
    return {
        "method": method,
        "direction": direction,
        "baseline": baseline,
        "target": target,
        "cap": cap,
        "steps": steps,
        "unit": unit,
        "unacceptable": unacceptable,
        "satisfactory": satisfactory,
        "floor": floor,
        "breakpoints": breakpoints,
    }


def _parse_efficacy(
    check: _Checker, data: Mapping[str, Any], path: str, direction: str, cap: float
) -> tuple[float, float, float] | None:
    """Unacceptable and satisfactory values on the right sides, a floor below the cap."""
    unacceptable = satisfactory = None
    if "unacceptable" in data:
        unacceptable = check.number(data["unacceptable"], _at(path, "unacceptable"))
    if "satisfactory" in data:
        satisfactory = check.number(data["satisfactory"], _at(path, "satisfactory"))
    floor = 0.0
    if "floor" in data:
        floor_value = check.number(data["floor"], _at(path, "floor"), minimum=0)
        if floor_value is None:
            return None
        floor = floor_value
        if floor >= cap:
            check.add(_at(path, "floor"), "floor_not_below_cap", value=_num(floor), cap=_num(cap))
            return None
    if unacceptable is None or satisfactory is None:
        return None
    if satisfactory == unacceptable:
        check.add(
            _at(path, "satisfactory"),
            "satisfactory_equals_unacceptable",
            value=_num(unacceptable),
        )
        return None
    if (direction == "higher") != (satisfactory > unacceptable):
        check.add(
            _at(path, "satisfactory"),
            "satisfactory_wrong_side",
            direction=direction,
            unacceptable=_num(unacceptable),
            satisfactory=_num(satisfactory),
        )
        return None
    return unacceptable, satisfactory, floor


def _parse_breakpoints(
    check: _Checker, value: object, path: str, direction: str, cap: float
) -> tuple[Breakpoint, ...] | None:
    """At least two breakpoints from the worst actual to the best, ratios never falling."""
    entries = check.items(value, path)
    if isinstance(value, list) and len(entries) < 2:
        check.add(path, "too_few_breakpoints", min=2, count=len(entries))
        return None
    points: list[Breakpoint] = []
    ok = True
    for point_path, item in entries:
        data = check.fields(item, point_path, ("actual", "ratio"))
        if data is None:
            ok = False
            continue
        actual = check.number(data.get("actual"), _at(point_path, "actual"))
        ratio = check.number(data.get("ratio"), _at(point_path, "ratio"), minimum=0, maximum=cap)
        if actual is None or ratio is None:
            ok = False
            continue
        if points:
            previous = points[-1]
            ordered = (
                actual > previous.actual if direction == "higher" else actual < previous.actual
            )
            if not ordered:
                check.add(
                    _at(point_path, "actual"),
                    "breakpoints_not_ordered",
                    direction=direction,
                    previous=_num(previous.actual),
                    value=_num(actual),
                )
                ok = False
            elif ratio < previous.ratio:
                check.add(
                    _at(point_path, "ratio"),
                    "breakpoint_ratio_decreasing",
                    previous=_num(previous.ratio),
                    value=_num(ratio),
                )
                ok = False
        points.append(Breakpoint(actual, ratio))
    return tuple(points) if ok and entries else None


def _parse_steps(
    check: _Checker, value: object, path: str, direction: str, cap: float
) -> tuple[Step, ...] | None:
    """Steps ordered from the easiest threshold to the hardest, ratios never falling."""
    entries = check.items(value, path)
    if not entries and isinstance(value, list):
        check.add(path, "empty")
        return None
    steps: list[Step] = []
    ok = True
    for step_path, item in entries:
        data = check.fields(item, step_path, ("threshold", "ratio"))
        if data is None:
            ok = False
            continue
        threshold = check.number(data.get("threshold"), _at(step_path, "threshold"))
        ratio = check.number(data.get("ratio"), _at(step_path, "ratio"), minimum=0, maximum=cap)
        if threshold is None or ratio is None:
            ok = False
            continue
        if steps:
            previous = steps[-1]
            ordered = (
                threshold > previous.threshold
                if direction == "higher"
                else threshold < previous.threshold
            )
            if not ordered:
                check.add(
                    _at(step_path, "threshold"),
                    "steps_not_ordered",
                    direction=direction,
                    previous=_num(previous.threshold),
                    value=_num(threshold),
                )
                ok = False
            elif ratio < previous.ratio:
                check.add(
                    _at(step_path, "ratio"),
                    "step_ratio_decreasing",
                    previous=_num(previous.ratio),
                    value=_num(ratio),
                )
                ok = False
        steps.append(Step(threshold, ratio))
    return tuple(steps) if ok and entries else None


def _codes(check: _Checker, value: object, path: str, *, required: bool) -> tuple[str, ...]:
    """A list of distinct codes (each problem at its own index)."""
    entries = check.items(value, path)
    if required and isinstance(value, list) and not value:
        check.add(path, "empty")
    codes: list[tuple[str, str | None]] = [
        (item_path, check.code(item, item_path)) for item_path, item in entries
    ]
    seen: set[str] = set()
    for item_path, code in codes:
        if code is not None and code in seen:
            check.add(item_path, "duplicate_code", code=code)
        seen.add(code or "")
    return tuple(code for _, code in codes if code is not None)


#: The ``sources`` keys the ``ballot`` method reads (``satisfaction`` reads ``groups`` too).
_BALLOT_SOURCE_KEYS = (
    "groups",
    "quorum_share",
    "coefficients",
    "validity",
    "bands",
    "consequences",
    "publish_votes",
)


def _parse_sources(
    check: _Checker, value: object, path: str, grades: Sequence[str] = ()
) -> SurveySources | None:
    """The ``sources`` of a survey indicator (docs/rulebook.md, "Indicators that name their
    sources"); ``grades`` are the grading scheme's codes a consequence may cap at."""
    data = check.fields(
        value,
        path,
        ("surveys",),
        ("questions", "method", "min_responses", *_BALLOT_SOURCE_KEYS),
    )
    if data is None:
        return None
    before = len(check.problems)
    surveys = (
        _codes(check, data["surveys"], _at(path, "surveys"), required=True)
        if "surveys" in data
        else ()
    )
    questions = (
        _codes(check, data["questions"], _at(path, "questions"), required=False)
        if "questions" in data
        else ()
    )
    method = "satisfaction"
    if "method" in data:
        method = check.choice(data["method"], _at(path, "method"), SOURCE_METHODS) or ""
    min_responses = 1
    if "min_responses" in data:
        min_responses = (
            check.integer(data["min_responses"], _at(path, "min_responses"), minimum=1) or 1
        )
    groups: list[VoterGroupWeight] = []
    quorum_share: float | None = None
    coefficients = DEFAULT_BALLOT_COEFFICIENTS
    publish_votes = False
    validity: BallotValidity | None = None
    bands: BallotBands | None = None
    consequences: tuple[ShareRule, ...] | None = None
    if method == "satisfaction":
        for key in _BALLOT_SOURCE_KEYS:
            if key in data and key != "groups":
                check.add(_at(path, key), "not_used_by_method", method=method)
    if method == "ballot" and "groups" not in data:
        check.add(_at(path, "groups"), "missing_for_method", method=method)
    if method in SOURCE_METHODS and "groups" in data:
        group_paths: list[tuple[str, str | None]] = []
        entries = check.items(data.get("groups", []), _at(path, "groups"))
        if "groups" in data and isinstance(data["groups"], list) and not entries:
            check.add(_at(path, "groups"), "empty")
        for group_path, item in entries:
            entry = check.fields(item, group_path, ("group", "weight"))
            if entry is None:
                continue
            code = (
                check.code(entry["group"], _at(group_path, "group")) if "group" in entry else None
            )
            weight = (
                check.number(entry["weight"], _at(group_path, "weight"), positive=True)
                if "weight" in entry
                else None
            )
            group_paths.append((group_path, code))
            if code is not None and weight is not None:
                groups.append(VoterGroupWeight(code, weight))
        check.unique(group_paths, "group")
    if method == "ballot":
        if "quorum_share" in data:
            share = check.number(
                data["quorum_share"], _at(path, "quorum_share"), minimum=0, maximum=1
            )
            if share == 0:
                check.add(_at(path, "quorum_share"), "not_positive", value=0)
            quorum_share = share or None
        if "coefficients" in data:
            coefficients = _parse_coefficients(check, data["coefficients"], path)
        if "publish_votes" in data:
            publish_votes = bool(check.boolean(data["publish_votes"], _at(path, "publish_votes")))
        if "validity" in data:
            validity = _parse_validity(check, data["validity"], _at(path, "validity"))
        if "bands" in data:
            if "coefficients" in data:
                check.add(_at(path, "bands"), "bands_with_coefficients")
            bands = _parse_bands(check, data["bands"], _at(path, "bands"))
        if "consequences" in data:
            consequences = _parse_consequences(
                check, data["consequences"], _at(path, "consequences"), grades
            )
    if len(check.problems) > before or not method:
        return None
    return SurveySources(
        surveys=surveys,
        questions=questions,
        method=method,
        groups=tuple(groups),
        min_responses=min_responses,
        quorum_share=quorum_share,
        coefficients=coefficients,
        publish_votes=publish_votes,
        validity=validity,
        bands=bands,
        consequences=consequences,
    )


_SHARE_TEXT = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def _share_value(check: _Checker, value: object, path: str) -> Fraction | None:
    """A share 0-1 written as a number (``0.3``) or a fraction (``"1/3"``), read exactly."""
    if isinstance(value, str):
        match = _SHARE_TEXT.match(value)
        if match is None or int(match.group(2)) == 0:
            check.add(path, "not_a_share", value=value)
            return None
        share = Fraction(int(match.group(1)), int(match.group(2)))
    else:
        number = check.number(value, path)
        if number is None:
            return None
        share = Fraction(repr(number))
    if not 0 <= share <= 1:
        check.add(path, "not_a_share", value=value)
        return None
    return share


def _parse_validity(check: _Checker, value: object, path: str) -> BallotValidity | None:
    """``validity``: a top-grade limit (count or share) and what breaking each rule does."""
    data = check.fields(
        value,
        path,
        (),
        ("max_top_grade", "max_top_grade_share", "over_top_limit", "same_grade_for_all"),
    )
    if data is None:
        return None
    if not data:
        check.add(path, "empty")
        return None
    max_top = None
    if "max_top_grade" in data:
        max_top = check.integer(data["max_top_grade"], _at(path, "max_top_grade"), minimum=0)
    max_share = None
    if "max_top_grade_share" in data:
        max_share = _share_value(
            check, data["max_top_grade_share"], _at(path, "max_top_grade_share")
        )
    over = "invalid"
    if "over_top_limit" in data:
        if "max_top_grade" not in data and "max_top_grade_share" not in data:
            check.add(_at(path, "over_top_limit"), "no_top_grade_limit")
        over = (
            check.choice(data["over_top_limit"], _at(path, "over_top_limit"), SHEET_ACTIONS) or ""
        )
    same = None
    if "same_grade_for_all" in data:
        same = check.choice(
            data["same_grade_for_all"], _at(path, "same_grade_for_all"), SHEET_ACTIONS
        )
    return BallotValidity(max_top, max_share, over or "invalid", same)


def _parse_band_list(check: _Checker, value: object, path: str, key: str) -> tuple[Band, ...]:
    """Bands with thresholds strictly descending and points never rising."""
    bands: list[Band] = []
    for item_path, item in check.items(value, path):
        entry = check.fields(item, item_path, ("share", key))
        if entry is None:
            continue
        share = _share_value(check, entry["share"], _at(item_path, "share"))
        points = check.number(entry[key], _at(item_path, key), minimum=0, maximum=100)
        if share is None or points is None:
            continue
        if bands and share >= bands[-1].share:
            check.add(_at(item_path, "share"), "band_not_descending", value=share_text(share))
        if bands and points > bands[-1].points:
            check.add(_at(item_path, key), "band_points_rise", value=_num(points))
        bands.append(Band(share, points))
    return tuple(bands)


def _parse_bands(check: _Checker, value: object, path: str) -> BallotBands | None:
    """``bands``: points by the 优秀 share, deductions by the 基本称职 + 不称职 share."""
    data = check.fields(value, path, ("excellent",), ("poor", "boundary"))
    if data is None:
        return None
    excellent = _parse_band_list(check, data["excellent"], _at(path, "excellent"), "points")
    if isinstance(data["excellent"], list) and not data["excellent"]:
        check.add(_at(path, "excellent"), "empty")
    poor: tuple[Band, ...] = ()
    if "poor" in data:
        poor = _parse_band_list(check, data["poor"], _at(path, "poor"), "deduct")
    boundary = "at_least"
    if "boundary" in data:
        boundary = check.choice(data["boundary"], _at(path, "boundary"), BOUNDARIES) or ""
    return BallotBands(excellent, poor, boundary or "at_least")


def _parse_consequences(
    check: _Checker, value: object, path: str, grades: Sequence[str]
) -> tuple[ShareRule, ...]:
    """``consequences``: each names grades, one comparison with a share, and flag or cap."""
    rules: list[ShareRule] = []
    for item_path, item in check.items(value, path):
        entry = check.fields(item, item_path, ("votes", "then"), (*SHARE_COMPARISONS, "cap_at"))
        if entry is None:
            continue
        before = len(check.problems)
        votes = _codes(check, entry["votes"], _at(item_path, "votes"), required=True)
        for index, code in enumerate(votes):
            if code not in BALLOT_GRADES:
                check.add(
                    _at(item_path, f"votes[{index}]"),
                    "unknown_ballot_grade",
                    value=code,
                    choices=", ".join(BALLOT_GRADES),
                )
        compared = [key for key in SHARE_COMPARISONS if key in entry]
        if len(compared) != 1:
            check.add(item_path, "one_comparison", choices=", ".join(SHARE_COMPARISONS))
        share = (
            _share_value(check, entry[compared[0]], _at(item_path, compared[0]))
            if compared
            else None
        )
        then = check.choice(entry["then"], _at(item_path, "then"), ("flag", "cap"))
        cap_at = None
        if then == "cap" and "cap_at" not in entry:
            check.add(_at(item_path, "cap_at"), "missing")
        elif then == "flag" and "cap_at" in entry:
            check.add(_at(item_path, "cap_at"), "cap_at_with_flag")
        elif "cap_at" in entry:
            cap_at = check.code(entry["cap_at"], _at(item_path, "cap_at"))
            if cap_at is not None and grades and cap_at not in grades:
                check.add(
                    _at(item_path, "cap_at"),
                    "unknown_grade",
                    value=cap_at,
                    choices=", ".join(grades),
                )
        if len(check.problems) == before and share is not None and then is not None:
            rules.append(ShareRule(votes, compared[0], share, then, cap_at))
    return tuple(rules)


def _parse_coefficients(check: _Checker, value: object, path: str) -> tuple[float, ...]:
    """Coefficients of the four grades, each 0-1, never higher for a worse grade."""
    where = _at(path, "coefficients")
    data = check.fields(value, where, BALLOT_GRADES)
    if data is None:
        return DEFAULT_BALLOT_COEFFICIENTS
    out: list[float] = []
    for grade in BALLOT_GRADES:
        if grade not in data:
            continue
        number = check.number(data[grade], _at(where, grade), minimum=0, maximum=1)
        if number is None:
            continue
        if out and number > out[-1]:
            check.add(_at(where, grade), "coefficient_above_better_grade", value=_num(number))
        out.append(number)
    return tuple(out) if len(out) == len(BALLOT_GRADES) else DEFAULT_BALLOT_COEFFICIENTS


def _parse_indicator(
    check: _Checker,
    value: object,
    path: str,
    *,
    categories: set[str],
    rubrics: set[str],
    grades: Sequence[str],
) -> Indicator | None:
    data = check.mapping(value, path)
    if data is None:
        return None
    if "kind" not in data:
        check.add(_at(path, "kind"), "missing")
        return None
    kind = check.choice(data["kind"], _at(path, "kind"), [k.value for k in IndicatorKind])
    if kind is None:
        return None
    required, optional = _KIND_FIELDS[kind]
    data = check.fields(data, path, ("code", "name", "kind", *required), (*optional, "description"))
    if data is None:
        return None
    before = len(check.problems)
    code = check.code(data.get("code"), _at(path, "code")) if "code" in data else None
    name = check.label(data.get("name"), _at(path, "name")) if "name" in data else None
    description = (
        check.label(data["description"], _at(path, "description"))
        if "description" in data
        else None
    )
    values: dict[str, Any] = {}
    if kind in WEIGHTED_KINDS:
        if "category" in data:
            category = check.code(data["category"], _at(path, "category"))
            if category is not None and category not in categories:
                check.add(_at(path, "category"), "unknown_category", value=category)
            values["category"] = category
        if "weight" in data:
            values["weight"] = check.number(data["weight"], _at(path, "weight"), positive=True)
    if kind == "quantitative" and "method" in data:
        quantitative = _parse_quantitative(check, data, path)
        values.update(quantitative or {})
    elif kind == "qualitative":
        rubric = "standard"
        if "rubric" in data:
            rubric = check.code(data["rubric"], _at(path, "rubric")) or ""
        if rubric and rubric not in rubrics:
            check.add(_at(path, "rubric"), "unknown_rubric", value=rubric)
        values["rubric"] = rubric
    elif kind == "survey":
        subject = "cadre"
        if "subject" in data:
            subject = check.choice(data["subject"], _at(path, "subject"), SUBJECTS) or ""
        values["subject"] = subject
        if "sources" in data:
            values["sources"] = _parse_sources(check, data["sources"], _at(path, "sources"), grades)
    elif kind == "veto" and "caps_at" in data:
        caps_at = check.code(data["caps_at"], _at(path, "caps_at"))
        if caps_at is not None and caps_at not in grades:
            check.add(
                _at(path, "caps_at"), "unknown_grade", value=caps_at, choices=", ".join(grades)
            )
        elif caps_at is not None and grades and caps_at == grades[0]:
            check.add(_at(path, "caps_at"), "veto_caps_top_grade", value=caps_at)
        values["caps_at"] = caps_at
    elif kind == "rollup" and "of" in data:
        values.update(_parse_rollup(check, data, path))
    elif kind in ("bonus", "penalty") and "points" in data:
        points = check.number(data["points"], _at(path, "points"), positive=True)
        values["points"] = check.published(points, _at(path, "points"))
    if len(check.problems) > before or code is None or name is None:
        return None
    return Indicator(
        code=code, name=name, kind=IndicatorKind(kind), description=description, **values
    )


def _parse_rollup(check: _Checker, data: Mapping[str, Any], path: str) -> dict[str, Any]:
    """``of`` and what it needs: ``grade`` to count, or the ``values`` of the grades."""
    of = check.choice(data["of"], _at(path, "of"), ROLLUP_OF)
    values: dict[str, Any] = {"rollup_of": of}
    if of == "grade_count" and "grade" not in data:
        check.add(_at(path, "grade"), "missing")
    if "grade" in data:
        values["rollup_grade"] = check.code(data["grade"], _at(path, "grade"))
    if of == "latest_grade" and "values" not in data:
        check.add(_at(path, "values"), "missing")
    if "values" in data:
        mapping = check.mapping(data["values"], _at(path, "values"))
        pairs = []
        for grade, number in (mapping or {}).items():
            code = check.code(grade, _at(path, "values"))
            value = check.number(
                number, _at(_at(path, "values"), str(grade)), minimum=0, maximum=100
            )
            if code is not None and value is not None:
                pairs.append((code, value))
        values["grade_values"] = tuple(pairs)
    return values


def _parse_eligibility(
    check: _Checker, value: object, *, grades: Sequence[str]
) -> tuple[Eligibility, ...]:
    """``eligibility: [{code, name, grade, at_least | at_most, caps_at}]``."""
    rules = []
    paths: list[tuple[str, str | None]] = []
    for path, item in check.items(value, "eligibility"):
        data = check.fields(
            item, path, ("code", "name", "grade", "caps_at"), ("at_least", "at_most")
        )
        if data is None:
            continue
        before = len(check.problems)
        code = check.code(data.get("code"), _at(path, "code")) if "code" in data else None
        paths.append((path, code))
        name = check.label(data.get("name"), _at(path, "name")) if "name" in data else None
        grade = check.code(data.get("grade"), _at(path, "grade")) if "grade" in data else None
        caps_at = (
            check.code(data.get("caps_at"), _at(path, "caps_at")) if "caps_at" in data else None
        )
        if caps_at is not None and caps_at not in grades:
            check.add(
                _at(path, "caps_at"), "unknown_grade", value=caps_at, choices=", ".join(grades)
            )
        elif caps_at is not None and grades and caps_at == grades[0]:
            check.add(_at(path, "caps_at"), "veto_caps_top_grade", value=caps_at)
        limits = {
            key: check.integer(data[key], _at(path, key), minimum=0)
            for key in ("at_least", "at_most")
            if key in data
        }
        if len(limits) != 1:
            check.add(path, "one_of_at_least_at_most")
        if len(check.problems) > before or None in (code, name, grade, caps_at):
            continue
        rules.append(
            Eligibility(
                name,  # type: ignore[arg-type]
                EligibilityRule(
                    code,  # type: ignore[arg-type]
                    grade,  # type: ignore[arg-type]
                    caps_at,  # type: ignore[arg-type]
                    limits.get("at_least"),
                    limits.get("at_most"),
                ),
            )
        )
    check.unique(paths, "code")
    return tuple(rules)


def _parse_set(
    check: _Checker,
    value: object,
    path: str,
    *,
    rubrics: set[str],
    grades: Sequence[str],
    partial: bool,
) -> IndicatorSet | None:
    data = check.fields(
        value,
        path,
        ("post", "name", "categories", "indicators"),
        ("bonus_cap", "penalty_cap"),
    )
    if data is None:
        return None
    before = len(check.problems)
    post = check.code(data.get("post"), _at(path, "post")) if "post" in data else None
    name = check.label(data.get("name"), _at(path, "name")) if "name" in data else None

    categories: list[Category] = []
    category_paths: list[tuple[str, str | None]] = []
    for cat_path, item in check.items(data.get("categories", []), _at(path, "categories")):
        cat = check.fields(item, cat_path, ("code", "name", "weight"))
        if cat is None:
            continue
        code = check.code(cat.get("code"), _at(cat_path, "code")) if "code" in cat else None
        label = check.label(cat.get("name"), _at(cat_path, "name")) if "name" in cat else None
        weight = (
            check.number(cat.get("weight"), _at(cat_path, "weight"), positive=True)
            if "weight" in cat
            else None
        )
        category_paths.append((cat_path, code))
        if code is not None and label is not None and weight is not None:
            categories.append(Category(code, label, weight))
    check.unique(category_paths, "code")
    known_categories = {code for _, code in category_paths if code is not None}

    indicators: list[Indicator] = []
    indicator_paths: list[tuple[str, str | None]] = []
    for ind_path, item in check.items(data.get("indicators", []), _at(path, "indicators")):
        indicator = _parse_indicator(
            check,
            item,
            ind_path,
            categories=known_categories,
            rubrics=rubrics,
            grades=grades,
        )
        raw_code = item.get("code") if isinstance(item, Mapping) else None
        indicator_paths.append((ind_path, raw_code if isinstance(raw_code, str) else None))
        if indicator is not None:
            indicators.append(indicator)
    check.unique(indicator_paths, "code")

    caps: dict[str, float | None] = {}
    for key, kind in (("bonus_cap", IndicatorKind.BONUS), ("penalty_cap", IndicatorKind.PENALTY)):
        has_items = any(i.kind == kind for i in indicators)
        caps[key] = None
        if key in data and data[key] is not None:
            caps[key] = check.published(
                check.number(data[key], _at(path, key), minimum=0), _at(path, key)
            )
        elif has_items:
            check.add(_at(path, key), "cap_required", kind=kind.value)

    if not partial:
        _check_weights(check, path, categories, indicators, category_paths)
    if len(check.problems) > before or post is None or name is None:
        return None
    return IndicatorSet(
        post=post,
        name=name,
        categories=tuple(categories),
        indicators=tuple(indicators),
        bonus_cap=caps["bonus_cap"],
        penalty_cap=caps["penalty_cap"],
    )


def _check_weights(
    check: _Checker,
    path: str,
    categories: Sequence[Category],
    indicators: Sequence[Indicator],
    category_paths: Sequence[tuple[str, str | None]],
) -> None:
    """The weight rule: categories sum to 100; a category's indicators sum to its weight."""
    if not categories:
        check.add(_at(path, "categories"), "empty")
        return
    total = math.fsum(c.weight for c in categories)
    if not math.isclose(total, WEIGHT_TOTAL, abs_tol=_WEIGHT_TOLERANCE):
        check.add(
            _at(path, "categories"),
            "category_weights_sum",
            actual=_num(total),
            expected=_num(WEIGHT_TOTAL),
        )
    paths = {code: cat_path for cat_path, code in category_paths}
    for category in categories:
        members = [i for i in indicators if i.is_weighted and i.category == category.code]
        cat_path = paths[category.code]
        if not members:
            check.add(cat_path, "category_without_indicators", category=category.code)
            continue
        inner = math.fsum(i.weight or 0.0 for i in members)
        if not math.isclose(inner, category.weight, abs_tol=_WEIGHT_TOLERANCE):
            check.add(
                _at(cat_path, "weight"),
                "indicator_weights_sum",
                category=category.code,
                actual=_num(inner),
                expected=_num(category.weight),
            )


def _parse_grading(check: _Checker, value: object, path: str) -> GradingScheme | None:
    data = check.fields(
        value, path, ("grades",), ("top_quota", "tie_rule", "rounding", "quota_groups")
    )
    if data is None:
        return None
    before = len(check.problems)
    grades: list[Grade] = []
    grade_paths: list[tuple[str, str | None]] = []
    entries = check.items(data.get("grades", []), _at(path, "grades"))
    for grade_path, item in entries:
        grade = check.fields(item, grade_path, ("code", "name", "min"))
        if grade is None:
            continue
        code = check.code(grade.get("code"), _at(grade_path, "code")) if "code" in grade else None
        name = check.label(grade.get("name"), _at(grade_path, "name")) if "name" in grade else None
        minimum = (
            check.published(
                check.number(grade.get("min"), _at(grade_path, "min"), minimum=0, maximum=100),
                _at(grade_path, "min"),
            )
            if "min" in grade
            else None
        )
        grade_paths.append((grade_path, code))
        if code is not None and name is not None and minimum is not None:
            if grades and minimum >= grades[-1].minimum:
                check.add(
                    _at(grade_path, "min"),
                    "grades_not_ordered",
                    previous=_num(grades[-1].minimum),
                    value=_num(minimum),
                )
            grades.append(Grade(code, name, minimum))
    check.unique(grade_paths, "code")
    if isinstance(data.get("grades"), list) and len(data["grades"]) < 2:
        check.add(_at(path, "grades"), "too_few_grades", min=2)
    elif grades and len(grades) == len(entries) and grades[-1].minimum != 0:
        check.add(_at(entries[-1][0], "min"), "last_grade_minimum", value=_num(grades[-1].minimum))
    quota = 0.2
    if "top_quota" in data:
        number = check.number(data["top_quota"], _at(path, "top_quota"))
        if number is not None and not 0 < number <= 1:
            check.add(_at(path, "top_quota"), "quota_out_of_range", value=_num(number))
        quota = number if number is not None else quota
    tie_rule = TIE_RULES[0]
    if "tie_rule" in data:
        tie_rule = check.choice(data["tie_rule"], _at(path, "tie_rule"), TIE_RULES) or tie_rule
    rounding = "down"
    if "rounding" in data:
        rounding = (
            check.choice(data["rounding"], _at(path, "rounding"), QUOTA_ROUNDINGS) or rounding
        )
    quota_groups: list[QuotaGroup] = []
    if "quota_groups" in data:
        quota_groups = _parse_quota_groups(
            check, data["quota_groups"], _at(path, "quota_groups"), rounding
        )
    if len(check.problems) > before:
        return None
    return GradingScheme(tuple(grades), quota, tie_rule, rounding, tuple(quota_groups))


def _parse_share(check: _Checker, value: object, path: str) -> float | None:
    number = check.number(value, path)
    if number is not None and not 0 < number <= 1:
        check.add(path, "quota_out_of_range", value=_num(number))
        return None
    return number


def _parse_quota_groups(
    check: _Checker, value: object, path: str, rounding: str
) -> list[QuotaGroup]:
    """``grading.quota_groups``: code, name, posts, rounding, one of top_quota and
    by_unit_grade. That the posts exist and no post is in two groups is checked once
    the posts are read (:func:`_check_quota_posts`)."""
    groups: list[QuotaGroup] = []
    codes: list[tuple[str, str | None]] = []
    for group_path, item in check.items(value, path):
        data = check.fields(
            item,
            group_path,
            ("code", "name", "posts"),
            ("top_quota", "by_unit_grade", "rounding"),
        )
        if data is None:
            continue
        before = len(check.problems)
        code = check.code(data.get("code"), _at(group_path, "code")) if "code" in data else None
        codes.append((group_path, code))
        name = check.label(data.get("name"), _at(group_path, "name")) if "name" in data else None
        posts: list[str] = []
        post_entries = check.items(data.get("posts", []), _at(group_path, "posts"))
        if isinstance(data.get("posts"), list) and not post_entries:
            check.add(_at(group_path, "posts"), "empty")
        for post_path, post in post_entries:
            post_code = check.code(post, post_path)
            if post_code is not None:
                if post_code in posts:
                    check.add(post_path, "duplicate_code", code=post_code)
                posts.append(post_code)
        group_rounding = rounding
        if "rounding" in data:
            group_rounding = (
                check.choice(data["rounding"], _at(group_path, "rounding"), QUOTA_ROUNDINGS)
                or rounding
            )
        top_quota: float | None = None
        unit_kind: str | None = None
        shares: list[tuple[str, float]] = []
        if ("top_quota" in data) == ("by_unit_grade" in data):
            check.add(group_path, "quota_group_share", fields="top_quota, by_unit_grade")
        elif "top_quota" in data:
            top_quota = _parse_share(check, data["top_quota"], _at(group_path, "top_quota"))
        else:
            by_path = _at(group_path, "by_unit_grade")
            by_grade = check.fields(data["by_unit_grade"], by_path, ("unit_kind", "shares"))
            if by_grade is not None:
                if "unit_kind" in by_grade:
                    unit_kind = check.choice(
                        by_grade["unit_kind"], _at(by_path, "unit_kind"), UNIT_KINDS
                    )
                shares_path = _at(by_path, "shares")
                share_map = check.mapping(by_grade.get("shares"), shares_path)
                if share_map is not None and not share_map:
                    check.add(shares_path, "empty")
                for grade_code, share in (share_map or {}).items():
                    share_path = _at(shares_path, str(grade_code))
                    if check.code(grade_code, share_path) is None:
                        continue
                    number = _parse_share(check, share, share_path)
                    if number is not None:
                        shares.append((str(grade_code), number))
        if len(check.problems) > before or code is None or name is None:
            continue
        groups.append(
            QuotaGroup(
                code,
                name,
                tuple(posts),
                group_rounding,
                top_quota,
                unit_kind,
                # largest share first: the order the rules page lists them in
                tuple(sorted(shares, key=lambda item: (-item[1], item[0]))),
            )
        )
    check.unique(codes, "code")
    return groups


def _check_quota_posts(check: _Checker, grading: GradingScheme, posts: Sequence[str]) -> None:
    """Every post of a quota group has an indicator set, and no post is in two groups."""
    known = set(posts)
    first_group: dict[str, str] = {}
    for g, group in enumerate(grading.quota_groups):
        for p, post in enumerate(group.posts):
            post_path = f"grading.quota_groups[{g}].posts[{p}]"
            if post not in known:
                check.add(post_path, "unknown_post", post=post)
            elif post in first_group:
                check.add(
                    post_path,
                    "post_in_two_quota_groups",
                    post=post,
                    first=first_group[post],
                    second=group.code,
                )
            else:
                first_group[post] = group.code


def _parse_rubrics(check: _Checker, value: object, path: str) -> tuple[Rubric, ...] | None:
    rubrics: list[Rubric] = []
    rubric_paths: list[tuple[str, str | None]] = []
    before = len(check.problems)
    for rubric_path, item in check.items(value, path):
        data = check.fields(item, rubric_path, ("code", "name", "levels"))
        if data is None:
            continue
        code = check.code(data.get("code"), _at(rubric_path, "code")) if "code" in data else None
        name = check.label(data.get("name"), _at(rubric_path, "name")) if "name" in data else None
        rubric_paths.append((rubric_path, code))
        levels: list[RubricLevel] = []
        level_paths: list[tuple[str, str | None]] = []
        level_items = check.items(data.get("levels", []), _at(rubric_path, "levels"))
        if isinstance(data.get("levels"), list) and len(level_items) < 2:
            check.add(_at(rubric_path, "levels"), "too_few_levels", min=2)
        for level_path, level_item in level_items:
            level = check.fields(
                level_item, level_path, ("code", "name", "value"), ("description",)
            )
            if level is None:
                continue
            level_code = (
                check.code(level.get("code"), _at(level_path, "code")) if "code" in level else None
            )
            level_name = (
                check.label(level.get("name"), _at(level_path, "name")) if "name" in level else None
            )
            level_value = (
                check.number(level.get("value"), _at(level_path, "value"), minimum=0, maximum=100)
                if "value" in level
                else None
            )
            description = (
                check.label(level["description"], _at(level_path, "description"))
                if "description" in level
                else None
            )
            level_paths.append((level_path, level_code))
            if level_code is None or level_name is None or level_value is None:
                continue
            if levels and level_value >= levels[-1].value:
                check.add(
                    _at(level_path, "value"),
                    "levels_not_ordered",
                    previous=_num(levels[-1].value),
                    value=_num(level_value),
                )
            levels.append(RubricLevel(level_code, level_name, level_value, description))
        check.unique(level_paths, "code")
        if code is not None and name is not None:
            rubrics.append(Rubric(code, name, tuple(levels)))
    check.unique(rubric_paths, "code")
    return tuple(rubrics) if len(check.problems) == before else None


def find_problems(data: object, *, partial: bool = False) -> tuple[RulebookProblem, ...]:
    """Return every problem of a rulebook document (empty when it is valid).

    Parameters
    ----------
    data : object
        The plain document (as read from YAML or JSON).
    partial : bool
        When True, skip the completeness rules that a draft under construction cannot
        meet yet: weight sums, categories without indicators, a set without categories,
        and a rulebook without indicator sets. Publication always checks everything.

    Returns
    -------
    tuple of RulebookProblem
        In document order.

    Examples
    --------
    >>> [p.code for p in find_problems({"format": FORMAT})]
    ['missing', 'missing', 'missing', 'missing', 'missing']
    """
    check = _Checker()
    _parse(check, data, partial=partial)
    return tuple(check.problems)


def _parse(check: _Checker, data: object, *, partial: bool) -> Rulebook | None:
    root = check.fields(
        data,
        "",
        ("format", "title", "grading", "aggregation", "rubrics", "posts"),
        ("precision", "eligibility", TEMPLATE_KEY, ASSESSED_POSTS_KEY),
    )
    if root is None:
        return None
    assessed_posts = "all"
    if ASSESSED_POSTS_KEY in root:
        assessed_posts = (
            check.choice(root[ASSESSED_POSTS_KEY], ASSESSED_POSTS_KEY, ASSESSED_POSTS)
            or assessed_posts
        )
    template = (
        _parse_template_reference(check, root[TEMPLATE_KEY]) if TEMPLATE_KEY in root else None
    )
    precision = _parse_precision(check, root["precision"]) if "precision" in root else None
    if precision is not None:
        check.precision = precision
    if "format" in root and root["format"] != FORMAT:
        check.add("format", "unsupported_format", value=root["format"], expected=FORMAT)
    title = check.label(root.get("title"), "title") if "title" in root else None
    grading = _parse_grading(check, root.get("grading"), "grading") if "grading" in root else None
    aggregation = None
    if "aggregation" in root:
        agg = check.fields(
            root["aggregation"], "aggregation", (), ("trim_threshold", "post_stratification")
        )
        if agg is not None:
            threshold = (
                check.integer(agg["trim_threshold"], "aggregation.trim_threshold", minimum=3)
                if "trim_threshold" in agg
                else 5
            )
            stratified = (
                check.boolean(agg["post_stratification"], "aggregation.post_stratification")
                if "post_stratification" in agg
                else False
            )
            if threshold is not None and stratified is not None:
                aggregation = Aggregation(threshold, stratified)
    rubrics = _parse_rubrics(check, root.get("rubrics"), "rubrics") if "rubrics" in root else None
    rubric_codes = {r.code for r in rubrics or ()}
    grade_codes = [g.code for g in grading.grades] if grading is not None else []
    sets: list[IndicatorSet] = []
    set_paths: list[tuple[str, str | None]] = []
    entries = check.items(root.get("posts", []), "posts")
    if not partial and not entries and isinstance(root.get("posts"), list):
        check.add("posts", "empty")
    for set_path, item in entries:
        parsed = _parse_set(
            check, item, set_path, rubrics=rubric_codes, grades=grade_codes, partial=partial
        )
        raw_post = item.get("post") if isinstance(item, Mapping) else None
        set_paths.append((set_path, raw_post if isinstance(raw_post, str) else None))
        if parsed is not None:
            sets.append(parsed)
    check.unique(set_paths, "post")
    eligibility: tuple[Eligibility, ...] = ()
    if "eligibility" in root:
        eligibility = _parse_eligibility(check, root["eligibility"], grades=grade_codes)
        if not partial:
            for (set_path, _post), parsed_set in zip(set_paths, sets, strict=False):
                if not parsed_set.of_kind(IndicatorKind.ROLLUP):
                    # a missing sub-period needs a decision, and decisions are recorded
                    # against a rollup indicator of the cadre's set
                    check.add(set_path, "eligibility_without_rollup", post=parsed_set.post)
    if grading is not None and grading.quota_groups:
        _check_quota_posts(check, grading, [s.post for s in sets])
    if check.problems or title is None or grading is None or aggregation is None:
        return None
    return Rulebook(
        title,
        grading,
        aggregation,
        rubrics or (),
        tuple(sets),
        check.precision,
        eligibility,
        template,
        assessed_posts,
    )


def _parse_template_reference(check: _Checker, value: object) -> TemplateReference | None:
    """``template: {unit, code, version, digest}``, all required."""
    keys = ("unit", "code", "version", "digest")
    data = check.fields(value, TEMPLATE_KEY, keys, ())
    if data is None or any(key not in data for key in keys):
        return None
    unit = check.code(data["unit"], f"{TEMPLATE_KEY}.unit")
    code = check.code(data["code"], f"{TEMPLATE_KEY}.code")
    version = check.integer(data["version"], f"{TEMPLATE_KEY}.version", minimum=1)
    digest = data["digest"]
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        check.add(f"{TEMPLATE_KEY}.digest", "not_a_digest", value=digest)
        return None
    if unit is None or code is None or version is None:
        return None
    return TemplateReference(unit, code, version, digest)


def _parse_precision(check: _Checker, value: object) -> Precision | None:
    """``precision: {places: 0-4, rounding: half_up|half_even}``, both optional."""
    data = check.fields(value, "precision", (), ("places", "rounding"))
    if data is None:
        return None
    places: int | None = DEFAULT_PRECISION.places
    if "places" in data:
        places = check.integer(data["places"], "precision.places", minimum=0)
        if places is not None and places > MAX_PLACES:
            check.add("precision.places", "out_of_range", value=places, min=0, max=MAX_PLACES)
            places = None
    rounding: str | None = DEFAULT_PRECISION.rounding.value
    if "rounding" in data:
        rounding = check.choice(data["rounding"], "precision.rounding", ROUNDINGS)
    if places is None or rounding is None:
        return None
    return Precision(places, Rounding(rounding))


def parse_rulebook(data: object, *, partial: bool = False) -> Rulebook:
    """Read and check a whole rulebook document.

    Parameters
    ----------
    data : object
        The plain document: a mapping with ``format``, ``title``, ``grading``,
        ``aggregation``, ``rubrics`` and ``posts`` (see ``docs/rulebook.md``).
    partial : bool
        Accept a draft that is not complete yet (see :func:`find_problems`).

    Returns
    -------
    Rulebook

    Raises
    ------
    RulebookError
        With every problem found (path, code, params); nothing is returned in part.

    Notes
    -----
    Rules checked, each reported at its path:

    - shape: required and unknown fields, types, codes ``[A-Za-z0-9_.-]{1,32}``, unique
      codes (posts, categories and indicators within a post, rubrics, levels, grades),
      both ``zh`` and ``en`` for every label;
    - weights (unless ``partial``): ``Σ category weights = 100`` and, for each category,
      ``Σ indicator weights = category weight``; every category has an indicator;
    - quantitative: linear needs ``t ≠ b`` with ``t > b`` when higher is better and
      ``t < b`` when lower is better; ratio needs ``t > 0``; steps are strictly ordered
      from the easiest threshold to the hardest (increasing when higher is better,
      decreasing when lower is better) with ratios in ``[0, c]`` that never decrease;
      ``c > 0``;
    - rubric levels on ``[0, 100]``, best first with strictly decreasing values;
    - grades best first with strictly decreasing minimums, the last at 0; top-grade
      quota in ``(0, 1]``; a veto caps at a known grade other than the top one;
    - bonus and penalty items need the set's ``bonus_cap`` / ``penalty_cap`` (≥ 0);
    - trimmed-mean threshold is an integer ≥ 3.

    References
    ----------
    DESIGN.md sections 3-4; 《党政领导干部考核工作条例》(2019) asks for indicators that
    differ by post and rules published before the assessment.

    Examples
    --------
    >>> parse_rulebook({"format": FORMAT})
    Traceback (most recent call last):
    ...
    assessment.core.errors.RulebookError: invalid rulebook: title: missing; ...
    """
    check = _Checker()
    rulebook = _parse(check, data, partial=partial)
    if check.problems or rulebook is None:
        raise RulebookError(tuple(check.problems) or (RulebookProblem("", "invalid"),))
    return rulebook


# ---------------------------------------------------------------------------
# canonical form and digest
# ---------------------------------------------------------------------------


def _label_plain(label: Label) -> dict[str, str]:
    return {"zh": label.zh, "en": label.en}


def _indicator_plain(indicator: Indicator) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "code": indicator.code,
        "name": _label_plain(indicator.name),
        "kind": indicator.kind.value,
    }
    if indicator.is_weighted:
        plain["category"] = indicator.category
        plain["weight"] = _num(indicator.weight or 0.0)
    if indicator.kind == IndicatorKind.QUANTITATIVE:
        plain["method"] = indicator.method
        plain["direction"] = indicator.direction
        plain["cap"] = _num(indicator.cap)
        if indicator.baseline is not None:
            plain["baseline"] = _num(indicator.baseline)
        if indicator.target is not None:
            plain["target"] = _num(indicator.target)
        if indicator.steps:
            plain["steps"] = [
                {"threshold": _num(s.threshold), "ratio": _num(s.ratio)} for s in indicator.steps
            ]
        if indicator.method == "efficacy":
            plain["unacceptable"] = _num(indicator.unacceptable or 0.0)
            plain["satisfactory"] = _num(indicator.satisfactory or 0.0)
            plain["floor"] = _num(indicator.floor)
        if indicator.breakpoints:
            plain["breakpoints"] = [
                {"actual": _num(p.actual), "ratio": _num(p.ratio)} for p in indicator.breakpoints
            ]
        if indicator.unit is not None:
            plain["unit"] = _label_plain(indicator.unit)
    elif indicator.kind == IndicatorKind.QUALITATIVE:
        plain["rubric"] = indicator.rubric
    elif indicator.kind == IndicatorKind.SURVEY:
        plain["subject"] = indicator.subject
        if indicator.sources is not None:
            plain["sources"] = _sources_plain(indicator.sources)
    elif indicator.kind == IndicatorKind.VETO:
        plain["caps_at"] = indicator.caps_at
    elif indicator.kind == IndicatorKind.ROLLUP:
        plain["of"] = indicator.rollup_of
        if indicator.rollup_grade is not None:
            plain["grade"] = indicator.rollup_grade
        if indicator.grade_values:
            plain["values"] = {code: _num(value) for code, value in indicator.grade_values}
    else:
        plain["points"] = _num(indicator.points or 0.0)
    if indicator.description is not None:
        plain["description"] = _label_plain(indicator.description)
    return plain


def _quota_group_plain(group: QuotaGroup) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "code": group.code,
        "name": _label_plain(group.name),
        "posts": list(group.posts),
        "rounding": group.rounding,
    }
    if group.unit_kind is not None:
        plain["by_unit_grade"] = {
            "unit_kind": group.unit_kind,
            "shares": {code: _num(share) for code, share in group.shares},
        }
    else:
        plain["top_quota"] = _num(group.top_quota or 0.0)
    return plain


def _sources_plain(sources: SurveySources) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "surveys": list(sources.surveys),
        "questions": list(sources.questions),
        "method": sources.method,
        "min_responses": sources.min_responses,
    }
    # a satisfaction indicator writes its groups only when it has some, so that the
    # digest of a rulebook written before grouped satisfaction holds
    if sources.method == "ballot" or sources.groups:
        plain["groups"] = [{"group": g.group, "weight": _num(g.weight)} for g in sources.groups]
    if sources.method == "ballot":
        plain["coefficients"] = {
            grade: _num(c) for grade, c in zip(BALLOT_GRADES, sources.coefficients, strict=True)
        }
        if sources.quorum_share is not None:
            plain["quorum_share"] = _num(sources.quorum_share)
        # only when set, so that the digest of a rulebook written before the option holds
        if sources.publish_votes:
            plain["publish_votes"] = True
        if sources.validity is not None:
            plain["validity"] = _validity_plain(sources.validity)
        if sources.bands is not None:
            plain["bands"] = _bands_plain(sources.bands)
            del plain["coefficients"]
        if sources.consequences is not None:
            plain["consequences"] = [_share_rule_plain(r) for r in sources.consequences]
    return plain


def _share_plain(share: Fraction) -> str | int | float:
    """A share as the rulebook writes it: a number when a finite decimal, else ``"1/3"``."""
    text = share_text(share)
    return text if "/" in text else _num(float(text))


def _validity_plain(validity: BallotValidity) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    if validity.max_top is not None:
        plain["max_top_grade"] = validity.max_top
    if validity.max_top_share is not None:
        plain["max_top_grade_share"] = _share_plain(validity.max_top_share)
    if validity.max_top is not None or validity.max_top_share is not None:
        plain["over_top_limit"] = validity.over_top_limit
    if validity.same_grade_for_all is not None:
        plain["same_grade_for_all"] = validity.same_grade_for_all
    return plain


def _bands_plain(bands: BallotBands) -> dict[str, Any]:
    return {
        "boundary": bands.boundary,
        "excellent": [
            {"share": _share_plain(b.share), "points": _num(b.points)} for b in bands.excellent
        ],
        "poor": [{"share": _share_plain(b.share), "deduct": _num(b.points)} for b in bands.poor],
    }


def _share_rule_plain(rule: ShareRule) -> dict[str, Any]:
    plain: dict[str, Any] = {
        "votes": list(rule.grades),
        rule.compare: _share_plain(rule.share),
        "then": rule.then,
    }
    if rule.cap_at is not None:
        plain["cap_at"] = rule.cap_at
    return plain


#: The question kinds each ``sources.method`` reads.
SOURCE_QUESTION_KINDS: Mapping[str, tuple[str, ...]] = {
    "satisfaction": ("likert", "scale10"),
    "ballot": ("ballot",),
}


def find_source_problems(
    rulebook: Rulebook, available: Mapping[str, Mapping[str, str]]
) -> tuple[RulebookProblem, ...]:
    """Check the indicators' ``sources`` against the surveys a period has.

    Parameters
    ----------
    rulebook : Rulebook
    available : mapping of str to mapping of str to str
        Survey code to ``{question code: question kind}`` of the period's coded surveys.

    Returns
    -------
    tuple of RulebookProblem
        ``unknown_survey`` at ``posts[i].indicators[j].sources.surveys[k]``;
        ``unknown_question`` at ``...sources.questions[k]`` (none of the named surveys
        has it with a kind the method reads, see :data:`SOURCE_QUESTION_KINDS`);
        ``sources_differ`` at ``...sources`` when two indicator sets give one indicator
        code different sources (the engine keys survey inputs by indicator code).

    Examples
    --------
    >>> doc = default_document(Label("细则", "Rules"))
    >>> book = parse_rulebook(doc, partial=True)
    >>> find_source_problems(book, {})
    ()
    """
    problems: list[RulebookProblem] = []
    seen: dict[str, SurveySources] = {}
    for i, indicator_set in enumerate(rulebook.indicator_sets):
        for j, indicator in enumerate(indicator_set.indicators):
            sources = indicator.sources
            if sources is None:
                continue
            path = f"posts[{i}].indicators[{j}].sources"
            if seen.setdefault(indicator.code, sources) != sources:
                problems.append(RulebookProblem(path, "sources_differ", {"code": indicator.code}))
            for k, code in enumerate(sources.surveys):
                if code not in available:
                    problems.append(
                        RulebookProblem(f"{path}.surveys[{k}]", "unknown_survey", {"value": code})
                    )
            kinds = SOURCE_QUESTION_KINDS[sources.method]
            readable = {
                q
                for code in sources.surveys
                for q, kind in available.get(code, {}).items()
                if kind in kinds
            }
            for k, question in enumerate(sources.questions):
                if question not in readable:
                    problems.append(
                        RulebookProblem(
                            f"{path}.questions[{k}]", "unknown_question", {"value": question}
                        )
                    )
    return tuple(problems)


def _eligibility_plain(eligibility: Eligibility) -> dict[str, Any]:
    rule = eligibility.rule
    plain: dict[str, Any] = {
        "code": rule.code,
        "name": _label_plain(eligibility.name),
        "grade": rule.grade,
        "caps_at": rule.caps_at,
    }
    if rule.at_least is not None:
        plain["at_least"] = rule.at_least
    if rule.at_most is not None:
        plain["at_most"] = rule.at_most
    return plain


def to_plain(rulebook: Rulebook) -> dict[str, Any]:
    """Return the canonical plain document of a rulebook.

    Parameters
    ----------
    rulebook : Rulebook

    Returns
    -------
    dict
        Every default written out (``cap``, ``direction``, ``rubric``, ``subject``,
        ``top_quota``, ``tie_rule``, aggregation settings, the efficacy ``floor``),
        integral numbers as integers, absent optional values left out, except
        ``precision``: it is written only when it differs from the default (two
        decimals, half up), so that every rulebook written before the field existed
        keeps its rules digest. ``parse_rulebook(to_plain(r)) == r``.

    Examples
    --------
    >>> doc = default_document(Label("细则", "Rules"))
    >>> to_plain(parse_rulebook(doc, partial=True)) == doc
    True
    """
    sets = []
    for s in rulebook.indicator_sets:
        plain_set: dict[str, Any] = {
            "post": s.post,
            "name": _label_plain(s.name),
            "categories": [
                {"code": c.code, "name": _label_plain(c.name), "weight": _num(c.weight)}
                for c in s.categories
            ],
            "indicators": [_indicator_plain(i) for i in s.indicators],
        }
        if s.bonus_cap is not None:
            plain_set["bonus_cap"] = _num(s.bonus_cap)
        if s.penalty_cap is not None:
            plain_set["penalty_cap"] = _num(s.penalty_cap)
        sets.append(plain_set)
    rubrics = []
    for rubric in rulebook.rubrics:
        levels = []
        for level in rubric.levels:
            plain_level: dict[str, Any] = {
                "code": level.code,
                "name": _label_plain(level.name),
                "value": _num(level.value),
            }
            if level.description is not None:
                plain_level["description"] = _label_plain(level.description)
            levels.append(plain_level)
        rubrics.append({"code": rubric.code, "name": _label_plain(rubric.name), "levels": levels})
    plain: dict[str, Any] = {
        "format": FORMAT,
        "title": _label_plain(rulebook.title),
        "grading": {
            "grades": [
                {"code": g.code, "name": _label_plain(g.name), "min": _num(g.minimum)}
                for g in rulebook.grading.grades
            ],
            "top_quota": _num(rulebook.grading.top_quota),
            "tie_rule": rulebook.grading.tie_rule,
        },
        "aggregation": {
            "trim_threshold": rulebook.aggregation.trim_threshold,
            "post_stratification": rulebook.aggregation.post_stratification,
        },
        "rubrics": rubrics,
        "posts": sets,
    }
    # written only when set, like precision: every rulebook written before keeps its digest
    if rulebook.grading.rounding != "down":
        plain["grading"]["rounding"] = rulebook.grading.rounding
    if rulebook.grading.quota_groups:
        plain["grading"]["quota_groups"] = [
            _quota_group_plain(g) for g in rulebook.grading.quota_groups
        ]
    if rulebook.eligibility:
        plain["eligibility"] = [_eligibility_plain(e) for e in rulebook.eligibility]
    if rulebook.assessed_posts != "all":
        # written only when set, so that every rulebook without it keeps its digest
        plain[ASSESSED_POSTS_KEY] = rulebook.assessed_posts
    if rulebook.template is not None:
        # written only when present, so that every rulebook without one keeps its digest
        plain[TEMPLATE_KEY] = {
            "unit": rulebook.template.unit,
            "code": rulebook.template.code,
            "version": rulebook.template.version,
            "digest": rulebook.template.digest,
        }
    if rulebook.precision != DEFAULT_PRECISION:
        plain["precision"] = {
            "places": rulebook.precision.places,
            "rounding": rulebook.precision.rounding.value,
        }
    return plain


def rules_digest(rulebook: Rulebook) -> str:
    """Return the rules digest: SHA-256 of the canonical JSON of :func:`to_plain`.

    Parameters
    ----------
    rulebook : Rulebook

    Returns
    -------
    str
        64 lowercase hex digits.

    Notes
    -----
    ``digest = SHA256(UTF-8(canonical_json(to_plain(rulebook))))`` with keys sorted and
    no white space (DESIGN section 5). The order of keys in the source document, YAML
    comments and omitted defaults do not change it; the order of list entries does.

    Examples
    --------
    >>> len(rules_digest(parse_rulebook(default_document(Label("a", "b")), partial=True)))
    64
    """
    return sha256_hex(canonical_json(to_plain(rulebook)))


# ---------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RulebookChange:
    """One difference between two rulebook documents.

    Parameters
    ----------
    path : str
        Where, with list entries named by their code: ``posts[VSEC].indicators[J1].target``.
    op : str
        ``"added"``, ``"removed"`` or ``"changed"``.
    old, new : object
        Plain values before and after (``None`` for the missing side).
    """

    path: str
    op: str
    old: Any = None
    new: Any = None


def _identity(item: object) -> str | None:
    if isinstance(item, Mapping):
        for key in ("code", "post"):
            value = item.get(key)
            if isinstance(value, str):
                return value
    return None


def _keyed(items: Sequence[Any]) -> dict[str, Any] | None:
    keys = [_identity(item) for item in items]
    if any(k is None for k in keys) or len(set(keys)) != len(keys):
        return None
    return {str(k): item for k, item in zip(keys, items, strict=True)}


def _walk(old: Any, new: Any, path: str) -> Iterator[RulebookChange]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        for key in [*old.keys(), *(k for k in new if k not in old)]:
            where = _at(path, str(key))
            if key not in new:
                yield RulebookChange(where, "removed", old[key], None)
            elif key not in old:
                yield RulebookChange(where, "added", None, new[key])
            else:
                yield from _walk(old[key], new[key], where)
        return
    if isinstance(old, list) and isinstance(new, list):
        old_keyed, new_keyed = _keyed(old), _keyed(new)
        if old_keyed is not None and new_keyed is not None:
            for key, item in old_keyed.items():
                where = f"{path}[{key}]"
                if key not in new_keyed:
                    yield RulebookChange(where, "removed", item, None)
                else:
                    yield from _walk(item, new_keyed[key], where)
            for key, item in new_keyed.items():
                if key not in old_keyed:
                    yield RulebookChange(f"{path}[{key}]", "added", None, item)
            common = [k for k in old_keyed if k in new_keyed]
            if common != [k for k in new_keyed if k in old_keyed]:
                yield RulebookChange(
                    f"{path}.order", "changed", common, [k for k in new_keyed if k in old_keyed]
                )
            return
    if old != new or type(old) is not type(new):
        yield RulebookChange(path, "changed", old, new)


def diff_documents(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[RulebookChange, ...]:
    """Structural diff of two plain documents (see :func:`diff_rulebooks`)."""
    return tuple(_walk(old, new, ""))


def diff_rulebooks(old: Rulebook, new: Rulebook) -> tuple[RulebookChange, ...]:
    """List what changed from one rulebook version to the next.

    Parameters
    ----------
    old, new : Rulebook

    Returns
    -------
    tuple of RulebookChange
        Changes by path on the canonical documents. Lists whose entries all carry a
        unique ``code`` (or ``post``) are matched by it, so an inserted indicator is one
        ``added`` change and not a shift of every later one; other lists (steps) are
        compared as whole values. A reordering is one change at ``<list>.order``.

    Examples
    --------
    >>> a = parse_rulebook(default_document(Label("a", "b")), partial=True)
    >>> b = parse_rulebook({**to_plain(a), "title": {"zh": "新", "en": "b"}}, partial=True)
    >>> diff_rulebooks(a, b)
    (RulebookChange(path='title.zh', op='changed', old='a', new='新'),)
    """
    return diff_documents(to_plain(old), to_plain(new))


# ---------------------------------------------------------------------------
# formulas, described by their numbers
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FormulaSummary:
    """The numbers of one indicator's formula, for a template to phrase in words.

    Parameters
    ----------
    kind : str
        Indicator kind.
    method, direction : str or None
        Quantitative only.
    weight : float or None
        ``w`` (weighted kinds).
    baseline, target, cap : float or None
        ``b``, ``t``, ``c`` (quantitative; cap for every quantitative method).
    steps : tuple of Step
        Steps method.
    unacceptable, satisfactory, floor : float or None
        Efficacy method: ``u``, ``s`` and the ratio's floor ``f``.
    breakpoints : tuple of Breakpoint
        Piecewise method.
    levels : tuple of RubricLevel
        Qualitative: the rubric's levels.
    trim_threshold : int or None
        Qualitative: ratings from which the trimmed mean is used.
    points : float or None
        Bonus or penalty: points per event.
    event_cap : float or None
        Bonus or penalty: the set's cap on the summed points.
    caps_at : str or None
        Veto: grade code the grade is capped at.
    max_points : float
        Most points the indicator can give (``w × c`` quantitative, ``w`` qualitative
        and survey, the cap for bonus and penalty, 0 for a veto).
    sources : SurveySources or None
        Survey: the surveys, questions and voter groups it names, and the method.
    rollup_of, rollup_grade : str or None
        Roll-up: what it reads and the grade counted.
    grade_values : tuple of (str, float)
        Roll-up ``latest_grade``: the value of each child grade.
    """

    kind: str
    method: str | None = None
    direction: str | None = None
    weight: float | None = None
    baseline: float | None = None
    target: float | None = None
    cap: float | None = None
    steps: tuple[Step, ...] = ()
    levels: tuple[RubricLevel, ...] = ()
    trim_threshold: int | None = None
    points: float | None = None
    event_cap: float | None = None
    caps_at: str | None = None
    max_points: float = 0.0
    unacceptable: float | None = None
    satisfactory: float | None = None
    floor: float | None = None
    breakpoints: tuple[Breakpoint, ...] = ()
    sources: SurveySources | None = None
    rollup_of: str | None = None
    rollup_grade: str | None = None
    grade_values: tuple[tuple[str, float], ...] = ()


def max_points(indicator: Indicator) -> float:
    """Most points one weighted indicator can give.

    Notes
    -----
    Quantitative: ``w × c`` (a cap above 1 rewards over-achievement); qualitative and
    survey: ``w`` (value 100); veto, bonus and penalty: 0 (they are outside the weights).

    Examples
    --------
    >>> i = Indicator("J1", Label("a", "b"), IndicatorKind.QUANTITATIVE, "ji", 20.0,
    ...               "ratio", "higher", target=10.0, cap=1.2)
    >>> max_points(i)
    24.0
    """
    if not indicator.is_weighted:
        return 0.0
    weight = exact(indicator.weight or 0.0)
    if indicator.kind == IndicatorKind.QUANTITATIVE:
        return float(weight * exact(indicator.cap))
    return float(weight)


def describe_indicator(
    indicator: Indicator, rulebook: Rulebook, indicator_set: IndicatorSet | None = None
) -> FormulaSummary:
    """Return the formula of an indicator as its method and numbers.

    Parameters
    ----------
    indicator : Indicator
    rulebook : Rulebook
        For the rubric levels and the trimmed-mean threshold.
    indicator_set : IndicatorSet, optional
        For the bonus and penalty caps.

    Returns
    -------
    FormulaSummary

    Notes
    -----
    The template phrases, for example, a linear "higher is better" indicator with
    ``b = 80``, ``t = 95``, ``c = 1``, ``w = 20`` as "score = (actual − 80) / (95 − 80)
    × 20, at least 0 and at most 1 × 20" in the reader's language (DESIGN section 4).

    Examples
    --------
    >>> book = parse_rulebook(default_document(Label("a", "b")), partial=True)
    >>> i = Indicator("Q1", Label("a", "b"), IndicatorKind.QUALITATIVE, "de", 10.0,
    ...               rubric="standard")
    >>> s = describe_indicator(i, book)
    >>> [lv.value for lv in s.levels], s.trim_threshold, s.max_points
    ([100.0, 85.0, 70.0, 50.0], 5, 10.0)
    """
    kind = indicator.kind
    if kind == IndicatorKind.QUANTITATIVE:
        return FormulaSummary(
            kind=kind.value,
            method=indicator.method,
            direction=indicator.direction,
            weight=indicator.weight,
            baseline=indicator.baseline,
            target=indicator.target,
            cap=indicator.cap,
            steps=indicator.steps,
            max_points=max_points(indicator),
            unacceptable=indicator.unacceptable,
            satisfactory=indicator.satisfactory,
            floor=indicator.floor if indicator.method == "efficacy" else None,
            breakpoints=indicator.breakpoints,
        )
    if kind == IndicatorKind.QUALITATIVE:
        levels: tuple[RubricLevel, ...] = ()
        if indicator.rubric is not None:
            try:
                levels = rulebook.rubric(indicator.rubric).levels
            except KeyError:
                levels = ()
        return FormulaSummary(
            kind=kind.value,
            weight=indicator.weight,
            levels=levels,
            trim_threshold=rulebook.aggregation.trim_threshold,
            max_points=max_points(indicator),
        )
    if kind == IndicatorKind.SURVEY:
        return FormulaSummary(
            kind=kind.value,
            weight=indicator.weight,
            max_points=max_points(indicator),
            sources=indicator.sources,
        )
    if kind == IndicatorKind.ROLLUP:
        return FormulaSummary(
            kind=kind.value,
            weight=indicator.weight,
            max_points=max_points(indicator),
            rollup_of=indicator.rollup_of,
            rollup_grade=indicator.rollup_grade,
            grade_values=indicator.grade_values,
        )
    if kind == IndicatorKind.VETO:
        return FormulaSummary(kind=kind.value, caps_at=indicator.caps_at)
    event_cap = None
    if indicator_set is not None:
        event_cap = (
            indicator_set.bonus_cap if kind == IndicatorKind.BONUS else indicator_set.penalty_cap
        )
    return FormulaSummary(
        kind=kind.value,
        points=indicator.points,
        event_cap=event_cap,
        max_points=event_cap or 0.0,
    )


def quantitative_rule(
    indicator: Indicator, weight: float | Fraction | None = None
) -> QuantitativeRule:
    """The scoring rule of a quantitative indicator (the one mapping for every caller).

    Parameters
    ----------
    indicator : Indicator
        A quantitative indicator of a parsed rulebook.
    weight : float or Fraction, optional
        The weight to apply (an effective weight after a reweighting decision); default
        the indicator's own.

    Returns
    -------
    QuantitativeRule

    Raises
    ------
    InvalidParameterError
        When the indicator is not quantitative (``not_quantitative``) or its parameters
        cannot define a score.

    Examples
    --------
    >>> i = Indicator("J1", Label("a", "b"), IndicatorKind.QUANTITATIVE, "ji", 20.0,
    ...               "efficacy", "higher", unacceptable=60.0, satisfactory=100.0)
    >>> quantitative_rule(i).unacceptable, quantitative_rule(i, 25.0).weight
    (60.0, 25.0)
    """
    if indicator.kind != IndicatorKind.QUANTITATIVE:
        raise InvalidParameterError("indicator", indicator.code, "not_quantitative")
    return QuantitativeRule(
        method=indicator.method or "",  # type: ignore[arg-type]
        direction=indicator.direction or "higher",  # type: ignore[arg-type]
        weight=indicator.weight or 0.0 if weight is None else weight,
        baseline=indicator.baseline,
        target=indicator.target,
        cap=indicator.cap,
        steps=tuple((s.threshold, s.ratio) for s in indicator.steps),
        code=indicator.code,
        unacceptable=indicator.unacceptable,
        satisfactory=indicator.satisfactory,
        floor=indicator.floor,
        breakpoints=tuple((p.actual, p.ratio) for p in indicator.breakpoints),
    )
