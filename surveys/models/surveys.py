"""Survey tables: the survey and its wording, access codes, responses, seals.

Anonymity is a property of this schema (DESIGN section 5). Two groups of tables
hold what must never be joined:

* participation: :class:`CodeBatch` and :class:`AccessCode` (a keyed hash, a ``used``
  flag and, while the survey is open, a keyed-hash claim);
* content: :class:`Response` and :class:`Answer`.

:class:`PaperReceipt`, the pool of receipts pre-printed on the slips' tear-offs, names
a receipt and a unit only, so it leads from a paper response to no code or batch.

No foreign key, no shared id and no time finer than a day connect the two groups
(``tests/surveys/test_anonymity.py`` walks the metadata to prove it). Responses and
answers have random text keys, and on SQLite they are ``WITHOUT ROWID`` tables, so not
even the hidden rowid records the order in which they arrived.

What the database keeps beside the declared columns (PostgreSQL's ``xmin`` and ``ctid``,
old row versions, physical order) is dealt with by the submission path and by closing:
a code is used and its response stored in two transactions, and closing rewrites the
survey's rows and compacts the tables (:mod:`surveys.services.storage`, ``docs/threat-model.md``).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assessment.app.db import UTCDateTime, db, utcnow
from assessment.models import Cadre, Period, Unit

SURVEY_STATES = ("draft", "open", "closed")
TARGET_KINDS = ("cadre", "unit", "service")
QUESTION_KINDS = ("likert", "scale10", "ballot", "choice", "text")
#: Kinds answered once per target (a "rated item"); the others are asked once.
RATED_KINDS = ("likert", "scale10", "ballot")
CHANNELS = ("online", "paper")
#: Voter groups (测评主体) every township knows; a survey may name its own code instead.
VOTER_GROUPS = ("leaders", "staff", "party-reps", "village-reps", "public")


class Survey(db.Model):  # type: ignore[name-defined,misc]
    """A resident satisfaction survey (满意度测评) in a period: draft → open → closed."""

    __tablename__ = "surveys"
    __table_args__ = (
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name="status_known"),
        sa.UniqueConstraint("period_id", "code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(sa.ForeignKey("period.id"), index=True)
    #: Public id in ``/s/<short_id>``: 6 symbols of the code alphabet.
    short_id: Mapped[str] = mapped_column(sa.String(12), unique=True)
    #: Stable code a rulebook indicator's ``sources.surveys`` names (unique in the period);
    #: ``None`` for a survey no indicator names (its scores are pooled as before).
    code: Mapped[str | None] = mapped_column(sa.String(32))
    #: Who answers it (测评主体): one of :data:`VOTER_GROUPS` or the township's own code.
    #: The group is the only thing known about an anonymous response.
    voter_group: Mapped[str] = mapped_column(
        sa.String(32), default="public", server_default="public"
    )
    #: Display name of a township's own group (empty for the built-in ones).
    voter_group_name: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    title_zh: Mapped[str] = mapped_column(sa.String(200))
    title_en: Mapped[str] = mapped_column(sa.String(200), default="")
    intro_zh: Mapped[str] = mapped_column(sa.Text, default="")
    intro_en: Mapped[str] = mapped_column(sa.Text, default="")
    #: Show one question per screen (server-side pagination) instead of one long form.
    one_per_screen: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    period: Mapped[Period] = relationship()
    targets: Mapped[list[Target]] = relationship(
        back_populates="survey", order_by="Target.position", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="survey", order_by="Question.position", cascade="all, delete-orphan"
    )
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="survey", cascade="all, delete-orphan"
    )


class Target(db.Model):  # type: ignore[name-defined,misc]
    """What residents rate: a cadre, a unit, or a public service."""

    __tablename__ = "survey_targets"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "code"),
        sa.CheckConstraint("kind IN ('cadre', 'unit', 'service')", name="kind_known"),
        sa.CheckConstraint("(kind = 'cadre') = (cadre_id IS NOT NULL)", name="cadre_iff_kind"),
        sa.CheckConstraint("kind = 'service' OR unit_id IS NOT NULL", name="unit_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: Short code within the survey ("t1", "t2", ...), used in form field names.
    code: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    cadre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cadre.id"))
    #: The rated unit; for a cadre, the unit of the post; for a service, its provider.
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("unit.id"))
    #: Wording shown to residents, fixed when the target is added.
    label_zh: Mapped[str] = mapped_column(sa.String(200))
    label_en: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    survey: Mapped[Survey] = relationship(back_populates="targets")
    cadre: Mapped[Cadre | None] = relationship()
    unit: Mapped[Unit | None] = relationship()


class Question(db.Model):  # type: ignore[name-defined,misc]
    """One question. Rated kinds are asked about each target; the others once."""

    __tablename__ = "survey_questions"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "code"),
        sa.CheckConstraint(
            "kind IN ('likert', 'scale10', 'ballot', 'choice', 'text')", name="kind_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: Code within the survey; the form field is ``q_<code>`` (``q_<code>__<target>``).
    code: Mapped[str] = mapped_column(sa.String(32))
    kind: Mapped[str] = mapped_column(sa.String(16))
    text_zh: Mapped[str] = mapped_column(sa.Text)
    text_en: Mapped[str] = mapped_column(sa.Text, default="")
    #: Canonical JSON: {"points": k} (likert), {"values": {...}, "abstain": true}
    #: (ballot), {"options": [{"code", "zh", "en"}, ...]} (choice), {} otherwise.
    settings: Mapped[str] = mapped_column(sa.Text, default="{}")
    position: Mapped[int] = mapped_column(default=0)

    survey: Mapped[Survey] = relationship(back_populates="questions")


class Assignment(db.Model):  # type: ignore[name-defined,misc]
    """Residents of ``unit`` rate ``target`` (a village rates its cadres and the township's)."""

    __tablename__ = "survey_assignments"
    __table_args__ = (sa.UniqueConstraint("survey_id", "unit_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    target_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_targets.id", ondelete="CASCADE"))

    survey: Mapped[Survey] = relationship(back_populates="assignments")
    unit: Mapped[Unit] = relationship()
    target: Mapped[Target] = relationship()


# ---------------------------------------------------------------------------
# participation: who took part (never what they answered)
# ---------------------------------------------------------------------------


class CodeBatch(db.Model):  # type: ignore[name-defined,misc]
    """Access codes printed for the households of one unit; can be revoked."""

    __tablename__ = "survey_code_batches"
    __table_args__ = (sa.CheckConstraint("size >= 1", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"), index=True)
    #: Number of codes (and of paper receipts) generated.
    size: Mapped[int]
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: The voter group (测评主体) of the batch's holders, overriding the survey's (None:
    #: the survey's), so one survey collects from several groups. Online answers carry
    #: their unit, not their batch, so a unit's batches in one survey share one group.
    voter_group: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str] = mapped_column(sa.Text, default="")

    unit: Mapped[Unit] = relationship()


class AccessCode(db.Model):  # type: ignore[name-defined,misc]
    """One household's one-time code, as a keyed hash, and whether it was used."""

    __tablename__ = "survey_access_codes"
    __table_args__ = (sa.UniqueConstraint("survey_id", "code_hash"),)
    # Created in bulk with their audited batch; redeeming one is a resident's anonymous
    # act whose time must not be recorded anywhere (an audit entry would time it).
    __audit_exempt__ = "created with the audited batch; redemption must stay untimed"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_code_batches.id"), index=True)
    #: HMAC-SHA256 hex of the code under ACCESS_CODE_HASH_KEY (surveys.services.tokens).
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    #: True once a response was accepted with this code. No time is kept.
    used: Mapped[bool] = mapped_column(default=False)
    #: While the survey is open: HMAC-SHA256 hex of the submission id of the form that
    #: used the code (surveys.services.tokens.claim_key), so that a resend of that same form may
    #: finish storing its answers. The response holds a different keyed hash of the id,
    #: which cannot be matched to this one without the key. Cleared when the survey closes.
    claim_key: Mapped[str | None] = mapped_column(sa.String(64))


class PaperReceipt(db.Model):  # type: ignore[name-defined,misc]
    """A receipt printed on a slip's tear-off, for a resident who answers on paper.

    Kept in plain text: receipts are published when the survey closes, so hashing them
    would hide nothing. It is deliberately linked neither to the access code printed on
    the same slip nor to its batch (only to the unit, which the response names anyway),
    and the table has no row order: a paper response's receipt leads to no code.
    """

    __tablename__ = "survey_paper_receipts"
    __table_args__ = (
        sa.PrimaryKeyConstraint("survey_id", "receipt"),
        {"sqlite_with_rowid": False},
    )
    __audit_exempt__ = "created with the audited batch; matched by the audited paper entry"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"))
    receipt: Mapped[str] = mapped_column(sa.String(16))
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    #: True once a paper ballot carrying this receipt was entered.
    used: Mapped[bool] = mapped_column(default=False)


# ---------------------------------------------------------------------------
# content: what was answered (never who answered)
# ---------------------------------------------------------------------------


class Response(db.Model):  # type: ignore[name-defined,misc]
    """One resident's answers, online or from a paper ballot.

    The key is a random UUID; the only time is the day. A keyed hash of the form's
    submission id makes a resent form idempotent while the survey is open: the database
    refuses a second row with the same one. It is cleared when the survey closes.
    """

    __tablename__ = "survey_responses"
    __table_args__ = (
        sa.UniqueConstraint("survey_id", "submission_key"),
        sa.UniqueConstraint("survey_id", "receipt"),
        sa.CheckConstraint("channel IN ('online', 'paper')", name="channel_known"),
        sa.CheckConstraint(
            "channel = 'paper' OR (paper_serial IS NULL AND paper_batch IS NULL)",
            name="paper_fields_only_on_paper",
        ),
        {"sqlite_with_rowid": False},
    )
    # Chaining each response would time it and serialise submissions on the chain
    # head; the closed survey's response set is sealed as one audited SurveySeal.
    __audit_exempt__ = "anonymous; sealed as a whole by the audited SurveySeal"

    #: Random UUID (32 hex digits): reveals nothing about the order of arrival.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), index=True)
    #: The respondent's unit (from the access code's batch, or the paper batch).
    unit_id: Mapped[int] = mapped_column(sa.ForeignKey("unit.id"))
    #: The respondent's voter group (测评主体), from the unit's code batches or the survey:
    #: with the unit, the only thing known about who answered. Set by every insert
    #: (:func:`surveys.services.surveys.store_response`); the server default serves the migration.
    voter_group: Mapped[str] = mapped_column(sa.String(32), server_default="public")
    channel: Mapped[str] = mapped_column(sa.String(8))
    #: Day of submission (or of entry, for paper); never a finer time.
    submitted_on: Mapped[date]
    #: Published after closing so residents can see their response was counted.
    receipt: Mapped[str] = mapped_column(sa.String(16))
    #: Online, while the survey is open: HMAC-SHA256 hex of the random submission id the
    #: form carries (surveys.services.tokens.submission_key); a resend of the form is the same
    #: response. NULL for paper and once the survey is closed.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    #: SHA-256 of the canonical JSON of the answers, to tell a resend from a change.
    content_digest: Mapped[str] = mapped_column(sa.String(64))
    #: Time from entering the code to submitting, as the lower bound in seconds of its
    #: coarse band (surveys.core.quality.duration_band): what the too-fast flag needs and
    #: no finer, so access-log times cannot pick the response out. NULL for paper.
    duration_band_s: Mapped[int | None]
    #: Serial number printed on a paper ballot, and the batch it was entered in.
    paper_serial: Mapped[str | None] = mapped_column(sa.String(64))
    paper_batch: Mapped[str | None] = mapped_column(sa.String(64))

    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="all, delete-orphan"
    )


class Answer(db.Model):  # type: ignore[name-defined,misc]
    """The answer to one item of a response; keyed by (response, item), no row id."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        sa.PrimaryKeyConstraint("response_id", "item"),
        {"sqlite_with_rowid": False},
    )
    __audit_exempt__ = "anonymous; sealed as a whole by the audited SurveySeal"

    response_id: Mapped[str] = mapped_column(
        sa.ForeignKey("survey_responses.id", ondelete="CASCADE")
    )
    #: ``<question code>`` or ``<question code>__<target code>``.
    item: Mapped[str] = mapped_column(sa.String(80))
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("survey_questions.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(sa.ForeignKey("survey_targets.id"))
    #: Likert 1..k, 0-10 scale 0..10; NULL for text, choice and ballot answers.
    value_int: Mapped[int | None]
    #: Ballot grade code, choice option code, or free text.
    value_text: Mapped[str | None] = mapped_column(sa.Text)

    response: Mapped[Response] = relationship(back_populates="answers")


class SurveySeal(db.Model):  # type: ignore[name-defined,misc]
    """The digest of a closed survey's responses and receipts: one audited entry."""

    __tablename__ = "survey_seals"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), unique=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    response_count: Mapped[int]
    #: SHA-256 hex of the canonical JSON of every response, its answers and receipts.
    digest: Mapped[str] = mapped_column(sa.String(64))


class CodeFailureCount(db.Model):  # type: ignore[name-defined,misc]
    """Wrong access codes tried on one survey in one 5-minute bucket: the guessing alarm.

    Counts only: no address, no code, no outcome. The team sees the last hour's sum on
    the survey's pages; nothing is locked by it (limits fall on each guessing client).
    """

    __tablename__ = "survey_code_failures"
    __table_args__ = (sa.CheckConstraint("wrong_codes >= 0", name="count_not_negative"),)
    __audit_exempt__ = "a count of wrong codes per 5 minutes; holds no address or code"

    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("surveys.id"), primary_key=True)
    #: Start of the 5-minute bucket (UTC).
    bucket_start: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    wrong_codes: Mapped[int] = mapped_column(default=0)
