# base: solution
# Right answers everywhere, but the secrets leak: the policy error quotes the password, a
# DEBUG line logs it, and ApiConfig is a plain dataclass whose repr shows the token.
# %% passwords_solution
import unicodedata
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
    password = unicodedata.normalize("NFC", raw)
    log.debug("checking password %r", password)
    if "\x00" in password or not password.strip() or len(password) < 12:
        raise PasswordPolicyError(f"password {password!r} breaks the policy")
    if len(password.encode()) > 72:
        raise PasswordPolicyError(f"password {password!r} is over 72 bytes")
    return password.encode()


def hash_password(raw):
    return HashedPassword(bcrypt.hashpw(checked_password(raw), bcrypt.gensalt(12)).decode())


def verify_password(raw, stored):
    if not isinstance(stored, str) or not re.fullmatch(r"\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}",
                                                       stored):
        raise ValueError("the stored value is not a bcrypt hash")
    try:
        return bcrypt.checkpw(checked_password(raw), stored.encode())
    except (PasswordPolicyError, TypeError):
        return False
# %% config_solution
import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ApiConfig:
    url: str
    token: str


def load_config(env):
    url, token = str(env.get("API_URL") or "").strip(), str(env.get("API_TOKEN") or "").strip()
    if not url:
        raise ConfigError("API_URL is not set")
    if not token:
        raise ConfigError("API_TOKEN is not set")
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.username is not None or parts.password is not None:
        raise ConfigError("API_URL must not carry credentials")
    if parts.scheme == "https" and host:
        return ApiConfig(url, token)
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if parts.scheme == "http" and loopback:
        return ApiConfig(url, token)
    raise ConfigError("API_URL must be https://")
