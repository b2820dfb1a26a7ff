"""vnstream dashboard: a small web server between browsers and the gateway.

Serves the page (static/) and, per browser, one Server-Sent-Events stream
fed by the gateway's gRPC subscriptions (quotes of the watch list; bars and
history of the selected symbol), so the page updates live without polling.
Standard library HTTP + the vnstream Python package (clients/python):

    clients/python/install.sh ~/.cache/vnstream/venv/bin/python .run/python
    PYTHONPATH=.run/python ~/.cache/vnstream/venv/bin/python \
        clients/dashboard/server.py --gateway 127.0.0.1:50051 --port 8080
"""

import argparse
import json
import pathlib
import queue
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import grpc
from google.protobuf.json_format import MessageToDict

from vnstream import connect, subscribe
from vnstream.v1 import market_data_service_pb2 as pb

HERE = pathlib.Path(__file__).resolve().parent

STATIC = {"/": ("index.html", "text/html"), "/app.js": ("app.js", "text/javascript"),
          "/style.css": ("style.css", "text/css"),
          "/favicon.svg": ("favicon.svg", "image/svg+xml")}
MAX_SYMBOLS = 30


def to_json(message):
    return json.dumps(MessageToDict(message, preserving_proto_field_name=True,
                                    use_integers_for_enums=False))


def symbols_from(query):
    raw = query.get("symbols", [""])[0]
    out = []
    for s in raw.split(","):
        s = s.strip().upper()
        if s and s not in out:
            out.append(s)
    return out[:MAX_SYMBOLS]


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
        elif url.path == "/healthz":
            self.send_body(200, "text/plain", "ok\n")
        elif url.path == "/api/history":
            self.unary(lambda: self.client.stub.GetHistory(
                pb.GetHistoryRequest(symbol=query.get("symbol", [""])[0],
                                     limit=int(query.get("limit", ["250"])[0])), timeout=15))
        elif url.path == "/api/events":
            self.events(symbols_from(query), query.get("focus", [""])[0].upper())
        else:
            self.send_body(404, "text/plain", "not found\n")

    def unary(self, call):
        try:
            self.send_body(200, "application/json", to_json(call()))
        except grpc.RpcError as error:
            self.send_body(502, "application/json",
                           json.dumps({"code": error.code().name, "message": error.details()}))

    def events(self, symbols, focus):
        """Server-Sent Events: {"stream": quotes|bars|history, "event": MarketEvent}."""
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
            streams += [("bars", [focus]), ("history", [focus])]

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
