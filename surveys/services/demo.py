"""The resident survey of a demo period, run through the real survey services.

``assessment.services.demo.seed_history`` builds the demo's computed periods; it may not import
this package, so it runs :func:`seed_demo_survey` through the registered survey source
(``assessment.services.survey_source``; ``surveys.services.results_source.ResidentSurveys``).
Everything goes the way a township would do it: the team builds the survey from the
rulebook's survey indicators, prints access-code slips per village, residents
answer online with their codes (or on paper, typed twice by two accounts), the team
closes and seals the survey and excludes a response the quality signals flagged.

The answers are fake and drawn from a fixed seed: a cadre's latent standing moves the
answers about them, each village and each resident adds their own tilt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from sqlalchemy.orm import Session

from assessment.core.rulebook import IndicatorKind
from assessment.models import Account, Cadre, Unit
from assessment.services import inputs
from assessment.services.demo import DemoBallotPlan, DemoSurveyPlan, acting_as, local_time
from surveys.core.quality import duration_band
from surveys.models.surveys import Survey
from surveys.services import comments, paper, tokens
from surveys.services import surveys as services
from surveys.services.queries import ResidentItem, list_items, respondent_units

#: The Likert questions (5 points) asked about every rated cadre and unit.
QUESTIONS = (
    ("attitude", "服务态度：对群众热情、耐心", "Treats residents warmly and patiently"),
    ("efficiency", "办事效率：群众反映的问题及时解决", "Solves residents' problems promptly"),
    ("integrity", "廉洁公正：办事公道、不优亲厚友", "Fair, without favouring friends or family"),
)
AGE_BANDS = (
    ("18-44", "18–44岁", "18–44"),
    ("45-59", "45–59岁", "45–59"),
    ("60", "60岁及以上", "60 and over"),
)
#: Free-text comments a few residents write (praise from satisfied residents), each with
#: the post of the village cadre it is about: the team approves it about that cadre.
PRAISE = (
    ("村里的路修好了，下雨天出门方便多了，感谢村党组织书记。", "VSEC"),
    ("网格员经常上门走访，家里老人有事找得到人。", "GRID"),
    ("村委会主任帮我们协调了灌溉用水，解决了大问题。", "VDIR"),
)
COMPLAINTS = (
    ("垃圾清运不够及时，夏天有异味，希望网格员多督促。", "GRID"),
    ("村务公开栏很久没有更新，希望村委会按时公开财务。", "VDIR"),
    ("反映的路灯损坏问题两个月了还没修，希望村里重视。", "VSEC"),
)
#: One comment names a household; the team hides it to keep residents anonymous.
IDENTIFYING = "我住三组最里面那户，姓王，家门口的路灯坏了两个月没人修，希望村干部上门看看。"
HIDE_REASON = "含可识别住户身份的信息，不予公开"
#: Share of households in a village that get a slip, and bounds on the slips printed.
SLIP_SHARE, MIN_SLIPS, MAX_SLIPS = 0.12, 80, 220
#: Share of slip holders who answer, and bounds per village (kept small: seeding is fast).
RESPONSE_SHARE, MIN_RESPONSES, MAX_RESPONSES = (0.30, 0.42), 30, 80
#: Share of answers on paper: more where the village is small and older.
PAPER_SHARE = 0.2
#: Probability that a resident answers about a target, by how close it is to them.
ANSWER_PROBABILITY = {"own": 0.95, "township": 0.85, "station": 0.5}


@dataclass(frozen=True, slots=True)
class _Target:
    key: str
    mean: float
    closeness: str


def _add_targets(session: Session, survey: Survey, plan: DemoSurveyPlan, today: date) -> None:
    """One target per survey indicator's subject in the rulebook: a cadre or a unit.

    Village cadres come first in the questionnaire (residents know them best), then the
    station chiefs, then the township.
    """
    rulebook = inputs.find_rulebook(session, plan.period)
    if rulebook is None:  # pragma: no cover - the demo publishes its rules first
        raise RuntimeError("the demo rulebook is not published")
    cadres: list[tuple[int, str]] = []
    units: list[int] = []
    for assessed in inputs.list_assessed(session, plan.period):
        indicator_set = inputs.indicator_set_of(rulebook, assessed)
        if indicator_set is None:  # pragma: no cover
            continue
        for indicator in indicator_set.of_kind(IndicatorKind.SURVEY):
            if indicator.sources is not None:
                continue  # it reads its own surveys (the democratic evaluation)
            if indicator.subject == "unit":
                if assessed.unit_id not in units:
                    units.append(assessed.unit_id)
            elif (assessed.cadre_id, assessed.post) not in cadres:
                cadres.append((assessed.cadre_id, assessed.post))
    cadres.sort(key=lambda pair: (pair[1] == "STATION", pair[0]))
    for cadre_id, _post in cadres:
        services.add_target(
            session, survey, kind="cadre", cadre=session.get(Cadre, cadre_id), today=today
        )
    for unit_id in units:
        services.add_target(
            session, survey, kind="unit", unit=session.get(Unit, unit_id), today=today
        )


def _build(session: Session, plan: DemoSurveyPlan) -> Survey:
    survey = services.create_survey(
        session,
        period=plan.period,
        data=services.SurveyData(
            title_zh=plan.title_zh,
            title_en=plan.title_en,
            intro_zh="请根据您的真实感受作答。测评不记名，回执码可在测评结束后查询是否计入。",
            intro_en=(
                "Answer as you really feel. The survey is anonymous; after it closes you "
                "can check that your receipt was counted."
            ),
        ),
    )
    _add_targets(session, survey, plan, plan.opens_at.date())
    for code, text_zh, text_en in QUESTIONS:
        services.add_question(
            session,
            survey,
            data=services.QuestionData(code=code, kind="likert", text_zh=text_zh, text_en=text_en),
        )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="age", kind="choice", text_zh="您的年龄段", text_en="Your age", options=AGE_BANDS
        ),
    )
    services.add_question(
        session,
        survey,
        data=services.QuestionData(
            code="comment", kind="text", text_zh="意见和建议（选填）", text_en="Comments (optional)"
        ),
    )
    services.assign_by_default(session, survey)
    services.open_survey(session, survey, now=plan.opens_at)
    return survey


def _targets_of(
    session: Session, survey: Survey, unit: Unit, plan: DemoSurveyPlan, tilt: float
) -> dict[int, _Target]:
    """Each target a resident of ``unit`` rates, with the mean answer (1-5) about it."""
    out = {}
    for target in survey.targets:
        if target.kind == "cadre" and target.cadre_id is not None:
            standing = plan.standing.get(target.cadre_id, 0.0)
            closeness = "own" if target.unit_id == unit.id else "station"
            out[target.id] = _Target(target.code, 3.85 + 0.4 * standing + tilt, closeness)
        else:
            out[target.id] = _Target(target.code, 3.7 + tilt, "township")
    return out


def _answers(
    items: Sequence[ResidentItem],
    targets: Mapping[int, _Target],
    rng: np.random.Generator,
    *,
    straight: bool,
    older: bool,
) -> dict[str, str]:
    """One resident's answers by item key, as the service takes them."""
    generosity = rng.normal(0.0, 0.45)
    answered_targets = {
        target_id
        for target_id, target in targets.items()
        if target.closeness == "own" or rng.random() < ANSWER_PROBABILITY[target.closeness]
    }
    answers: dict[str, str] = {}
    mood: list[float] = []
    for item in items:
        if item.kind == "likert" and item.target_id in answered_targets:
            target = targets[item.target_id]
            value = (
                5
                if straight
                else int(np.clip(round(target.mean + generosity + rng.normal(0.0, 0.55)), 1, 5))
            )
            answers[item.key] = str(value)
            mood.append(value)
        elif item.kind == "choice":
            weights = (0.15, 0.35, 0.5) if older else (0.35, 0.35, 0.3)
            answers[item.key] = item.values[int(rng.choice(len(item.values), p=weights))]
        elif item.kind == "text" and rng.random() < 0.05:
            pool = PRAISE if np.mean(mood or [3.0]) >= 4 else COMPLAINTS
            answers[item.key] = pool[int(rng.integers(len(pool)))][0]
    return answers


def _typed(items: Sequence[ResidentItem], answers: Mapping[str, str]) -> dict[str, str]:
    """What a clerk types for a paper ballot: choices by their position on the paper."""
    by_key = {item.key: item for item in items}
    return {
        key: str(by_key[key].values.index(value) + 1) if by_key[key].kind == "choice" else value
        for key, value in answers.items()
    }


def _day(rng: np.random.Generator, plan: DemoSurveyPlan) -> date:
    first, last = plan.opens_at.date(), plan.closes_at.date()
    return first + timedelta(days=int(rng.integers((last - first).days + 1)))


def _answer_online(
    session: Session,
    survey: Survey,
    *,
    key: str,
    code: str,
    unit_id: int,
    answers: Mapping[str, str],
    today: date,
    duration_s: int,
    items: Sequence[ResidentItem],
) -> None:
    """One resident answering on a phone with the code on their slip.

    The web path commits between the claim and the response; the demo's residents share
    the seeding transaction, and closing the survey rewrites their rows.
    """
    submission_id = tokens.new_submission_id()
    services.claim_code(
        session,
        survey=survey,
        code_hash=tokens.hash_access_code(key, survey.id, code),
        claim_key=tokens.claim_key(key, survey.id, submission_id),
    )
    services.store_online_response(
        session,
        survey=survey,
        unit_id=unit_id,
        submission_key=tokens.submission_key(key, survey.id, submission_id),
        answers=answers,
        today=today,
        duration_band_s=duration_band(duration_s),
        items=items,
    )


def seed_demo_survey(session: Session, plan: DemoSurveyPlan) -> dict[str, int]:
    """Build, run, close and seal the resident survey of one demo period.

    Returns
    -------
    dict
        ``{"online": n, "paper": n, "excluded": n, "comments": n}`` (comments reviewed).
    """
    rng = np.random.default_rng(plan.seed)
    team = session.get_one(Account, plan.team_id)
    clerks = [session.get_one(Account, clerk_id) for clerk_id in plan.clerk_ids]
    counts = {"online": 0, "paper": 0, "excluded": 0, "comments": 0}
    with acting_as(session, team, at=plan.opens_at):
        survey = _build(session, plan)
        batches = []
        for unit in respondent_units(session, plan.period):
            size = int(np.clip(round(unit.households * SLIP_SHARE), MIN_SLIPS, MAX_SLIPS))
            _batch, slips = services.generate_batch(
                session,
                survey,
                unit=unit,
                size=size,
                note=f"{unit.name_zh}入户发放",
                key=plan.access_code_key,
                now=plan.opens_at,
            )
            batches.append((unit, slips))
    for unit_number, (unit, slips) in enumerate(batches, start=1):
        items = list_items(session, survey.id, unit.id)
        tilt = rng.normal(0.0, 0.15)
        targets = _targets_of(session, survey, unit, plan, tilt)
        wanted = round(len(slips) * rng.uniform(*RESPONSE_SHARE))
        answering = int(np.clip(wanted, MIN_RESPONSES, min(MAX_RESPONSES, len(slips))))
        older = unit.kind == "village"
        for number, slip in enumerate(slips[:answering], start=1):
            # one enthusiastic resident per unit ticks "5" all the way down, and in the
            # first village does so in 20 seconds: the quality page flags both
            straight = number == 7
            answers = _answers(items, targets, rng, straight=straight, older=older)
            if unit_number == 2 and number == 11:
                answers["comment"] = IDENTIFYING
            on_paper = rng.random() < (PAPER_SHARE * 1.5 if older else PAPER_SHARE / 2)
            if on_paper and not straight:
                typed = _typed(items, answers)
                # typed in at the township a couple of days after it was filled in
                day = min(_day(rng, plan) + timedelta(days=2), plan.closes_at.date())
                serial = f"{unit.code}-{number:04d}"
                for clerk in clerks:
                    with acting_as(session, clerk, at=local_time(day, 14)):
                        ballot = paper.clean_ballot(
                            session,
                            survey,
                            serial=serial,
                            batch=f"{unit.code}-纸质-1",
                            receipt=slip.receipt,
                            unit_id=unit.id,
                            answers=typed,
                            items=items,
                        )
                        paper.record_entry(
                            session,
                            survey,
                            ballot,
                            clerk_id=clerk.id,
                            today=day,
                        )
                counts["paper"] += 1
                continue
            duration = 20 if straight and unit_number == 1 else int(rng.lognormal(np.log(240), 0.4))
            _answer_online(
                session,
                survey,
                key=plan.access_code_key,
                code=slip.code,
                unit_id=unit.id,
                answers=answers,
                today=_day(rng, plan),
                duration_s=duration,
                items=items,
            )
            counts["online"] += 1
    with acting_as(session, team, at=plan.closes_at):
        services.close_survey(session, survey, now=plan.closes_at)
    with acting_as(session, team, at=plan.closes_at + timedelta(days=1)):
        report = paper.quality_report(session, survey, min_group_size=plan.period.min_group_size)
        for flagged in report.flagged:
            if {"straight_lining", "too_fast"} <= set(flagged.flags):
                paper.decide_exclusion(
                    session,
                    survey,
                    response_id=flagged.response_id,
                    action="exclude",
                    reason="20秒内全部选“非常满意”，与正常作答时间不符，经考核组讨论不计入",
                    decided_by=plan.team_id,
                )
                counts["excluded"] += 1
    with acting_as(session, team, at=plan.closes_at + timedelta(days=2)):
        counts["comments"] = _review_comments(session, survey, plan, team)
    return counts


def _review_comments(session: Session, survey: Survey, plan: DemoSurveyPlan, team: Account) -> int:
    """The team approves comments about the village cadre they speak of, hides the one
    that names a household, and leaves every fourth for later (the review page shows
    them waiting); returns how many were reviewed."""
    posts = {c.cadre_id: c.post for c in inputs.list_assessed(session, plan.period)}
    about = dict(PRAISE + COMPLAINTS)
    listing = comments.list_comments(session, survey, min_group_size=plan.period.min_group_size)
    # the listing's order is random (response keys); this one is the same every time
    ordered = sorted(listing.comments, key=lambda c: (c.unit_id or 0, c.text, c.rated or ()))
    reviewed = 0
    for number, comment in enumerate(ordered, start=1):
        if comment.text == IDENTIFYING:
            action, target_id, reason = "hide", None, HIDE_REASON
        elif number % 4 == 0 or comment.excluded or not comment.rated:
            continue
        else:
            action, reason = "approve", ""
            target_id = next(
                (
                    target.id
                    for target in survey.targets
                    if target.id in comment.rated
                    and target.cadre_id is not None
                    and target.unit_id == comment.unit_id
                    and posts.get(target.cadre_id) == about.get(comment.text)
                ),
                None,
            )
            if target_id is None:  # a comment of another kind: left for the team
                continue
        comments.review_comment(
            session,
            survey,
            response_id=comment.response_id,
            item=comment.item,
            action=action,
            about_target_id=target_id,
            reason=reason,
            reviewer_id=team.id,
            now=plan.closes_at + timedelta(days=2),
        )
        reviewed += 1
    return reviewed


#: Grades of a ballot, best first; a voter abstains on a cadre with this probability.
GRADES = ("excellent", "competent", "basic", "incompetent")
ABSTAIN_PROBABILITY = 0.04
#: Share of the eligible voters who come to the meeting.
ATTENDANCE = (0.82, 0.97)


def _grade(standing: float, group_tilt: float, rng: np.random.Generator) -> str:
    """One voter's grade of a cadre: better standing, more 优秀 (a rounded latent score)."""
    if rng.random() < ABSTAIN_PROBABILITY:
        return "abstain"
    latent = 0.9 + 0.8 * standing + group_tilt + rng.normal(0.0, 0.8)
    if latent > 1.1:
        return "excellent"
    if latent > -0.9:
        return "competent"
    return "basic" if latent > -1.8 else "incompetent"


def seed_demo_ballots(session: Session, plan: DemoBallotPlan) -> int:
    """Hold the democratic evaluation (民主测评) meetings of a demo period.

    One survey per voter group (its code and group as the rulebook's ``sources``
    name them), the graded cadres as targets and one grade-ballot question. Each
    meeting's voters get one access code each (the codes are issued in the township
    seat's community: codes go to villages and communities), those present vote on
    their phones in the room, and the survey is closed and sealed at noon.

    Returns
    -------
    int
        Ballots cast (responses), over all groups.
    """
    rng = np.random.default_rng(plan.seed)
    team = session.get_one(Account, plan.team_id)
    seat = respondent_units(session, plan.period)[0]
    cast = 0
    for group, code, _weight, voters, title_zh, title_en in plan.groups:
        tilt = rng.normal(0.0, 0.2)
        with acting_as(session, team, at=plan.held_at):
            survey = services.create_survey(
                session,
                period=plan.period,
                data=services.SurveyData(
                    title_zh=title_zh,
                    title_en=title_en,
                    intro_zh="请对每位干部选择一个等次，也可弃权。测评不记名。",
                    intro_en="Give each cadre one grade, or abstain. The ballot is anonymous.",
                    code=code,
                    voter_group=group,
                ),
            )
            for cadre_id in plan.cadre_ids:
                services.add_target(
                    session,
                    survey,
                    kind="cadre",
                    cadre=session.get(Cadre, cadre_id),
                    today=plan.held_at.date(),
                )
            services.add_question(
                session,
                survey,
                data=services.QuestionData(
                    code="grade",
                    kind="ballot",
                    text_zh="民主测评等次",
                    text_en="Grade",
                ),
            )
            services.assign_by_default(session, survey)
            services.open_survey(session, survey, now=plan.held_at)
            _batch, slips = services.generate_batch(
                session,
                survey,
                unit=seat,
                size=voters,
                note=f"{title_zh}会场发放",
                key=plan.access_code_key,
                now=plan.held_at,
            )
        items = list_items(session, survey.id, seat.id)
        cadre_of = {t.id: t.cadre_id or 0 for t in survey.targets}
        present = round(voters * rng.uniform(*ATTENDANCE))
        for slip in slips[:present]:
            answers = {
                item.key: _grade(
                    plan.standing.get(cadre_of.get(item.target_id or 0, 0), 0.0), tilt, rng
                )
                for item in items
            }
            _answer_online(
                session,
                survey,
                key=plan.access_code_key,
                code=slip.code,
                unit_id=seat.id,
                answers=answers,
                today=plan.held_at.date(),
                duration_s=int(rng.lognormal(np.log(150), 0.3)),
                items=items,
            )
            cast += 1
        with acting_as(session, team, at=plan.closes_at):
            services.close_survey(session, survey, now=plan.closes_at)
    return cast
