"""The questionnaire's hidden state, encrypted: the browser carries it, nobody can read it.

Between the code entry and the submission, the resident's form carries which code it
answers for (its keyed hash), the unit, a random submission id, when the code was
entered, and, one question per screen, the answers given so far. Signed but readable,
that state would hand anyone who sees the page (a shared phone, a browser extension,
a proxy that records POST bodies) the code hash, the submission id and the second the
code was typed: each leads to a stored row. So it is sealed with AES-256-GCM
(authenticated encryption: a changed token fails to open) under a key derived from
``SECRET_KEY`` with HKDF, bound to its purpose, and carries its own issue time for the
expiry check. The token shows nothing but its length.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import os
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
_KEY_INFO = b"surveys.form_state.aes256gcm.v1"


class FormStateError(ValueError):
    """The token is forged, damaged, for another purpose, or expired."""


@functools.lru_cache(maxsize=4)
def _cipher(secret: str) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(
        secret.encode()
    )
    return AESGCM(key)


def seal(secret: str, purpose: str, payload: Mapping[str, Any], *, now: int) -> str:
    """Encrypt ``payload`` (JSON-able) for ``purpose``; URL-safe base64 without padding."""
    body = json.dumps({"p": dict(payload), "at": int(now)}, separators=(",", ":")).encode()
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher(secret).encrypt(nonce, body, purpose.encode())
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")


def open_sealed(
    secret: str, purpose: str, token: str, *, now: int, max_age: int | None = None
) -> dict[str, Any]:
    """The payload of a token made by :func:`seal` for the same purpose.

    Raises
    ------
    FormStateError
        When the token does not decrypt under this secret and purpose, or is older than
        ``max_age`` seconds.
    """
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise FormStateError("not_base64") from None
    if len(raw) <= NONCE_BYTES:
        raise FormStateError("too_short")
    try:
        body = _cipher(secret).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], purpose.encode())
    except InvalidTag:
        raise FormStateError("forged") from None
    document = json.loads(body)
    if max_age is not None and now - int(document["at"]) > max_age:
        raise FormStateError("expired")
    payload: dict[str, Any] = document["p"]
    return payload
