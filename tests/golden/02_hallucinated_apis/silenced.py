# base: solution
# The drift module behaves right, but its types are switched off instead of fixed: Any, a
# cast and a type: ignore. Behaviour points only (19 of 22) expected.
# %% drift_solution
import json
from typing import Any, cast


class User:
    def __init__(self, id: Any, email: Any, name: Any) -> None:
        self.id = id
        self.email = email
        self.name = name


class UserStore:
    def __init__(self) -> None:
        self._by_id: dict[Any, Any] = {}

    def add(self, user_id: Any, email: Any, name: Any) -> User:
        if isinstance(user_id, bool) or not isinstance(user_id, int):
            raise TypeError("ids are ints")
        self._by_id[user_id] = User(user_id, email, name)
        return self._by_id[user_id]

    def get(self, user_id: Any) -> User | None:
        return self._by_id.get(user_id)

    def find_by_email(self, email: str) -> User | None:
        for user in self._by_id.values():
            if user.email.casefold() == email.casefold():
                return cast(User, user)
        return None

    def to_json(self) -> str:
        return json.dumps({"users": [vars(u) for u in self._by_id.values()]})

    @classmethod
    def from_json(cls, text: str) -> "UserStore":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ValueError("not JSON") from exc
        store = cls()
        users = data["users"] if isinstance(data, dict) and isinstance(data.get("users"), list) else None
        if users is None:
            raise ValueError("no users")
        for u in users:
            if not isinstance(u, dict) or type(u.get("id")) is not int or not isinstance(u.get("email"), str) or not isinstance(u.get("name"), str):
                raise ValueError("bad user")
            store.add(u["id"], u["email"], u["name"])  # type: ignore
        return store
