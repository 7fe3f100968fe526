# base: solution
# Annotated everywhere, with `object`: the strict checker has nothing to say about the code
# itself, and the contract's signatures do not hold (find_by_email -> object, not
# User | None). Behaviour points only (19 of 22) expected.
# %% drift_solution
import json
from dataclasses import dataclass


@dataclass(frozen=True)
class User:
    id: object
    email: object
    name: object


class UserStore:
    def __init__(self) -> None:
        self._by_id: dict[object, User] = {}

    def add(self, user_id: object, email: object, name: object) -> object:
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise TypeError("ids are ints")
        user = User(user_id, email, name)
        self._by_id[user_id] = user
        return user

    def get(self, user_id: object) -> object:
        return self._by_id.get(user_id)

    def find_by_email(self, email: object) -> object:
        for user in self._by_id.values():
            if str(user.email).casefold() == str(email).casefold():
                return user
        return None

    def to_json(self) -> object:
        return json.dumps({"users": [{"id": u.id, "email": u.email, "name": u.name}
                                     for u in self._by_id.values()]})

    @classmethod
    def from_json(cls, text: object) -> object:
        try:
            data: object = json.loads(str(text))
        except ValueError as exc:
            raise ValueError("not JSON") from exc
        entries = data.get("users") if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise ValueError("no users")
        store = cls()
        for entry in entries:
            if not isinstance(entry, dict):
                raise ValueError("bad user")
            uid, email, name = entry.get("id"), entry.get("email"), entry.get("name")
            if isinstance(uid, bool) or not isinstance(uid, int):
                raise ValueError("bad id")
            if not isinstance(email, str) or not isinstance(name, str):
                raise ValueError("bad user")
            store.add(uid, email, name)
        return store
