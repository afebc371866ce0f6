"""A fault-injecting HTTP reverse proxy for the resilience suite (stdlib only, listening on 127.0.0.1 only).

One `FaultProxy` listens on 127.0.0.1 for each emulator and forwards every request to it; a shared, seeded
`FaultSchedule` decides, request by request in the order they arrive, whether a request meets a fault and which
(at a rate of 25%, one read in every four and one write in every four, at seeded positions):

  429      answered by the proxy: HTTP 429 with `Retry-After: 1`; the service never sees the request
  500      forwarded: the service acts, and its answer is replaced by HTTP 500 (the outcome is unknown to the client)
  502, 503 answered by the proxy (a gateway that could not reach the service); the service never sees the request
  reset    the connection is reset (RST) without an answer; the service never sees the request
  drop     forwarded: the service acts, then the connection is closed without an answer (a response lost)
  delay    held past the client's timeout, then forwarded: the service acts after the client gave up (and maybe
           after its retry), and the late answer goes nowhere

Error bodies have the shape of each service's errors (Stripe: `{"error": {...}}`, The Things Stack: `{"code": ...}`).
The schedule also caps the number of requests: past `max_requests` the proxy answers HTTP 400 (which no client
retries), so a runaway retry loop ends quickly and the suite can report it.
"""

import collections
import http.client
import http.server
import json
import random
import socket
import ssl
import struct
import threading
import time
import urllib.parse

KINDS = ('429', '500', '502', '503', 'reset', 'drop', 'delay')
ACTED = ('500', 'drop', 'delay')  # the faults after which the service has acted
HOP_BY_HOP = {
    'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade',
    'content-length', 'host'
}
UPSTREAM_TIMEOUT = 60.0
# gRPC codes The Things Stack uses in its error bodies
TTS_CODES = {429: 8, 500: 13, 502: 14, 503: 14, 400: 3}


class FaultSchedule:
    """Which request meets which fault: seeded, shared by the proxies, with counters.

    The requests are split into streams, one per service for reads (GET) and one for writes, so that writes meet
    faults as often as reads. At rate r the requests of a stream, in the order they arrive, form blocks of round(1/r);
    in each block one request, at a seeded position, meets a fault. Each stream deals the kinds from a seeded deck:
    first the faults after which the service has acted (500, drop, delay) in shuffled order, then the others, so the
    few creates on The Things Stack meet those too. The same seed and order of requests give the same faults.
    """

    def __init__(self, seed, max_requests, delay_seconds):
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._streams = {}
        self._block = 0
        self.max_requests = max_requests
        self.delay_seconds = delay_seconds
        self.kinds = KINDS
        self.phase = 'setup'
        self.requests = collections.Counter()  # (phase, service)
        self.faults = collections.Counter()  # (phase, kind)
        self.log = []  # (seq, phase, service, method, path, fault or '')
        self.over_budget = 0

    def configure(self, phase, rate, kinds=KINDS):
        """From now on: one in round(1 / rate) requests of each stream meets one of `kinds` (none at rate 0)."""
        with self._lock:
            self.phase, self.kinds = phase, tuple(kinds)
            self._block = max(1, round(1 / rate)) if rate > 0 else 0
            self._streams = {}

    def total(self, phase=None):
        with self._lock:
            return sum(n for (ph, dummy), n in self.requests.items() if phase in (None, ph))

    def _deal(self):
        acted = [kind for kind in self.kinds if kind in ACTED]
        others = [kind for kind in self.kinds if kind not in ACTED]
        self._rng.shuffle(acted)
        self._rng.shuffle(others)
        return acted + others

    def _next_fault(self, stream_name):
        if not self._block:
            return ''
        stream = self._streams.setdefault(stream_name, {'seen': 0, 'position': 0, 'deck': []})
        if stream['seen'] % self._block == 0:
            stream['position'] = self._rng.randrange(self._block)
        hit = stream['seen'] % self._block == stream['position']
        stream['seen'] += 1
        if not hit:
            return ''
        if not stream['deck']:
            stream['deck'] = self._deal()
        return stream['deck'].pop(0)

    def draw(self, service, method, path):
        """The fault for the next request ('' for none, 'budget' past the request cap)."""
        with self._lock:
            seq = sum(self.requests.values()) + 1
            self.requests[(self.phase, service)] += 1
            if seq > self.max_requests:
                self.over_budget += 1
                kind = 'budget'
            else:
                kind = self._next_fault((service, 'read' if method == 'GET' else 'write'))
                if kind:
                    self.faults[(self.phase, kind)] += 1
            self.log.append((seq, self.phase, service, method, path.split('?')[0], kind))
            return kind


def error_body(service, status, message):
    if service == 'stripe':
        kind = 'invalid_request_error' if status < 500 else 'api_error'
        error = {'type': kind, 'message': message}
        if status == 429:
            error['code'] = 'rate_limit'
        return {'error': error}
    return {'code': TTS_CODES.get(status, 2), 'message': message, 'details': []}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'  # keep-alive, as the clients' sessions expect
    server_version = 'resilience-proxy'

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass  # quiet: the schedule keeps the log

    def do_GET(self):  # pylint: disable=invalid-name
        self.relay()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def relay(self):
        proxy = self.server.proxy
        length = int(self.headers.get('Content-Length') or 0)
        body = self.rfile.read(length) if length else None
        kind = proxy.schedule.draw(proxy.service, self.command, self.path)
        if kind in ('429', '502', '503', 'budget'):
            status = 400 if kind == 'budget' else int(kind)
            message = ('resilience proxy: request budget of %d used up' %
                       proxy.schedule.max_requests if kind == 'budget' else 'resilience proxy: injected HTTP %d' % status)
            self.answer(status, [('Retry-After', '1')] if status == 429 else [],
                        json.dumps(error_body(proxy.service, status, message)).encode())
            return
        if kind == 'reset':
            self.abort()
            return
        if kind == 'delay':
            time.sleep(proxy.schedule.delay_seconds)
        try:
            status, headers, payload = proxy.forward(self.command, self.path, self.headers, body)
        except OSError as exc:
            self.answer(502, [], json.dumps(error_body(proxy.service, 502, 'resilience proxy: %s' % exc)).encode())
            return
        if kind == 'drop':
            self.close_connection = True  # closed after the service acted, without an answer
        elif kind == '500':
            self.answer(
                500, [],
                json.dumps(error_body(proxy.service, 500, 'resilience proxy: injected HTTP 500 '
                                      'after the service answered')).encode())
        else:
            self.answer(status, headers, payload)

    def answer(self, status, headers, payload):
        try:
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            if not any(name.lower() == 'content-type' for name, dummy in headers):
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client gave up (a delay fault): nobody reads this answer

    def abort(self):
        """Reset the connection: close it with SO_LINGER 0 (RST), no answer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        self.server.aborted.add(id(self.connection))


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, proxy):
        self.proxy = proxy
        self.aborted = set()
        super().__init__(('127.0.0.1', 0), _Handler)

    def shutdown_request(self, request):
        if id(request) in self.aborted:  # no FIN first: close with the RST that SO_LINGER 0 makes
            self.aborted.discard(id(request))
            self.close_request(request)
            return
        super().shutdown_request(request)


class FaultProxy:
    """A reverse proxy on 127.0.0.1 in front of `upstream`: an emulator (http://127.0.0.1:PORT) or, in live mode, the real
    service (https://, verified, with `cafile` for a private CA)."""

    def __init__(self, service, upstream, schedule, cafile=None):
        parts = urllib.parse.urlsplit(upstream)
        if not (parts.scheme == 'https' or (parts.scheme == 'http' and parts.hostname in ('127.0.0.1', 'localhost'))):
            raise ValueError('the resilience proxy forwards to https://, or to http:// on 127.0.0.1 only, not %r' % upstream)
        self.service = service
        self.schedule = schedule
        self.upstream = (parts.hostname, parts.port)
        self.context = ssl.create_default_context(cafile=cafile) if parts.scheme == 'https' else None
        self.prefix = parts.path.rstrip('/')
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1, ), name='proxy-' + service, daemon=True)

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self._server.server_address[1]

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def forward(self, method, path, headers, body):
        """Send the request to the service: (status, headers to pass on, body)."""
        if self.context:
            conn = http.client.HTTPSConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT, context=self.context)
        else:
            conn = http.client.HTTPConnection(*self.upstream, timeout=UPSTREAM_TIMEOUT)
        try:
            sent = [(name, value) for name, value in headers.items() if name.lower() not in HOP_BY_HOP]
            conn.putrequest(method, self.prefix + path, skip_accept_encoding=True)
            for name, value in sent:
                conn.putheader(name, value)
            conn.putheader('Content-Length', str(len(body or b'')))
            conn.endheaders(body)
            resp = conn.getresponse()
            payload = resp.read()
            kept = [(name, value) for name, value in resp.getheaders() if name.lower() not in HOP_BY_HOP]
            return resp.status, kept, payload
        finally:
            conn.close()
