# base: solution
# Boundary bug: the 72 limit counted in characters, not UTF-8 bytes, so 40 × "ü" reaches
# bcrypt, which raises its own ValueError instead of the policy's error.
# %% passwords_solution
from dataclasses import dataclass

log = logging.getLogger("accounts")


class PasswordPolicyError(ValueError):
    pass


@dataclass(frozen=True)
class HashedPassword:
    value: str


def checked_password(raw):
    if not isinstance(raw, str):
        raise TypeError("a password is a str")
    if "\x00" in raw or not raw.strip() or len(raw) < 12 or len(raw) > 72:
        raise PasswordPolicyError("the password breaks the policy")
    return raw.encode("utf-8")


def hash_password(raw):
    return HashedPassword(bcrypt.hashpw(checked_password(raw), bcrypt.gensalt(12)).decode())


def verify_password(raw, stored):
    if not isinstance(stored, str) or not stored.startswith("$2"):
        raise ValueError("not a bcrypt hash")
    try:
        return bcrypt.checkpw(checked_password(raw), stored.encode())
    except PasswordPolicyError:
        return False
