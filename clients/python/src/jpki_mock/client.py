"""The client: starts a jpki-mock server (or connects to one) and drives its admin API.

Only the standard library is used: `subprocess` for the server, `urllib.request` for
HTTP.
"""

from __future__ import annotations

import collections
import datetime as _dt
import json
import os
import queue
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref
from typing import Any, Deque, Dict, Iterable, List, Mapping, Optional, Sequence, Union

__all__ = [
    "DEFAULT_CARD",
    "JpkiMock",
    "JpkiMockError",
    "JpkiMockStartError",
    "find_binary",
]

#: The fields `JpkiMock.issue` sends when the caller does not give them: a sample
#: person, as in the project's README.
DEFAULT_CARD: Mapping[str, str] = {
    "name": "山田 太郎",
    "birth": "1990-10-01",
    "gender": "male",
    "address": "東京都品川区広町2-1-36",
}

#: The environment variable that names the binary.
BIN_ENV = "JPKI_MOCK_BIN"

#: `JPKI_MOCK_*` variables of the caller's environment that reach a started server;
#: the others (state, listen address, base URL, admin token, clock, seed) would make
#: the server differ from a fresh `serve --ephemeral --listen 127.0.0.1:0`.
_PASSED_ENV = ("JPKI_MOCK_LOG", "JPKI_MOCK_CONFIG")

_KINDS = ("sign", "auth")

TimeLike = Union[str, _dt.datetime, _dt.date]


class JpkiMockError(Exception):
    """An error answer of the server: HTTP `status`, the API's error `code`
    (`bad_input`, `not_found`, `refused`, `wrong_pin`, …) and its `message`.

    `body` is the whole decoded error body (a dict for the admin API, which may carry
    more fields such as `remaining_tries`; the text for other routes). For an answer
    that is not the admin API's JSON error, `code` is `"http_error"`.
    """

    def __init__(self, status: int, code: str, message: str, body: Any = None, *,
                 method: str = "", url: str = "") -> None:
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {status} {code}: {message}".strip())


class JpkiMockStartError(RuntimeError):
    """The server could not be started: no binary, or it exited or stayed silent
    before its ready line. The message carries the end of the server's stderr."""


def find_binary(explicit: Optional[Union[str, os.PathLike]] = None) -> str:
    """The jpki-mock binary: `explicit` if given, else `$JPKI_MOCK_BIN`, else
    `jpki-mock` on `PATH`. Returns an absolute path; raises `JpkiMockStartError`
    naming what was tried when none is found."""
    for source, value in (("the binary argument", explicit),
                          (f"${BIN_ENV}", os.environ.get(BIN_ENV) or None)):
        if value is None:
            continue
        path = os.path.abspath(os.fspath(value))
        if not os.path.isfile(path):
            raise JpkiMockStartError(f"jpki-mock binary not found: {source} is {value!r}, "
                                     f"and {path} is not a file")
        if not os.access(path, os.X_OK):
            raise JpkiMockStartError(f"jpki-mock binary not executable: {source} is "
                                     f"{value!r} ({path})")
        return path
    found = shutil.which("jpki-mock")
    if found is None:
        raise JpkiMockStartError(
            f"jpki-mock binary not found: ${BIN_ENV} is not set and there is no "
            "`jpki-mock` on PATH. Build it (`cargo build --release` gives "
            f"target/release/jpki-mock) and set {BIN_ENV} to its path, or put it on PATH.")
    return os.path.abspath(found)


def _time_text(value: TimeLike, what: str) -> str:
    """RFC 3339 text for a datetime (which must carry a time zone), YYYY-MM-DD for a
    date (the server reads it as 00:00 JST), a string unchanged."""
    if isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{what}: a datetime needs a time zone (e.g. "
                             f"tzinfo=datetime.timezone.utc), got {value!r}")
        return value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    raise TypeError(f"{what}: expected str, datetime or date, got {type(value).__name__}")


def _cert_list(certs: Union[None, str, Iterable[str]]) -> Optional[List[str]]:
    if certs is None:
        return None
    if isinstance(certs, str):
        return [certs]
    return list(certs)


def _platform(platform: str) -> str:
    """A platform for a path: quoted, so that the server judges what it names."""
    return urllib.parse.quote(str(platform), safe="")


def _kind(kind: str) -> str:
    if kind not in _KINDS:
        raise ValueError(f"kind must be 'sign' or 'auth', got {kind!r}")
    return kind


class _Server:
    """A started `jpki-mock serve` process, its output drained by two threads."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str]) -> None:
        self.argv = list(argv)
        self.stderr_lines: Deque[str] = collections.deque(maxlen=200)
        self.stdout_lines: Deque[str] = collections.deque(maxlen=200)
        self._stdout_queue: "queue.Queue[Optional[str]]" = queue.Queue()
        self.process = subprocess.Popen(
            self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, env=dict(env), close_fds=True)
        self._threads = [
            threading.Thread(target=self._drain_stdout, name="jpki-mock-stdout", daemon=True),
            threading.Thread(target=self._drain_stderr, name="jpki-mock-stderr", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _drain_stdout(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.stdout_lines.append(line)
            self._stdout_queue.put(line)
        self._stdout_queue.put(None)

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.stderr_lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(list(self.stderr_lines)[-lines:])

    def wait_ready(self, timeout: float) -> Dict[str, Any]:
        """The ready line's JSON; raises JpkiMockStartError (after stopping the
        process) if the server exits first or stays silent for `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                line = self._stdout_queue.get(timeout=max(remaining, 0.0))
            except queue.Empty:
                self.stop()
                raise JpkiMockStartError(self._why(
                    f"printed no ready line within {timeout:g} s; stopped it")) from None
            if line is None:
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.stop()
                self._join()
                raise JpkiMockStartError(self._why(
                    f"exited with status {self.process.returncode} before its ready line"))
            try:
                ready = json.loads(line)
            except ValueError:
                continue
            if isinstance(ready, dict) and ready.get("jpki_mock") == "ready":
                return ready

    def _why(self, what: str) -> str:
        tail = self.stderr_tail()
        return (f"jpki-mock server ({' '.join(self.argv)}) {what}.\n"
                f"--- last lines of its stderr ---\n{tail or '(nothing)'}")

    def _join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=5)

    def stop(self, timeout: float = 10.0) -> Optional[int]:
        """SIGTERM (a graceful shutdown), then SIGKILL after `timeout` seconds."""
        code = _terminate(self.process, timeout)
        self._join()
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return code


def _terminate(process: "subprocess.Popen[bytes]", timeout: float = 10.0) -> Optional[int]:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


class JpkiMock:
    """A jpki-mock server and its admin API.

    `JpkiMock.start()` runs `jpki-mock serve --ephemeral --listen 127.0.0.1:0` (a fresh
    in-memory CA on a free port) and waits for it to be ready; use it as a context
    manager, or call `stop()`. `JpkiMock.connect(base_url)` drives a server that is
    already running. `create_tenant()` makes a tenant of the server (an isolated mock
    under `/t/{tenant}`) and returns a client of it. Every admin call raises
    `JpkiMockError` on an error answer.
    """

    def __init__(self, base_url: str, *, admin_token: Optional[str] = None,
                 timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.admin_token = admin_token
        self.timeout = timeout
        #: The ready line's JSON (None for `connect`).
        self.ready: Optional[Dict[str, Any]] = None
        self._server: Optional[_Server] = None
        self._finalizer: Optional[weakref.finalize] = None
        #: The tenant's name, for a client that `create_tenant` made (else None).
        self.tenant: Optional[str] = None
        # The server's own URL: base_url, or for a tenant's client the URL it lives under.
        self._server_url = self.base_url
        self._tenant_deleted = False
        # The mock is local: never go through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    # -- life cycle --------------------------------------------------------------

    @classmethod
    def connect(cls, base_url: str, *, admin_token: Optional[str] = None,
                timeout: float = 30.0) -> "JpkiMock":
        """A client of a server already running at `base_url` (`stop()` leaves it be)."""
        return cls(base_url, admin_token=admin_token, timeout=timeout)

    @classmethod
    def start(cls, binary: Optional[Union[str, os.PathLike]] = None, *,
              args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None,
              startup_timeout: float = 30.0, timeout: float = 30.0) -> "JpkiMock":
        """Starts `BINARY serve --ephemeral --listen 127.0.0.1:0 ARGS…` and returns once
        it printed its ready line.

        The binary is `binary`, else `$JPKI_MOCK_BIN`, else `jpki-mock` on `PATH`. The
        server gets this process's environment without its `JPKI_MOCK_*` variables
        except `JPKI_MOCK_LOG` (default `warn`) and `JPKI_MOCK_CONFIG`, then `env` on
        top. `args` are added to the command line (e.g. `["--config", path]`).
        `timeout` is the limit of each HTTP call, in seconds.
        """
        path = find_binary(binary)
        child_env = {k: v for k, v in os.environ.items()
                     if not k.startswith("JPKI_MOCK_") or k in _PASSED_ENV}
        child_env.setdefault("JPKI_MOCK_LOG", "warn")
        child_env.update(env or {})
        argv = [path, "serve", "--ephemeral", "--listen", "127.0.0.1:0", *args]
        try:
            server = _Server(argv, child_env)
        except OSError as e:
            raise JpkiMockStartError(f"cannot run {path}: {e}") from e
        try:
            ready = server.wait_ready(startup_timeout)
        except BaseException:  # e.g. KeyboardInterrupt: leave no server behind
            server.stop()
            raise
        mock = cls(ready["base_url"], admin_token=child_env.get("JPKI_MOCK_ADMIN_TOKEN"),
                   timeout=timeout)
        mock.ready = ready
        mock._server = server
        # Stops the server if the object is dropped or the interpreter exits first.
        mock._finalizer = weakref.finalize(mock, _terminate, server.process)
        return mock

    def stop(self) -> Optional[int]:
        """Stops a server that `start` started (SIGTERM, then SIGKILL after 10 s) and
        returns its exit status; None for a connected one. For a tenant's client
        (`create_tenant`), deletes the tenant (once; a tenant already gone is not an
        error) and returns None."""
        if self.tenant is not None:
            if not self._tenant_deleted:
                self._tenant_deleted = True
                try:
                    self.delete_tenant(self.tenant)
                except JpkiMockError as e:
                    if e.status != 404:
                        raise
            return None
        if self._server is None:
            return None
        if self._finalizer is not None:
            self._finalizer.detach()
        return self._server.stop()

    def __enter__(self) -> "JpkiMock":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def process(self) -> Optional["subprocess.Popen[bytes]"]:
        """The server process (None for a connected server)."""
        return self._server.process if self._server else None

    def stderr_tail(self, lines: int = 30) -> str:
        """The last lines the started server wrote to stderr (its log)."""
        return self._server.stderr_tail(lines) if self._server else ""

    def __repr__(self) -> str:
        return f"JpkiMock({self.base_url!r})"

    # -- HTTP ----------------------------------------------------------------------

    def _http(self, method: str, path: str, body: Any = None, *,
              accept: str = "application/json", root: Optional[str] = None) -> Any:
        url = (self.base_url if root is None else root) + path
        data = None
        headers = {"Accept": accept}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        if self.admin_token and path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.admin_token}"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return _decoded(response.headers.get("Content-Type", ""), response.read())
        except urllib.error.HTTPError as e:
            try:
                raw = e.read()
            except OSError:
                raw = b""
            finally:
                e.close()
            decoded = _decoded(e.headers.get("Content-Type", "") if e.headers else "", raw)
            if isinstance(decoded, dict) and "error" in decoded:
                raise JpkiMockError(e.code, str(decoded["error"]),
                                    str(decoded.get("message", "")), decoded,
                                    method=method, url=url) from None
            text = decoded if isinstance(decoded, str) else json.dumps(decoded)
            raise JpkiMockError(e.code, "http_error", text.strip() or str(e.reason), decoded,
                                method=method, url=url) from None
        except urllib.error.URLError as e:
            server = self._server
            if server is not None and server.process.poll() is not None:
                raise ConnectionError(
                    f"{method} {url}: the jpki-mock server has exited (status "
                    f"{server.process.returncode}).\n--- last lines of its stderr ---\n"
                    f"{server.stderr_tail() or '(nothing)'}") from e
            raise

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Any admin API call: `api("POST", "/cards/2/reissue")` sends to
        `/api/v1/cards/2/reissue`; returns the decoded JSON answer."""
        if not path.startswith("/"):
            path = "/" + path
        return self._http(method.upper(), "/api/v1" + path, body)

    # -- tenants ---------------------------------------------------------------------

    def create_tenant(self, name: Optional[str] = None, *,
                      ttl_seconds: Union[None, int, float, _dt.timedelta] = None,
                      preset: Optional[str] = None) -> "JpkiMock":
        """Creates a tenant of the server (`POST /api/v1/tenants`): a whole mock of its
        own (CAs, cards, clock, faults, request log) under `{base_url}/t/{tenant}`.
        Returns a client of it: every method works on it, with its own `base_url` and
        admin token; `tenant` is its name. Its `stop()` (or leaving a `with` block)
        deletes the tenant; one never stopped lives until its time to live runs out
        (`ttl_seconds`, in real time; none by default) or the server stops.

        `name` is 1 to 63 characters of `a-z`, `0-9` and `-` (default: a random
        `t-…`); `preset` a configuration preset of the server (e.g. `jpki-test`). A bad
        name or a taken one is a `JpkiMockError` (400 `bad_input`, 409 `refused`)."""
        body: Dict[str, Any] = {}
        if name is not None:
            body["name"] = name
        if ttl_seconds is not None:
            body["ttl_seconds"] = int(ttl_seconds.total_seconds()
                                      if isinstance(ttl_seconds, _dt.timedelta)
                                      else ttl_seconds)
        if preset is not None:
            body["preset"] = preset
        created = self._http("POST", "/api/v1/tenants", body, root=self._server_url)
        tenant = type(self)(created["base_url"], admin_token=created["admin_token"],
                            timeout=self.timeout)
        tenant.tenant = created["tenant"]
        tenant._server_url = self._server_url
        return tenant

    def tenants(self) -> List[Dict[str, Any]]:
        """The server's tenants (`GET /api/v1/tenants`): `tenant`, `base_url`,
        `created_at` and `expires_at` (None without a time to live)."""
        return self._http("GET", "/api/v1/tenants", root=self._server_url)["tenants"]

    def delete_tenant(self, name: str) -> None:
        """Deletes the server's tenant `name` (`DELETE /api/v1/tenants/{name}`); a
        `not_found` JpkiMockError (404) if there is none."""
        self._http("DELETE", "/api/v1/tenants/" + urllib.parse.quote(name, safe=""),
                   root=self._server_url)

    # -- cards -----------------------------------------------------------------------

    def issue(self, **fields: Any) -> Dict[str, Any]:
        """Issues a card (`POST /api/v1/cards`) and returns the answer: `card_id`,
        `card_expiry`, `fee_yen`, and `sign`/`auth` with `serial`, `serial_hex`,
        `not_before`, `not_after`, `cert_pem`, `key_pem`, `chain_pem`, ….

        Fields are the API's (`name`, `birth`, `gender`, `address`, `locality`,
        `issued_on`, `card_expiry`, `sign_pin`, `auth_pin`, `only`, `force_sign`,
        `key_alg`); `name`, `birth`, `gender` and `address` default to a sample person
        (`DEFAULT_CARD`). Dates may be `datetime.date` objects."""
        body: Dict[str, Any] = dict(DEFAULT_CARD)
        for key, value in fields.items():
            if isinstance(value, (_dt.date, _dt.datetime)):
                value = _time_text(value, key)
            body[key] = value
        return self.api("POST", "/cards", body)

    def card(self, card_id: int) -> Dict[str, Any]:
        """A card and its certificates with their status (`GET /api/v1/cards/{id}`)."""
        return self.api("GET", f"/cards/{int(card_id)}")

    def cert(self, serial: int) -> Dict[str, Any]:
        """One certificate (`GET /api/v1/certs/{serial}`)."""
        return self.api("GET", f"/certs/{int(serial)}")

    def revoke(self, card_id: int, cause: str,
               certs: Union[None, str, Iterable[str]] = None, *,
               at: Optional[TimeLike] = None,
               platform: Optional[str] = None) -> Dict[str, Any]:
        """Records an event that revokes certificates (`POST /api/v1/cards/{id}/events`):
        `cause` is `lost`, `stolen`, `address_change`, `name_change`,
        `card_invalidated`, `stop`, `ex_officio`, `leak`, `emigration`, or one about a
        phone, `phone_lost`, `phone_stolen`, `device_change`, `device_disposed`, which
        needs `platform` (`"android"` or `"ios"`); `certs` (`"sign"`, `"auth"` or a
        list) where the cause allows a choice; `at` the event's time. Returns the
        report: `{card_id, cause, revoked: [{serial, kind, reason, revoked_at}],
        message}`."""
        body: Dict[str, Any] = {"cause": cause}
        listed = _cert_list(certs)
        if listed is not None:
            body["certs"] = listed
        if at is not None:
            body["at"] = _time_text(at, "at")
        if platform is not None:
            body["platform"] = platform
        return self.api("POST", f"/cards/{int(card_id)}/events", body)

    def issue_signing_certificate(self, card_id: int, *, name: Optional[str] = None,
                                  address: Optional[str] = None,
                                  locality: Optional[str] = None,
                                  sign_pin: Optional[str] = None) -> Dict[str, Any]:
        """A new signing certificate on a card whose signing certificate was revoked
        (after `name_change`, `address_change`, `emigration`, …), with the new facts
        (`POST /api/v1/cards/{id}/certs/sign`): `name`, `address` (with `locality` for
        one abroad) and `sign_pin` default to the card's, which keeps the new ones.
        Returns `{card_id, card_expiry, fee_yen, sign: {serial, …, cert_pem, key_pem,
        chain_pem}}`; a `refused` JpkiMockError (409) while the signing certificate is
        still good."""
        body: Dict[str, Any] = {}
        for key, value in (("name", name), ("address", address), ("locality", locality),
                           ("sign_pin", sign_pin)):
            if value is not None:
                body[key] = value
        return self.api("POST", f"/cards/{int(card_id)}/certs/sign", body)

    # -- phones ----------------------------------------------------------------------

    def issue_phone(self, card_id: int, platform: str,
                    device_id: Optional[str] = None) -> Dict[str, Any]:
        """Issues a phone's signing and auth certificates for the card's holder
        (`POST /api/v1/cards/{id}/phones`): `platform` is `"android"` or `"ios"`,
        `device_id` the device's (default: made up). Returns `{card_id, card_expiry,
        fee_yen, platform, device_id, sign: {…}, auth: {…}}` like `issue`; a set already
        on that platform is revoked (`device_change`) and listed under `revoked`."""
        body: Dict[str, Any] = {"platform": platform}
        if device_id is not None:
            body["device_id"] = device_id
        return self.api("POST", f"/cards/{int(card_id)}/phones", body)

    def suspend_phone(self, card_id: int, platform: str) -> Dict[str, Any]:
        """Suspends a lost phone (`POST /api/v1/cards/{id}/phones/{platform}/suspend`):
        both its certificates on hold (`certificateHold`, cause `phone_lost`). Returns
        the report: `{card_id, cause, revoked: [{serial, kind, reason, revoked_at}],
        message}`."""
        return self.api("POST", f"/cards/{int(card_id)}/phones/{_platform(platform)}/suspend",
                        {})

    def resume_phone(self, card_id: int, platform: str) -> Dict[str, Any]:
        """Resumes a suspended phone (`POST /api/v1/cards/{id}/phones/{platform}/resume`):
        the hold on its auth certificate is lifted (OCSP says good again, the CRL no
        longer lists it), and its signing certificate, which stays revoked, is
        re-issued. Returns `{card_id, card_expiry, fee_yen, platform, device_id, sign:
        {… the new signing certificate …}, lifted: [serial, …]}`; a `refused`
        JpkiMockError (409) if the phone is not suspended."""
        return self.api("POST", f"/cards/{int(card_id)}/phones/{_platform(platform)}/resume",
                        {})

    # -- links and latest facts ----------------------------------------------------------

    def links(self, serial: int) -> Dict[str, Any]:
        """A certificate's links (`GET /api/v1/certs/{serial}/links`): `{serial, pair,
        predecessor, successors: [{serial, event}], current}`, `pair` being the other
        certificate of the same card or phone, `current` the newest certificate its
        chain of successors leads to."""
        return self.api("GET", f"/certs/{int(serial)}/links")

    def latest_facts(self, serial: int) -> Dict[str, Any]:
        """The holder's latest basic four facts (`GET /api/v1/certs/{serial}/latest-facts`):
        `{serial, card_id, name, birth_date, gender, address}` as the signing
        certificate's subjectAltName carries them. A `forbidden` JpkiMockError (403)
        unless the card consents (`set_latest_facts_consent`)."""
        return self.api("GET", f"/certs/{int(serial)}/latest-facts")

    def set_latest_facts_consent(self, card_id: int, consent: bool) -> Dict[str, Any]:
        """Sets a card's consent to the latest-facts service
        (`PUT /api/v1/cards/{id}/latest-facts-consent`); returns `{card_id,
        latest_facts_consent}`."""
        return self.api("PUT", f"/cards/{int(card_id)}/latest-facts-consent",
                        {"consent": bool(consent)})

    def renew(self, card_id: int,
              certs: Union[None, str, Iterable[str]] = None) -> Dict[str, Any]:
        """Renews a card's certificates inside the renewal window
        (`POST /api/v1/cards/{id}/renew`); a `refused` JpkiMockError (409) outside it."""
        body: Dict[str, Any] = {}
        listed = _cert_list(certs)
        if listed is not None:
            body["certs"] = listed
        return self.api("POST", f"/cards/{int(card_id)}/renew", body)

    # -- clock -----------------------------------------------------------------------

    def clock(self) -> Dict[str, Any]:
        """The server's clock: `{mode, now, …}`."""
        return self.api("GET", "/clock")

    def set_clock(self, now: TimeLike) -> Dict[str, Any]:
        """Fixes the server's clock at `now`: RFC 3339 text, a date (`YYYY-MM-DD`, 00:00
        JST), a `datetime` with a time zone, or a `date`."""
        return self.api("PUT", "/clock", {"now": _time_text(now, "now")})

    def set_clock_offset(self, offset: Union[int, float, _dt.timedelta]) -> Dict[str, Any]:
        """Runs the server's clock at real time plus `offset` (seconds or a timedelta)."""
        seconds = offset.total_seconds() if isinstance(offset, _dt.timedelta) else offset
        return self.api("PUT", "/clock", {"offset_seconds": int(seconds)})

    def reset_clock(self) -> Dict[str, Any]:
        """Back to real time (`DELETE /api/v1/clock`)."""
        return self.api("DELETE", "/clock")

    # -- faults ----------------------------------------------------------------------

    def faults(self) -> List[Dict[str, Any]]:
        """The faults in force, with the counts they have left."""
        return self.api("GET", "/faults")["faults"]

    def inject(self, fault: Mapping[str, Any]) -> List[Dict[str, Any]]:
        """Adds one fault to those in force, e.g. `{"fault": "ocsp_status", "status":
        "tryLater", "ca": "sign", "count": 1}`; returns the list now in force. (The API
        sets the whole list: this reads it and writes it back with `fault` added.)"""
        if not isinstance(fault, Mapping) or "fault" not in fault:
            raise ValueError(f'a fault is a mapping with a "fault" key, got {fault!r}')
        return self.api("PUT", "/faults", self.faults() + [dict(fault)])["faults"]

    def clear_faults(self) -> None:
        """Removes every fault."""
        self.api("DELETE", "/faults")

    # -- request log ------------------------------------------------------------------

    def requests(self, serial: Optional[int] = None,
                 since: Optional[TimeLike] = None) -> List[Dict[str, Any]]:
        """The OCSP and CRL requests the server received, oldest first; `serial` keeps
        those that asked about that serial, `since` those that arrived since then."""
        query = {}
        if serial is not None:
            query["serial"] = str(int(serial))
        if since is not None:
            query["since"] = _time_text(since, "since")
        path = "/requests" + ("?" + urllib.parse.urlencode(query) if query else "")
        return self.api("GET", path)["requests"]

    def clear_requests(self) -> None:
        """Empties the request log."""
        self.api("DELETE", "/requests")

    def reset(self) -> None:
        """Real time, no faults, an empty request log (cards and revocations stay)."""
        self.reset_clock()
        self.clear_faults()
        self.clear_requests()

    # -- published objects --------------------------------------------------------------

    def ca_pem(self, kind: str = "sign", generation: Optional[int] = None) -> str:
        """The CA certificate of `kind` (`sign` or `auth`) in PEM: the current
        generation's, or generation `generation`'s."""
        path = (f"/ca/{_kind(kind)}.pem" if generation is None
                else f"/ca/{_kind(kind)}/{int(generation)}.pem")
        return self._http("GET", path, accept="application/x-pem-file")

    def ocsp_url(self, kind: str = "sign") -> str:
        """The OCSP responder's URL for `kind` (the one the certificates carry)."""
        return f"{self.base_url}/ocsp/{_kind(kind)}"

    def crl_url(self, kind: str = "sign") -> str:
        """The URL of generation 1's CRL for `kind`."""
        return f"{self.base_url}/crl/{_kind(kind)}.crl"


def _decoded(content_type: str, data: bytes) -> Any:
    if content_type.split(";")[0].strip().lower() == "application/json":
        try:
            return json.loads(data.decode("utf-8"))
        except ValueError:
            pass
    return data.decode("utf-8", "replace")
