"""The client settings, declared once, and how a client's values are resolved and checked.

:data:`SETTINGS` lists every setting as a :class:`Setting` (name, environment variable,
documented default, check). The module globals (``ligdicash.api_key``), the facade, the
Django adapter (``LIGDICASH_<NAME>``), the test fixtures and the README table are derived
from it or checked against it (``tests/test_settings_declared_once.py``); the clients keep
explicit keyword arguments for IDE help, and a test holds them to this list.

Precedence for each setting: the explicit argument, then its ``LIGDICASH_*`` environment
variable (when it has one), then the default.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

from ._exceptions import ConfigurationError
from ._version import __version__

if TYPE_CHECKING:
    import httpx

    from ._records import RequestRecord

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_READ_TIMEOUT",
    "PLATFORM_URLS",
    "SETTINGS",
    "Setting",
    "Settings",
    "TimeoutTypes",
    "resolve_settings",
]

# ``logging``, ``ipaddress`` and ``urllib.parse`` are imported where they are used, not here:
# ``import ligdicash`` loads this module, and they are a third of its stdlib cost
# (``python -X importtime -c "import ligdicash"``; benchmarks/run.py, table (c)). The
# "ligdicash" logger is the same object whichever module asks for it first.

PLATFORM_URLS = {
    "live": "https://app.ligdicash.com/pay/v01/",
    "test": "https://test.ligdicash.com/pay/v01/",
}

#: 30 s to read an answer (a direct payin waits on the operator), 5 s to connect.
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 5.0
#: Status checks are retried twice on network errors, 429 and 5xx; creations never after send.
DEFAULT_MAX_RETRIES = 2
#: Far beyond any real API root; bounds the work done on a hostile value.
MAX_URL_LENGTH = 2048

USER_AGENT = f"ligdicash-python/{__version__}"

TimeoutTypes = Union[float, int, "httpx.Timeout", None]
OnRequestHook = Callable[["RequestRecord"], Any]


@dataclass(frozen=True)
class Settings:
    """The resolved settings of one client. Secrets are kept out of ``repr``."""

    api_key: str = field(repr=False)
    auth_token: str = field(repr=False)
    platform: str
    base_url: str
    base_url_overridden: bool
    timeout: httpx.Timeout
    max_retries: int
    allow_http_hosts: tuple[str, ...] = ()
    on_request: Optional[OnRequestHook] = field(default=None, repr=False, compare=False)
    #: The headers of every request, built once here: without and with a JSON body. They
    #: live and die with the client (no module-level cache keyed by the credentials).
    headers: httpx.Headers = field(init=False, repr=False, compare=False)
    json_headers: httpx.Headers = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        import httpx  # already loaded: check_timeout built this instance's httpx.Timeout

        common = {
            "Apikey": self.api_key,
            "Authorization": f"Bearer {self.auth_token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        # httpx.Request copies the headers it is given: these are never changed in place.
        object.__setattr__(self, "headers", httpx.Headers(common))
        object.__setattr__(
            self, "json_headers", httpx.Headers({**common, "Content-Type": "application/json"})
        )

    @property
    def is_provider_test_host(self) -> bool:
        """True when requests go to LigdiCash's own test platform (not an override)."""
        return self.platform == "test" and not self.base_url_overridden


# -- the checks, one per setting -------------------------------------------------------------


def _missing(name: str, env: str) -> ConfigurationError:
    return ConfigurationError(
        f"{name} is not set: set ligdicash.{name}, pass Client({name}=...) or set {env}"
    )


def check_credential(value: Any, name: str, env: str) -> str:
    """Return a credential stripped of surrounding whitespace, or raise.

    A value read from a secrets file often ends with a newline: surrounding whitespace is
    stripped, as a friendly reading of what was meant. Whatever remains must be printable
    ASCII without spaces, because it goes into an HTTP header: a control character or a
    non-ASCII one would fail deep inside httpx/httpcore with the header value (the secret)
    in the message and in their DEBUG logs. The error never contains the value.

    Raises:
        ConfigurationError: missing, not a string, or holding a character not allowed.
    """
    if value is None or value == "":
        raise _missing(name, env)
    if not isinstance(value, str):
        raise ConfigurationError(f"{name} must be a string, got {type(value).__name__}")
    stripped = value.strip()
    if not stripped:
        raise _missing(name, env)
    for position, char in enumerate(stripped):
        if not "!" <= char <= "~":  # printable ASCII, no space
            kind = "a non-ASCII" if ord(char) > 0x7E else "a control or space"
            raise ConfigurationError(
                f"{name} contains {kind} character (at position {position}); copy the "
                "credential again from the LigdiCash dashboard"
            ) from None
    return stripped


def check_platform(value: Any) -> str:
    """``"live"`` (the default) or ``"test"``; raise :class:`ConfigurationError` otherwise."""
    if value is None or value == "":
        return "live"
    if not isinstance(value, str) or value not in PLATFORM_URLS:
        shown = repr(value) if isinstance(value, str) and len(value) <= 40 else "that value"
        raise ConfigurationError(f"platform must be 'live' or 'test', got {shown}")
    return value


def _is_provider_host(host: str) -> bool:
    return host == "ligdicash.com" or host.endswith(".ligdicash.com")


def check_allow_http_hosts(value: Any) -> tuple[str, ...]:
    """Host names plain http may reach besides loopback: a string (comma-separated) or an
    iterable of strings. LigdiCash's own hosts can never be listed.

    Raises:
        ConfigurationError: not strings, a malformed name, or a ``*.ligdicash.com`` host.
    """
    if value is None or value == "":
        return ()
    raw: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    try:
        names = list(raw)
    except TypeError:
        raise ConfigurationError("allow_http_hosts must be host names (strings)") from None
    hosts: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise ConfigurationError("allow_http_hosts must be host names (strings)")
        host = name.strip().lower().rstrip(".")
        if not host:
            continue
        if len(host) > 253 or not all(c.isascii() and (c.isalnum() or c in "-._") for c in host):
            raise ConfigurationError(
                "allow_http_hosts must be plain host names such as 'sandbox' (no scheme, "
                "port or path)"
            )
        if _is_provider_host(host):
            raise ConfigurationError(
                "LigdiCash's own hosts are always reached over https: remove "
                f"{host!r} from allow_http_hosts"
            )
        hosts.append(host)
    return tuple(dict.fromkeys(hosts))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    import ipaddress  # first needed by a base_url override, not by ``import ligdicash``

    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_loopback_url(url: str) -> bool:
    """Whether ``url``'s host is a loopback address or ``localhost`` (a local sandbox): where
    LigdiCash's 3 s status floor does not apply."""
    from urllib.parse import urlsplit  # see the note at the top of the module

    return _is_loopback(urlsplit(url).hostname or "")


_warned_http_hosts: set[str] = set()
_warned_lock = threading.Lock()


def _warn_plain_http_once(host: str) -> None:
    with _warned_lock:
        if host in _warned_http_hosts:
            return
        _warned_http_hosts.add(host)
    import logging  # see the note at the top of the module

    logging.getLogger("ligdicash").warning(
        "plain http to %r is allowed by allow_http_hosts: credentials and payments travel "
        "unencrypted; use this only for a sandbox on a private network",
        host,
    )


def check_base_url(url: Any, allow_http_hosts: tuple[str, ...] = ()) -> str:
    """Return the API root with a trailing slash.

    Plain http is accepted for loopback hosts, and for the hosts named in
    ``allow_http_hosts`` (a log WARNING, once per host and process).

    Raises:
        ConfigurationError: not an absolute http(s) URL, too long, holding control,
            whitespace or unencodable characters, or plain http to another host.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"base_url must be a string, got {type(url).__name__}")
    if len(url) > MAX_URL_LENGTH:
        raise ConfigurationError(f"base_url is longer than {MAX_URL_LENGTH} characters")
    if any(c.isspace() or not c.isprintable() for c in url) or not _encodable(url):
        raise ConfigurationError("base_url contains whitespace, control or invalid characters")
    from urllib.parse import urlsplit  # see the note at the top of the module

    try:
        parsed = urlsplit(url)
        host = (parsed.hostname or "").rstrip(".")
        parsed.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigurationError("base_url is not a valid URL") from None
    if parsed.scheme not in ("http", "https") or not host:
        raise ConfigurationError("base_url must be an absolute http(s) URL")
    if parsed.scheme == "http" and not _is_loopback(host):
        if host not in allow_http_hosts or _is_provider_host(host):
            raise ConfigurationError(
                "base_url must use https; plain http is accepted only for loopback hosts "
                "(127.0.0.1, ::1, localhost), such as a local sandbox, or for a host you name "
                "in allow_http_hosts (LIGDICASH_ALLOW_HTTP_HOSTS), e.g. a sandbox container"
            )
        _warn_plain_http_once(host)
    import httpx  # loaded with the first client anyway; keeps ``import ligdicash`` light

    try:
        httpx.URL(url)
    except Exception:  # httpx.InvalidURL, or an IDNA error on a strange host name
        raise ConfigurationError("base_url is not a valid URL") from None
    return url if url.endswith("/") else url + "/"


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return False
    return True


def check_timeout(timeout: Any) -> httpx.Timeout:
    """Turn a number of seconds (or an ``httpx.Timeout``) into an ``httpx.Timeout``.

    Raises:
        ConfigurationError: not a positive, finite number of seconds.
    """
    # httpx is imported here, not at module level: ``import ligdicash`` stays cheap and
    # httpx loads with the first client.
    import httpx

    if timeout is None:
        return httpx.Timeout(DEFAULT_READ_TIMEOUT, connect=DEFAULT_CONNECT_TIMEOUT)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    error = ConfigurationError("timeout must be a positive, finite number of seconds")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise error
    try:
        seconds = float(timeout)
    except OverflowError:  # an int beyond float range
        raise error from None
    if not 0 < seconds < math.inf:
        raise error
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_CONNECT_TIMEOUT))


def check_max_retries(value: Any) -> int:
    """A whole number >= 0 (default 2); raise :class:`ConfigurationError` otherwise."""
    if value is None:
        return DEFAULT_MAX_RETRIES
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigurationError("max_retries must be a whole number >= 0")
    return value


def check_on_request(value: Any) -> Optional[OnRequestHook]:
    """``None`` or a callable taking a :class:`RequestRecord`."""
    if value is not None and not callable(value):
        raise ConfigurationError("on_request must be a callable taking a RequestRecord")
    return value  # type: ignore[no-any-return]


# -- the declaration -----------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One client setting: the name of the module global, of the ``Client``/``AsyncClient``
    keyword argument and (upper-cased, ``LIGDICASH_`` prefix) of the Django setting; its
    environment variable (``None``: none); its default as documented; and its check, which
    takes the raw value (``None`` when unset) and returns the resolved one or raises
    :class:`ConfigurationError`.
    """

    name: str
    env: Optional[str]
    default: str
    check: Callable[[Any], Any] = field(repr=False, compare=False)

    @property
    def django_name(self) -> str:
        """The Django setting that carries it: ``LIGDICASH_API_KEY``, ..."""
        return "LIGDICASH_" + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "api_key",
        "LIGDICASH_API_KEY",
        "required",
        lambda v: check_credential(v, "api_key", "LIGDICASH_API_KEY"),
    ),
    Setting(
        "auth_token",
        "LIGDICASH_AUTH_TOKEN",
        "required",
        lambda v: check_credential(v, "auth_token", "LIGDICASH_AUTH_TOKEN"),
    ),
    Setting("platform", "LIGDICASH_PLATFORM", '`"live"`', check_platform),
    # Checked with allow_http_hosts in resolve_settings; None = the platform's root.
    Setting("base_url", "LIGDICASH_BASE_URL", "the platform's API root", lambda v: v or None),
    Setting("allow_http_hosts", "LIGDICASH_ALLOW_HTTP_HOSTS", "none", check_allow_http_hosts),
    Setting("timeout", None, "30 s to read, 5 s to connect", check_timeout),
    Setting("max_retries", None, "2 (status checks only, see below)", check_max_retries),
    Setting("on_request", None, "none", check_on_request),
)

SETTING_NAMES: tuple[str, ...] = tuple(s.name for s in SETTINGS)
ENV_NAMES: tuple[str, ...] = tuple(s.env for s in SETTINGS if s.env)


def _env(name: Optional[str]) -> Optional[str]:
    value = os.environ.get(name) if name else None
    return value if value else None


def resolve_settings(**values: Any) -> Settings:
    """Combine arguments (keyword per :data:`SETTINGS` name; unset = ``None``), environment
    and defaults into :class:`Settings`.

    Raises:
        ConfigurationError: a setting is missing or invalid (never echoing a credential).
        TypeError: a keyword that is not a setting.
    """
    unknown = set(values) - set(SETTING_NAMES)
    if unknown:
        raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    resolved: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = values.get(setting.name)
        if raw is None or (isinstance(raw, str) and raw == ""):
            raw = _env(setting.env)
        resolved[setting.name] = setting.check(raw)
    override: Optional[str] = resolved.pop("base_url")
    root = (
        check_base_url(override, resolved["allow_http_hosts"])
        if override is not None
        else PLATFORM_URLS[resolved["platform"]]
    )
    return Settings(base_url=root, base_url_overridden=override is not None, **resolved)
