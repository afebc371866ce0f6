"""The fault proxy itself: each kind of fault does what the resilience suite counts it as, and the schedule is seeded.

Run by the harness step `resilience` before the suite: `build/venv-main/bin/python -m pytest tests/resilience -q`.
"""

import collections
import http.server
import json
import os
import sys
import threading

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# pylint: disable=wrong-import-position
from fault_proxy import ACTED, KINDS, FaultProxy, FaultSchedule  # noqa: E402  (same folder)

CLIENT_TIMEOUT = 0.5


class Upstream(http.server.ThreadingHTTPServer):
    """A service that counts the requests it received and answers 200 with a JSON body and a header of its own."""
    daemon_threads = True

    def __init__(self):
        self.seen = []
        super().__init__(('127.0.0.1', 0), UpstreamHandler)


class UpstreamHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def log_message(self, *args):  # pylint: disable=arguments-differ
        pass

    def do_POST(self):  # pylint: disable=invalid-name
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.server.seen.append((self.command, self.path, body, self.headers.get('Idempotency-Key')))
        payload = json.dumps({'ok': True}).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Request-Id', 'req_1')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST


@pytest.fixture(name='setup')
def fixture_setup():
    upstream = Upstream()
    thread = threading.Thread(target=upstream.serve_forever, args=(0.1, ), daemon=True)
    thread.start()
    schedule = FaultSchedule(seed=1, max_requests=50, delay_seconds=CLIENT_TIMEOUT + 0.5)
    proxy = FaultProxy('stripe', 'http://127.0.0.1:%d' % upstream.server_address[1], schedule).start()
    session = requests.Session()
    yield proxy, schedule, upstream, session
    session.close()
    proxy.stop()
    upstream.shutdown()
    upstream.server_close()


def send(proxy, session):
    """POST through the proxy: ('answer', status, headers, body) or ('error', exception class name)."""
    try:
        resp = session.post(proxy.url + '/v1/customers?expand=x', data={'email': 'a@b.example'}, headers={'Idempotency-Key': 'k1'},
                            timeout=CLIENT_TIMEOUT)
    except requests.exceptions.RequestException as exc:
        return 'error', type(exc).__name__
    return 'answer', resp.status_code, resp.headers, resp.json()


def test_no_fault_passes_the_request_and_answer_through(setup):
    proxy, schedule, upstream, session = setup
    schedule.configure('t', 0.0)
    kind, status, headers, body = send(proxy, session)
    assert (kind, status, body, headers['Request-Id']) == ('answer', 200, {'ok': True}, 'req_1')
    assert upstream.seen == [('POST', '/v1/customers?expand=x', b'email=a%40b.example', 'k1')]


@pytest.mark.parametrize('fault, expected, acted', [
    ('429', 429, False),
    ('500', 500, True),
    ('502', 502, False),
    ('503', 503, False),
    ('reset', 'ConnectionError', False),
    ('drop', 'ConnectionError', True),
    ('delay', 'ReadTimeout', True),
])
def test_each_fault(setup, fault, expected, acted):
    proxy, schedule, upstream, session = setup
    schedule.configure('t', 1.0, [fault])
    result = send(proxy, session)
    if isinstance(expected, int):
        assert result[:2] == ('answer', expected)
        assert result[3]['error']['type'] == ('api_error' if expected >= 500 else 'invalid_request_error')
        assert result[2].get('Retry-After') == ('1' if expected == 429 else None)
    else:
        assert result == ('error', expected)
    schedule.configure('t2', 0.0)
    assert send(proxy, session)[:2] == ('answer', 200)  # the client recovers on a new connection
    # the service saw the faulty request only for the faults after which it acted (a delayed one: late)
    upstream_requests = len(upstream.seen)
    if fault == 'delay':
        threading.Event().wait(CLIENT_TIMEOUT + 0.5)
        upstream_requests = len(upstream.seen)
    assert upstream_requests == (2 if acted else 1)
    assert schedule.faults == {('t', fault): 1}


def test_schedule_is_seeded_exact_and_balanced():

    def faults(seed):
        schedule = FaultSchedule(seed=seed, max_requests=10000, delay_seconds=0)
        schedule.configure('p', 0.25)
        return [schedule.draw('stripe', method, '/v1/x') for dummy in range(336) for method in ('GET', 'POST')]

    first = faults(7)
    assert first == faults(7)
    assert first != faults(8)
    for stream in (first[0::2], first[1::2]):  # reads, writes
        assert all(sum(1 for kind in stream[i:i + 4] if kind) == 1 for i in range(0, 336, 4))  # one in four
        hit = [kind for kind in stream if kind]
        assert collections.Counter(hit) == {kind: 12 for kind in KINDS}  # 84 faults: 12 decks
        assert set(hit[:3]) == set(ACTED)  # the faults after which the service acted come first in each deck
        assert set(hit[7:10]) == set(ACTED)


def test_request_cap_answers_400(setup):
    proxy, schedule, dummy, session = setup
    schedule.configure('t', 0.0)
    schedule.max_requests = 1
    assert send(proxy, session)[:2] == ('answer', 200)
    kind, status, dummy, body = send(proxy, session)
    assert (kind, status, schedule.over_budget) == ('answer', 400, 1)
    assert 'budget' in body['error']['message']


def test_upstream_must_be_loopback_http():
    with pytest.raises(ValueError):
        FaultProxy('tts', 'http://192.0.2.1:80', FaultSchedule(1, 1, 0))
