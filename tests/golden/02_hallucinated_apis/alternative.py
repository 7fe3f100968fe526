# Correct, written differently from the model: full marks expected.
# %% hallucinated_answers
HALLUCINATED = {
    "fetch_user": "Response.json_or_raise()",
    "latency_summary": "np.percentile(..., interpolation=...)",
    "load_settings": "json.loads(raw, encoding=...)",
    "getUserData": "json_safe",
    "fetchText": "fetch(url, { timeout })",
}
# %% fetch_user_solution
import requests
from requests import HTTPError


def fetch_user(url, timeout=5.0):
    with requests.Session() as session:
        response = session.get(url, timeout=(timeout, timeout))
        if not response.ok:
            raise HTTPError(f"{response.status_code} {response.reason} for {url}",
                            response=response)
        try:
            payload = response.json()
        except ValueError as exc:
            raise ValueError(f"{url} did not answer with JSON") from exc
    if type(payload) is not dict:
        raise ValueError(f"{url} answered {type(payload).__name__}, not an object")
    return payload
# %% latency_summary_solution
import math

import numpy as np


def latency_summary(samples):
    values = [float(s) for s in samples]  # text raises ValueError, nested lists TypeError
    if not values:
        raise ValueError("no samples")
    if any(math.isnan(v) or math.isinf(v) for v in values):
        raise ValueError("samples must be finite")
    if min(values) < 0:
        raise ValueError("a latency cannot be negative")
    arr = np.array(values)
    q = np.quantile(arr, [0.5, 0.95, 0.99], method="nearest")
    return dict(p50=q[0].item(), p95=q[1].item(), p99=q[2].item(), mean=math.fsum(values) / len(values))
# %% load_settings_solution
import codecs
import json


def load_settings(raw):
    if isinstance(raw, bytes | bytearray):
        raw = bytes(raw)
        if raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8):]
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("settings are not UTF-8") from exc
    elif not isinstance(raw, str):
        raise TypeError("settings must be bytes or str")
    try:
        value = json.JSONDecoder().decode(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"bad JSON at line {exc.lineno}") from exc
    if not isinstance(value, dict):
        raise ValueError("settings must be an object")
    return value
# %% drift_solution
import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str


def _require(entry: dict[str, object], key: str, kind: type[int] | type[str]) -> int | str:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise ValueError(f"field {key!r} must be {kind.__name__}, got {value!r}")
    return value


class UserStore:
    def __init__(self) -> None:
        self._users: list[User] = []

    def add(self, user_id: int, email: str, name: str) -> User:
        if type(user_id) is not int:
            raise TypeError("ids are ints")
        user = User(user_id, email, name)
        self._users = [u for u in self._users if u.id != user_id] + [user]
        return user

    def get(self, user_id: int) -> User | None:
        return next((u for u in self._users if u.id == user_id), None)

    def find_by_email(self, email: str) -> User | None:
        return next((u for u in self._users if u.email.casefold() == email.casefold()), None)

    def to_json(self) -> str:
        return json.dumps({"users": [{"id": u.id, "email": u.email, "name": u.name}
                                     for u in self._users]}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> "UserStore":
        try:
            parsed: object = json.loads(text)
        except ValueError as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(parsed, dict) or not isinstance(parsed.get("users"), list):
            raise ValueError("no users list")
        rows: list[object] = parsed["users"]
        store = cls()
        for row in rows:
            if not isinstance(row, dict):
                raise ValueError("a user must be an object")
            typed: dict[str, object] = {str(k): v for k, v in row.items()}
            user_id = _require(typed, "id", int)
            email = _require(typed, "email", str)
            name = _require(typed, "name", str)
            assert isinstance(user_id, int) and isinstance(email, str) and isinstance(name, str)
            store.add(user_id, email, name)
        return store
