"""Drawing and keyed hashing of resident access codes and receipts.

Access codes are secrets: they are stored only as HMAC-SHA256 under the deployment's
``ACCESS_CODE_HASH_KEY``, which the web layer passes in (nothing here reads config).
The survey id is part of the hashed message, so the same code in two surveys has two
unrelated hashes. Receipts are not secrets (they are published when a survey closes),
so they are stored in plain text.

The random submission id a questionnaire carries is never stored either: the code row
keeps one keyed hash of it (:func:`claim_key`) and the response another
(:func:`submission_key`). Without the key nobody can tell which claim goes with which
response; with it, the server can still recognise a resent form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from surveys.core.codes import (
    ALPHABET,
    CODE_BODY_LENGTH,
    RECEIPT_BODY_LENGTH,
    is_well_formed,
    normalise_code,
    with_check,
)

SHORT_ID_LENGTH = 6


def _draw(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def new_access_code() -> str:
    """A fresh access code: 10 random symbols and a check symbol (≈ 49.5 bits)."""
    return with_check(_draw(CODE_BODY_LENGTH))


def new_receipt() -> str:
    """A fresh receipt code: 8 random symbols and a check symbol."""
    return with_check(_draw(RECEIPT_BODY_LENGTH))


def new_short_id() -> str:
    """The public short id of a survey, as in ``/s/<short id>``."""
    return _draw(SHORT_ID_LENGTH)


def new_submission_id() -> str:
    """The random id each rendered form carries, so a resent form is stored once."""
    return secrets.token_urlsafe(16)


def _keyed(key: str, purpose: str, survey_id: int, value: str) -> str:
    message = f"{purpose}:{survey_id}:{value}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


def hash_access_code(key: str, survey_id: int, code: str) -> str:
    """HMAC-SHA256 (hex) of a normalised access code, bound to one survey."""
    return _keyed(key, "survey-access-code", survey_id, normalise_code(code))


def claim_key(key: str, survey_id: int, submission_id: str) -> str:
    """HMAC-SHA256 (hex) of a submission id as kept on the code it used (the claim)."""
    return _keyed(key, "survey-code-claim", survey_id, submission_id)


def submission_key(key: str, survey_id: int, submission_id: str) -> str:
    """HMAC-SHA256 (hex) of a submission id as kept on its response; unlike the claim."""
    return _keyed(key, "survey-submission", survey_id, submission_id)


def is_access_code(text: str) -> bool:
    """Whether typed text is a well-formed access code (length, alphabet, check)."""
    return is_well_formed(normalise_code(text), CODE_BODY_LENGTH + 1)


def is_receipt(text: str) -> bool:
    """Whether typed text is a well-formed receipt code."""
    return is_well_formed(normalise_code(text), RECEIPT_BODY_LENGTH + 1)
