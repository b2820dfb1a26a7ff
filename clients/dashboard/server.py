"""vnstream dashboard: a small web server between browsers and the gateway.

Serves the page (static/, and the charting library from node_modules) and,
per browser, one Server-Sent-Events stream fed by the gateway's gRPC
subscriptions (quotes of the watch list and the indices; bars, history and
signals of the selected symbol; market breadth of the chosen scopes), so the
page updates live without polling. Unary reads for the symbol search
(ListSymbols) and the history range (GetCandles). The browser talks only to
this server; this server is the only one talking to the gateway.
Standard library HTTP + the vnstream Python package (clients/python):

    clients/python/install.sh ~/.cache/vnstream/venv/bin/python .run/python
    PYTHONPATH=.run/python ~/.cache/vnstream/venv/bin/python \
        clients/dashboard/server.py --gateway 127.0.0.1:50051 --port 8080
"""

import argparse
import datetime
import json
import pathlib
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import grpc
from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from vnstream import connect, subscribe
from vnstream.v1 import market_data_pb2 as records
from vnstream.v1 import market_data_service_pb2 as pb

HERE = pathlib.Path(__file__).resolve().parent

STATIC = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"),
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


class Handler(BaseHTTPRequestHandler):
    client = None  # Set by main().
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # Quieter than the default.
        sys.stderr.write("dashboard: " + (fmt % args) + "\n")

    def send_body(self, code, content_type, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(code)
        self.send_header("Content-Type", content_type + "; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urlparse(self.path)
        query = parse_qs(url.query)
        if url.path in STATIC:
            name, content_type = STATIC[url.path]
            self.send_body(200, content_type, (HERE / "static" / name).read_bytes())
        elif url.path in VENDOR:
            if VENDOR[url.path].is_file():
                self.send_body(200, "text/javascript", VENDOR[url.path].read_bytes())
            else:
                self.send_body(500, "text/plain", f"{VENDOR[url.path]} is missing: run "
                               "scripts/setup.sh (npm ci in clients/dashboard)\n")
        elif url.path == "/healthz":
            self.send_body(200, "text/plain", "ok\n")
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
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
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
            while True:
                try:
                    item = out.get(timeout=15)
                    self.wfile.write(f"data: {item}\n\n".encode())
                except queue.Empty:
                    self.wfile.write(b": keepalive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # The browser went away.
        finally:
            for _, subscription in subscriptions:
                subscription.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateway", default="127.0.0.1:50051")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 = any free port")
    args = parser.parse_args()
    Handler.client = connect(args.gateway)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"dashboard on http://{args.host}:{server.server_address[1]}/ "
          f"(gateway {args.gateway})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
