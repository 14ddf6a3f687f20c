#!/usr/bin/env python3
"""A small OTLP/HTTP trace receiver for the tests: decodes every POST to /v1/traces
with opentelemetry-proto's own classes (the reference decoding of the protobuf the
host sends), after Python's gzip when the body came with `Content-Encoding: gzip`, and
appends one JSON line per span to SPANS_FILE.

usage: otlp_receiver.py PORT_FILE SPANS_FILE [STATUSES] [keep-alive] [tls=CERT,KEY[,CLIENT_CA]]
  PORT_FILE   written with the port once listening on 127.0.0.1
  STATUSES    the HTTP status to answer (default 200), to test a failing collector; a
              comma-separated list answers the first POST with the first, the second
              with the second and so on, the last for the rest; `503:1` adds
              `Retry-After: 1`. Spans are kept only from POSTs answered 2xx; every POST
              is a JSON line (time, status) in SPANS_FILE.attempts
  keep-alive  answer in HTTP/1.1 and keep connections open (default: HTTP/1.0, which
              closes every connection after its response)
  tls=...     HTTPS with this certificate and key; with CLIENT_CA, only clients with a
              certificate that CA signed (mutual TLS), whose CN each span line names
"""
import gzip
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

port_file, spans_file = sys.argv[1], sys.argv[2]
options = sys.argv[3:]
statuses = [item.split(":") for item in (options[0] if options else "200").split(",")]
keep_alive = "keep-alive" in options
tls = next((option[len("tls="):].split(",") for option in options if option.startswith("tls=")), None)


def value(any_value):
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value(item) for item in any_value.array_value.values]
    return getattr(any_value, kind) if kind else None


class Receiver(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1" if keep_alive else "HTTP/1.0"
    exports = 0  # POSTs decoded so far: each span line names its export, its span count and size
    attempts = 0  # POSTs received

    def do_POST(self):
        wire = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        encoding = self.headers.get("Content-Encoding")
        if (self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf"
                or encoding not in (None, "gzip")):
            self.send_response(415)
            self.end_headers()
            return
        body = gzip.decompress(wire) if encoding == "gzip" else wire
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        status, *retry_after = statuses[min(Receiver.attempts, len(statuses) - 1)]
        status = int(status)
        Receiver.attempts += 1
        with open(spans_file + ".attempts", "a") as out:
            out.write(json.dumps({"time": time.time(), "status": status}) + "\n")
        if not 200 <= status < 300:
            self.send_response(status)
            for seconds in retry_after:
                self.send_header("Retry-After", seconds)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        Receiver.exports += 1
        size = sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)
        with open(spans_file, "a") as out:
            for resource_spans in request.resource_spans:
                resource = {kv.key: value(kv.value) for kv in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        out.write(json.dumps({
                            "trace_id": span.trace_id.hex(), "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(), "name": span.name, "kind": span.kind,
                            "trace_state": span.trace_state,
                            "start": span.start_time_unix_nano, "end": span.end_time_unix_nano,
                            "attributes": {kv.key: value(kv.value) for kv in span.attributes},
                            "status_code": span.status.code, "scope": scope_spans.scope.name,
                            "resource": resource, "authorization": self.headers.get("Authorization"),
                            "export": Receiver.exports, "export_spans": size, "export_bytes": len(body),
                            "wire_bytes": len(wire), "content_encoding": encoding,
                            "client_port": self.client_address[1], "tls_client": self.client_name(),
                        }) + "\n")
        answer = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def client_name(self):
        """The CN of the client's certificate (mutual TLS), else None."""
        certificate = self.connection.getpeercert() if isinstance(self.connection, ssl.SSLSocket) else None
        for entry in (certificate or {}).get("subject", ()):
            for key, value in entry:
                if key == "commonName":
                    return value
        return None

    def log_message(self, *args):
        pass


def exit_with_parent(parent):
    """Ends the receiver once the test process that started it is gone (a crashed or
    killed test run never runs the deinit that stops it): its parent becomes init or
    a subreaper, and the receiver must not outlive the run holding a port."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=exit_with_parent, args=(os.getppid(),), daemon=True).start()
server = HTTPServer(("127.0.0.1", 0), Receiver)
if tls:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tls[0], tls[1])
    if len(tls) > 2:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(tls[2])
    server.socket = context.wrap_socket(server.socket, server_side=True)
with open(port_file + ".tmp", "w") as out:
    out.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
