"""vnstream dashboard: a small web server between browsers and the gateway.

Serves the page (static/, and the charting library from node_modules) and,
per browser, one Server-Sent-Events stream fed by the gateway's gRPC
subscriptions (quotes of the watch list and the indices; bars, history and
signals of the selected symbol; market breadth of the chosen scopes), so the
page updates live without polling. Unary reads for the symbol search
(ListSymbols) and the history range (GetCandles). The browser talks only to
this server; this server is the only one talking to the gateway.
Standard library HTTP + the vnstream Python package (clients/python).

Security (secure by default; the demo relaxes nothing but where it runs):
  * HTTPS only (--tls_cert/--tls_key), or plain HTTP behind a proxy that
    terminates HTTPS for the browsers (--behind_https_proxy: a Kubernetes
    Ingress); plain HTTP to browsers needs --insecure_http and says so
    loudly.
  * A login: the operator's password (--password_file or the environment
    variable VNSTREAM_DASHBOARD_PASSWORD). A session is a random 256-bit id in
    a cookie that is HttpOnly, Secure and SameSite=Strict (name __Host-...),
    renewed at each login, idle-expiring. Nothing that touches the gateway
    answers without one: the page redirects to /login, /api/* say 401.
  * CSRF: the only state-changing requests (POST /login, /logout) must come
    from this origin (the Origin header); SameSite=Strict keeps the cookie
    off cross-site requests; Content-Security-Policy allows no inline script
    and no framing.
  * Limits: failed logins per client address and in total (per minute),
    live streams per session, per client address and in total, open
    connections per client address and in total, idle connections closed.
  * The gateway is reached over TLS with the dashboard's own API key
    (--api_key_file or VNSTREAM_DASHBOARD_API_KEY): the gateway applies that
    key's entitlements and quotas to everything the dashboard relays.

    clients/python/install.sh ~/.cache/vnstream/venv/bin/python .run/python
    PYTHONPATH=.run/python ~/.cache/vnstream/venv/bin/python clients/dashboard/server.py \\
        --gateway 127.0.0.1:50051 --gateway_ca .run/certs/ca.pem \\
        --api_key_file .run/dashboard.key --password_file .run/dashboard.password \\
        --tls_cert .run/certs/dashboard.pem --tls_key .run/certs/dashboard.key --port 8443
"""

import argparse
import collections
import datetime
import hashlib
import hmac
import json
import os
import pathlib
import queue
import secrets
import select
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from vnstream import connect, subscribe
from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

HERE = pathlib.Path(__file__).resolve().parent

# Public files: code, style and icon, no data. The page itself needs a session.
PUBLIC = {"/app.js": ("app.js", "text/javascript"),
          "/charts.js": ("charts.js", "text/javascript"),
          "/i18n.js": ("i18n.js", "text/javascript"),
          "/style.css": ("style.css", "text/css"),
          "/favicon.svg": ("favicon.svg", "image/svg+xml")}
# The charting library, installed from npm by scripts/setup.sh (npm ci) and
# served from here: the page loads nothing from other sites.
VENDOR = {"/vendor/lightweight-charts.js":
          HERE / "node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js"}
# Per browser stream: the watch list (the page keeps at most 50), the
# indices (at most 20) and the selected symbol fit the gateway's default
# max_symbols_per_subscription (100). More is refused, never cut silently.
MAX_SYMBOLS = 100
MAX_SCOPES = 8
SEARCH_RESULTS = 50
INTERVALS = {"1D": "BAR_INTERVAL_ONE_DAY", "1W": "BAR_INTERVAL_ONE_WEEK",
             "1M": "BAR_INTERVAL_ONE_MONTH"}

LOGIN_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vnstream — sign in</title>
<link rel="stylesheet" href="/style.css">
<link rel="icon" href="/favicon.svg" type="image/svg+xml"></head>
<body><header><h1>vnstream</h1></header>
<form method="post" action="/login" class="panel">
<label>Password <input type="password" name="password" autocomplete="current-password"
 autofocus required></label> <button type="submit">Sign in</button>
<p class="error">{error}</p></form></body></html>
"""

SECURITY_HEADERS = [
    ("Content-Security-Policy",
     "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
     "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
     "object-src 'none'"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    # Not no-referrer: with it, browsers send "Origin: null" on the sign-in
    # form's POST and the CSRF check (same_origin) refuses every sign-in.
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
]


def to_json(message):
    return json.dumps(MessageToDict(message, preserving_proto_field_name=True,
                                    use_integers_for_enums=False))


def symbols_from(query, name="symbols"):
    raw = query.get(name, [""])[0]
    out = []
    for s in raw.split(","):
        s = s.strip().upper()
        if s and s not in out:
            out.append(s)
    return out


def search_symbols(stub, text, instrument_type):
    """ListSymbols, filtered by `text` (symbol prefix first, then a symbol or
    name containing it) and type; at most SEARCH_RESULTS, and how many
    matched."""
    request = pb.ListSymbolsRequest()
    if instrument_type:
        request.types.append(records.InstrumentType.Value("INSTRUMENT_TYPE_" + instrument_type))
    text = text.strip().upper()
    found = [s for s in stub.ListSymbols(request, timeout=15).symbols
             if not text or text in s.symbol or text in s.name.upper()]
    found.sort(key=lambda s: (not s.symbol.startswith(text), s.symbol))
    return {"symbols": [json.loads(to_json(s)) for s in found[:SEARCH_RESULTS]],
            "matched": len(found)}


def utc_midnight(text):
    """'YYYY-MM-DD' -> a Timestamp at 00:00 Asia/Ho_Chi_Minh (UTC+7) of that
    day, where GetCandles starts daily candles."""
    day = datetime.datetime.strptime(text, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone(datetime.timedelta(hours=7)))
    stamp = Timestamp()
    stamp.FromDatetime(day.astimezone(datetime.timezone.utc))
    return stamp


def candles(stub, symbol, start, end, interval):
    """GetCandles over [start, end) with indicators, all pages in one
    response."""
    request = pb.GetCandlesRequest(symbol=symbol, interval=INTERVALS[interval],
                                   with_indicators=True)
    request.start.CopyFrom(utc_midnight(start))
    request.end.CopyFrom(utc_midnight(end))
    result = pb.GetCandlesResponse()
    while True:
        page = stub.GetCandles(request, timeout=30)
        token = page.next_page_token
        page.ClearField("next_page_token")
        result.MergeFrom(page)
        if not token:
            return result
        request.page_token = token


def read_secret(path, env):
    """A secret from a file (trailing newline dropped) or the environment."""
    if path:
        return pathlib.Path(path).read_text().strip()
    return os.environ.get(env, "").strip()


class RateLimit:
    """At most `limit` events per `window` seconds per key (sliding log).
    Thread-safe."""

    def __init__(self, limit, window):
        self.limit, self.window = limit, window
        self.events = collections.defaultdict(collections.deque)
        self.lock = threading.Lock()

    def allow(self, key):
        now = time.monotonic()
        with self.lock:
            log = self.events[key]
            while log and log[0] <= now - self.window:
                log.popleft()
            if len(log) >= self.limit:
                return False
            log.append(now)
            if len(self.events) > 10000:  # Forget idle keys.
                for k in [k for k, v in self.events.items() if not v]:
                    del self.events[k]
            return True


class Counter:
    """Open things (streams, connections) per key with a cap per key and in
    total. Thread-safe."""

    def __init__(self, per_key, total):
        self.per_key, self.total = per_key, total
        self.counts = collections.Counter()
        self.sum = 0
        self.lock = threading.Lock()

    def acquire(self, *keys):
        """Counts one for every key, or nothing when a cap is reached."""
        with self.lock:
            if self.sum >= self.total or any(
                    self.counts[k] >= limit for k, limit in keys):
                return False
            for k, _ in keys:
                self.counts[k] += 1
            self.sum += 1
            return True

    def release(self, *keys):
        with self.lock:
            for k, _ in keys:
                self.counts[k] -= 1
                if self.counts[k] <= 0:
                    del self.counts[k]
            self.sum -= 1


class Sessions:
    """Signed-in browsers: random ids, idle and absolute expiry, a cap (the
    oldest goes first). Thread-safe."""

    def __init__(self, idle, lifetime, limit):
        self.idle, self.lifetime, self.limit = idle, lifetime, limit
        self.sessions = collections.OrderedDict()  # id -> (created, last seen)
        self.lock = threading.Lock()

    def create(self):
        sid = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self.lock:
            self.sessions[sid] = [now, now]
            while len(self.sessions) > self.limit:
                self.sessions.popitem(last=False)
        return sid

    def valid(self, sid):
        if not sid:
            return False
        now = time.monotonic()
        with self.lock:
            times = self.sessions.get(sid)
            if times is None:
                return False
            if now - times[1] > self.idle or now - times[0] > self.lifetime:
                del self.sessions[sid]
                return False
            times[1] = now
            return True

    def delete(self, sid):
        with self.lock:
            self.sessions.pop(sid, None)


class Handler(BaseHTTPRequestHandler):
    # Set by main().
    client = None
    config = None
    protocol_version = "HTTP/1.1"
    # Idle connections (and clients that stop reading) are closed.
    timeout = 60

    def log_message(self, fmt, *args):  # Quieter than the default.
        sys.stderr.write("dashboard: " + (fmt % args) + "\n")

    # ---- responses ---------------------------------------------------------

    def send_head(self, code, content_type=None, length=None, headers=()):
        self.send_response(code)
        for name, value in SECURITY_HEADERS:
            self.send_header(name, value)
        if self.config.https:
            self.send_header("Strict-Transport-Security", "max-age=31536000")
        if content_type:
            self.send_header("Content-Type", content_type + "; charset=utf-8")
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def send_body(self, code, content_type, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_head(code, content_type, len(data), headers)
        self.wfile.write(data)

    def redirect(self, location, headers=()):
        self.send_head(303, length=0, headers=[("Location", location), *headers])

    # ---- sessions ----------------------------------------------------------

    @property
    def cookie_name(self):
        # __Host-: the browser keeps it to this exact origin (Secure, Path=/,
        # no Domain). Plain HTTP (--insecure_http) cannot have Secure cookies.
        return "__Host-vnstream" if self.config.https else "vnstream"

    def session_id(self):
        for part in self.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == self.cookie_name:
                return value
        return None

    def signed_in(self):
        return self.config.sessions.valid(self.session_id())

    def cookie(self, value, max_age):
        attributes = f"Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}"
        if self.config.https:
            attributes += "; Secure"
        return ("Set-Cookie", f"{self.cookie_name}={value}; {attributes}")

    def same_origin(self):
        """POSTs must come from a page of this origin (CSRF)."""
        origin = self.headers.get("Origin")
        scheme = "https" if self.config.https else "http"
        return origin is not None and origin == f"{scheme}://{self.headers.get('Host', '')}"

    # ---- routes ------------------------------------------------------------

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path in PUBLIC:
            name, content_type = PUBLIC[url.path]
            self.send_body(200, content_type, (HERE / "static" / name).read_bytes())
        elif url.path in VENDOR:
            if VENDOR[url.path].is_file():
                self.send_body(200, "text/javascript", VENDOR[url.path].read_bytes())
            else:
                self.send_body(500, "text/plain", f"{VENDOR[url.path]} is missing: run "
                               "scripts/setup.sh (npm ci in clients/dashboard)\n")
        elif url.path == "/healthz":
            self.send_body(200, "text/plain", "ok\n")
        elif url.path == "/login":
            self.send_body(200, "text/html", LOGIN_PAGE.format(error=""))
        elif not self.signed_in():
            if url.path.startswith("/api/"):
                self.send_body(401, "application/json", '{"error": "sign in first"}')
            else:
                self.redirect("/login")
        elif url.path == "/":
            self.send_body(200, "text/html", (HERE / "static" / "index.html").read_bytes())
        elif url.path == "/api/history":
            self.unary(lambda: self.client.stub.GetHistory(
                pb.GetHistoryRequest(symbol=query.get("symbol", [""])[0],
                                     limit=int(query.get("limit", ["250"])[0])), timeout=15))
        elif url.path == "/api/symbols":
            self.unary_json(lambda: search_symbols(self.client.stub, query.get("q", [""])[0],
                                                   query.get("type", [""])[0].upper()))
        elif url.path == "/api/candles":
            self.candles(query)
        elif url.path == "/api/events":
            symbols, scopes = symbols_from(query), symbols_from(query, "scopes")
            if len(symbols) > MAX_SYMBOLS or len(scopes) > MAX_SCOPES:
                self.send_body(400, "text/plain",
                               f"at most {MAX_SYMBOLS} symbols and {MAX_SCOPES} scopes\n")
            else:
                self.events(symbols, query.get("focus", [""])[0].upper(), scopes)
        else:
            self.send_body(404, "text/plain", "not found\n")

    def do_POST(self):  # noqa: N802
        url = urlparse(self.path)
        if url.path not in ("/login", "/logout"):
            self.send_body(404, "text/plain", "not found\n")
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > 4096:
            self.send_body(413, "text/plain", "too large\n")
            self.close_connection = True
            return
        body = self.rfile.read(length).decode(errors="replace")
        if not self.same_origin():
            self.send_body(403, "text/plain", "cross-origin request refused\n")
            return
        if url.path == "/logout":
            self.config.sessions.delete(self.session_id())
            self.redirect("/login", [self.cookie("", 0)])
            return
        client = self.client_address[0]
        if not (self.config.login_per_client.allow(client) and
                self.config.login_total.allow("all")):
            self.send_body(429, "text/html", LOGIN_PAGE.format(
                error="Too many sign-in attempts; wait a minute."))
            return
        password = parse_qs(body).get("password", [""])[0]
        # Digests: the comparison takes the same time whatever the length.
        if not hmac.compare_digest(hashlib.sha256(password.encode()).digest(),
                                   self.config.password_digest):
            self.log_message("failed sign-in from %s", client)
            self.send_body(401, "text/html", LOGIN_PAGE.format(error="Wrong password."))
            return
        sid = self.config.sessions.create()
        self.redirect("/", [self.cookie(sid, int(self.config.sessions.lifetime))])

    def unary(self, call):
        self.unary_json(lambda: json.loads(to_json(call())))

    def unary_json(self, call):
        """Answers with call()'s JSON, or the gateway's answer when it is an
        error: {"error": {"code": "NOT_FOUND", ...}} (UNIMPLEMENTED: the
        gateway does not serve that call yet), as a relayed answer (200)."""
        try:
            self.send_body(200, "application/json", json.dumps(call()))
        except grpc.RpcError as error:
            self.send_body(200, "application/json", json.dumps(
                {"error": {"code": error.code().name, "message": error.details()}}))
        except ValueError as error:  # A malformed query (dates, type).
            self.send_body(400, "application/json",
                           json.dumps({"code": "INVALID_ARGUMENT", "message": str(error)}))

    def candles(self, query):
        """/api/candles?symbol=FPT&start=YYYY-MM-DD&end=YYYY-MM-DD[&interval=1D]"""
        arg = lambda name, default="": query.get(name, [default])[0]  # noqa: E731
        interval = arg("interval", "1D")
        if interval not in INTERVALS:
            self.send_body(400, "application/json", json.dumps(
                {"code": "INVALID_ARGUMENT", "message": f"interval: one of {sorted(INTERVALS)}"}))
            return
        self.unary(lambda: candles(self.client.stub, arg("symbol").upper(), arg("start"), arg("end"),
                                   interval))

    def events(self, symbols, focus, scopes):
        """Server-Sent Events: {"stream": quotes|bars|history|signals|market,
        "event": MarketEvent} or {"stream": ..., "error": ...}."""
        if not symbols:
            self.send_body(400, "text/plain", "symbols=FPT,VCB,... required\n")
            return
        keys = ((("session", self.session_id()), self.config.streams_per_session),
                (("client", self.client_address[0]), self.config.streams_per_client))
        if not self.config.streams.acquire(*keys):
            self.send_body(429, "text/plain", "too many live streams\n")
            return
        try:
            self.stream_events(symbols, focus, scopes)
        finally:
            self.config.streams.release(*keys)

    def browser_closed(self):
        """Whether the browser closed an event stream's connection: it sends
        nothing after its GET, so the socket turning readable is its end."""
        return bool(select.select([self.connection], [], [], 0)[0])

    def stream_events(self, symbols, focus, scopes):
        self.send_head(200, "text/event-stream")
        out = queue.Queue(maxsize=10000)
        streams = [("quotes", symbols)]
        if focus:
            streams += [("bars", [focus]), ("history", [focus]), ("signals", [focus])]
        if scopes:
            streams.append(("market", scopes))

        subscriptions = [(kind, subscribe(self.client, kind, syms)) for kind, syms in streams]

        def pump(kind, subscription):
            try:
                for event in subscription:
                    out.put(json.dumps({"stream": kind, "event": json.loads(to_json(event))}))
            except grpc.RpcError as error:
                out.put(json.dumps({"stream": kind, "error": error.details()}))

        threads = [threading.Thread(target=pump, args=s, daemon=True) for s in subscriptions]
        for t in threads:
            t.start()
        try:
            written = time.monotonic()
            # Signing out ends the stream, and so does the browser closing it
            # (the page opens a new stream whenever what it shows changes):
            # noticed within a second, so a closed stream stops counting
            # against the limits before the next one is refused.
            while self.signed_in() and not self.browser_closed():
                try:
                    item = out.get(timeout=1)
                    self.wfile.write(f"data: {item}\n\n".encode())
                except queue.Empty:
                    if time.monotonic() - written < 15:
                        continue
                    self.wfile.write(b": keepalive\n\n")
                written = time.monotonic()
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, ssl.SSLError):
            pass  # The browser went away.
        finally:
            for _, subscription in subscriptions:
                subscription.close()
            self.close_connection = True


class Server(ThreadingHTTPServer):
    """Bounds connections per client address and in total; TLS handshakes
    run on the connection's thread, not the accepting one."""

    daemon_threads = True

    def __init__(self, address, handler, config):
        super().__init__(address, handler)
        self.config = config
        self.connections = Counter(config.connections_per_client, config.max_connections)

    def process_request(self, request, client_address):
        key = (("client", client_address[0]), self.connections.per_key)
        if not self.connections.acquire(key):
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request, client_address):
        try:
            if self.config.tls is not None:
                request.settimeout(Handler.timeout)
                request = self.config.tls.wrap_socket(request, server_side=True)
            super().process_request_thread(request, client_address)
        except (ssl.SSLError, OSError):
            self.shutdown_request(request)
        finally:
            self.connections.release((("client", client_address[0]),
                                      self.connections.per_key))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", default="127.0.0.1:50051")
    parser.add_argument("--gateway_ca", help="PEM of the gateway's CA (demo: .run/certs/ca.pem)")
    parser.add_argument("--gateway_cert", help="mutual TLS: the dashboard's client certificate")
    parser.add_argument("--gateway_key", help="mutual TLS: its private key")
    parser.add_argument("--gateway_plaintext", action="store_true",
                        help="no TLS to the gateway (one run with insecure_plaintext only)")
    parser.add_argument("--api_key_file",
                        help="the dashboard's gateway API key (else VNSTREAM_DASHBOARD_API_KEY)")
    parser.add_argument("--password_file",
                        help="the sign-in password (else VNSTREAM_DASHBOARD_PASSWORD)")
    parser.add_argument("--tls_cert", help="HTTPS certificate (PEM)")
    parser.add_argument("--tls_key", help="its private key (PEM)")
    parser.add_argument("--behind_https_proxy", action="store_true",
                        help="serve HTTP to a proxy that serves HTTPS to the browsers (an "
                        "Ingress): cookies stay Secure, Origin checks expect https")
    parser.add_argument("--insecure_http", action="store_true",
                        help="serve plain HTTP to browsers: passwords and cookies in the clear")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443, help="0 = any free port")
    parser.add_argument("--session_idle_minutes", type=float, default=120)
    parser.add_argument("--session_hours", type=float, default=12)
    parser.add_argument("--max_sessions", type=int, default=1000)
    parser.add_argument("--streams_per_session", type=int, default=6)
    parser.add_argument("--streams_per_client", type=int, default=12)
    parser.add_argument("--max_streams", type=int, default=200)
    parser.add_argument("--connections_per_client", type=int, default=32)
    parser.add_argument("--max_connections", type=int, default=512)
    parser.add_argument("--logins_per_minute_per_client", type=int, default=10)
    parser.add_argument("--logins_per_minute", type=int, default=100)
    args = parser.parse_args()

    password = read_secret(args.password_file, "VNSTREAM_DASHBOARD_PASSWORD")
    if not password:
        parser.error("no password: --password_file or VNSTREAM_DASHBOARD_PASSWORD")
    api_key = read_secret(args.api_key_file, "VNSTREAM_DASHBOARD_API_KEY") or None
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls_cert and --tls_key go together")
    if not args.tls_cert and not args.insecure_http and not args.behind_https_proxy:
        parser.error("no --tls_cert/--tls_key: the dashboard serves HTTPS only "
                     "(--behind_https_proxy behind an Ingress; --insecure_http serves "
                     "plain HTTP, explicitly)")
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    elif args.behind_https_proxy:
        print("dashboard: serving HTTP to an HTTPS proxy (--behind_https_proxy)",
              file=sys.stderr, flush=True)
    else:
        print("dashboard: INSECURE: serving plain HTTP (--insecure_http): the password "
              "and session cookies cross the network in the clear", file=sys.stderr, flush=True)

    config = argparse.Namespace(
        # What the browsers see: cookies, HSTS and Origin checks follow it.
        https=tls is not None or args.behind_https_proxy, tls=tls,
        password_digest=hashlib.sha256(password.encode()).digest(),
        sessions=Sessions(args.session_idle_minutes * 60, args.session_hours * 3600,
                          args.max_sessions),
        streams=Counter(None, args.max_streams),
        streams_per_session=args.streams_per_session,
        streams_per_client=args.streams_per_client,
        connections_per_client=args.connections_per_client,
        max_connections=args.max_connections,
        login_per_client=RateLimit(args.logins_per_minute_per_client, 60),
        login_total=RateLimit(args.logins_per_minute, 60))
    Handler.config = config
    Handler.client = connect(args.gateway, tls=not args.gateway_plaintext,
                             root_ca=args.gateway_ca, client_cert=args.gateway_cert,
                             client_key=args.gateway_key, api_key=api_key)
    server = Server((args.host, args.port), Handler, config)
    scheme = "https" if tls else "http"
    print(f"dashboard on {scheme}://{args.host}:{server.server_address[1]}/ "
          f"(gateway {args.gateway})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
