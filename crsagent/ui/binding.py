"""Session handles bound to this server: a session is usable only with the handle the server issued.

A handle is ``<payload>.<mac>``: the payload names the session id, dataset and LLM (base64 JSON), the
mac is an HMAC-SHA256 of it under a per-server key. Knowing (or guessing) a session id is therefore
not enough to read or continue that session through the UI or its API: a client needs the handle,
which only the browser tab (its stored state) or the API client that started the session received.
Binding the dataset and LLM too stops a client from replaying its session on another agent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from crsagent.errors import CrsAgentError

MAX_HANDLE_CHARS = 2000  # a handle holds an id, a dataset name or folder, and a model string
_CONTEXT = b"crsagent ui session handle v1"


class SessionRefusedError(CrsAgentError):
    """A session handle this server did not issue (forged, altered, or from another server)."""


class SessionKey(BaseModel):
    """What a handle grants: one agent session on one dataset with one LLM."""

    model_config = ConfigDict(frozen=True)

    session_id: str = Field(min_length=1, max_length=64)
    dataset: str = Field(min_length=1)
    llm: str | None = None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    """Issues and checks handles with a key derived from ``secret`` (random when None: handles then
    last as long as the process)."""

    def __init__(self, secret: str | None = None) -> None:
        material = (secret or secrets.token_urlsafe(32)).encode("utf-8")
        # A key of its own: the browser-storage secret is sent to the page, this one never is.
        self._key = hmac.new(material, _CONTEXT, hashlib.sha256).digest()

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def handle(self, key: SessionKey) -> str:
        """The handle that grants ``key``."""
        body = json.dumps([key.session_id, key.dataset, key.llm], ensure_ascii=False, separators=(",", ":"))
        payload = _b64(body.encode("utf-8"))
        return f"{payload}.{self._mac(payload)}"

    def open(self, handle: object) -> SessionKey:
        """The session ``handle`` grants, or ``SessionRefusedError`` saying why it grants none."""
        if not isinstance(handle, str) or not handle:
            raise SessionRefusedError("no session handle given (start one with an empty session)")
        if len(handle) > MAX_HANDLE_CHARS or handle.count(".") != 1:
            raise SessionRefusedError("not a session handle of this server")
        payload, mac = handle.split(".")
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise SessionRefusedError(
                "session handle refused: it was not issued by this server (or was altered); "
                "sessions are usable only with the handle returned when they were started"
            )
        try:
            session_id, dataset, llm = json.loads(_unb64(payload))
            return SessionKey(session_id=session_id, dataset=dataset, llm=llm)
        except (binascii.Error, UnicodeDecodeError, ValueError, TypeError, ValidationError) as error:
            # Only a handle this server signed gets here: a malformed one is a bug, said plainly.
            raise SessionRefusedError(f"session handle has a bad payload ({error})") from error

    def check(self, handle: object, key: SessionKey) -> bool:
        """True when ``handle`` grants exactly ``key``."""
        try:
            return self.open(handle) == key
        except SessionRefusedError:
            return False
