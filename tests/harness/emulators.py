"""Start and stop the local Stripe / TTS emulators for tests, the demo and the benchmark.

    python tests/harness/emulators.py start --state-dir DIR [--stripe] [--tts] [--python PY]
    python tests/harness/emulators.py stop --state-dir DIR
    python tests/harness/emulators.py reset --state-dir DIR

`start` launches each emulator as its own process (new session) on 127.0.0.1 with `--port 0
--port-file DIR/NAME.port`, waits for the port file, and writes:
  DIR/NAME.pid, DIR/NAME.log       process id and output of each emulator
  DIR/env.sh                      `export STRIPE_API_BASE=... STRIPE_API_KEY=... TTS_URL=...
                                  TTS_TENANT_ADMIN_KEY=...` (mode 0600)
  DIR/state.json                  the same values for programs
With neither --stripe nor --tts, both are started (TTS only if its emulator file exists).
`stop` sends SIGTERM to every emulator recorded in DIR (then SIGKILL after 5 s) and is safe to call
twice. Secrets are written to files only, never printed.
"""

import argparse
import http.client
import json
import os
import secrets
import shlex
import signal
import subprocess
import sys
import time
import urllib.parse

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EMULATOR_DIR = os.path.join(REPO_ROOT, 'tests', 'emulators')
SCRIPTS = {
    'stripe': os.path.join(EMULATOR_DIR, 'stripe_emulator.py'),
    'tts': os.path.join(EMULATOR_DIR, 'tts_emulator.py'),
}
STRIPE_EMULATOR_KEY = 'sk_test_emulator'
START_TIMEOUT = 15.0


def log(msg):
    print('emulators: %s' % msg, flush=True)


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still answers kill(0); treat it as gone.
    try:
        with open('/proc/%d/stat' % pid, encoding='utf-8') as handle:
            return handle.read().split(')')[-1].split()[0] != 'Z'
    except OSError:
        return True


def _is_our_emulator(pid, name):
    """Make sure a recorded pid still belongs to the emulator (pids get recycled)."""
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            cmdline = handle.read().decode('utf-8', 'replace')
    except OSError:
        return False
    return os.path.basename(SCRIPTS[name]) in cmdline


def _read_pid(path):
    try:
        with open(path, encoding='utf-8') as handle:
            return int(handle.read().strip())
    except (OSError, ValueError):
        return None


def _tail(path, lines=40):
    try:
        with open(path, encoding='utf-8', errors='replace') as handle:
            return ''.join(handle.readlines()[-lines:])
    except OSError:
        return '(no log)'


def stop_one(state_dir, name):
    pid_file = os.path.join(state_dir, '%s.pid' % name)
    pid = _read_pid(pid_file)
    if pid is None:
        return True
    stopped = True
    if _pid_alive(pid) and _is_our_emulator(pid, name):
        try:
            os.killpg(pid, signal.SIGTERM)  # our own process group (started with a new session)
        except ProcessLookupError:
            pass
        except PermissionError:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if _pid_alive(pid):
            log('%s emulator (pid %d) ignored SIGTERM, sending SIGKILL' % (name, pid))
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            stopped = False
        log('stopped %s emulator (pid %d)' % (name, pid))
    for suffix in ('pid', 'port'):
        try:
            os.unlink(os.path.join(state_dir, '%s.%s' % (name, suffix)))
        except FileNotFoundError:
            pass
    return stopped


def start_one(state_dir, name, python, extra_args):
    script = SCRIPTS[name]
    stop_one(state_dir, name)  # a leftover from an interrupted run
    port_file = os.path.join(state_dir, '%s.port' % name)
    log_file = os.path.join(state_dir, '%s.log' % name)
    for path in (port_file, ):
        if os.path.exists(path):
            os.unlink(path)
    cmd = [python, script, '--port', '0', '--port-file', port_file] + list(extra_args)
    with open(log_file, 'wb') as out:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT, start_new_session=True, close_fds=True)
    with open(os.path.join(state_dir, '%s.pid' % name), 'w', encoding='utf-8') as handle:
        handle.write('%d\n' % proc.pid)
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        port = None
        try:
            with open(port_file, encoding='utf-8') as handle:
                text = handle.read().strip()
            if text:
                port = int(text)
        except (OSError, ValueError):
            port = None
        if port:
            log('%s emulator listening on 127.0.0.1:%d (pid %d, log %s)' % (name, port, proc.pid, log_file))
            return port
        if proc.poll() is not None:
            sys.stderr.write('emulators: %s emulator exited with code %s before it was listening; its log:\n%s\n' %
                             (name, proc.returncode, _tail(log_file)))
            stop_one(state_dir, name)
            return None
        if time.monotonic() > deadline:
            sys.stderr.write('emulators: %s emulator did not write %s within %.0f s; its log:\n%s\n' %
                             (name, port_file, START_TIMEOUT, _tail(log_file)))
            stop_one(state_dir, name)
            return None
        time.sleep(0.05)


def write_env(state_dir, values):
    env_path = os.path.join(state_dir, 'env.sh')
    json_path = os.path.join(state_dir, 'state.json')
    for path, text in (
        (env_path, ''.join('export %s=%s\n' % (k, shlex.quote(v)) for k, v in sorted(values.items()))),
        (json_path, json.dumps(values, indent=2, sort_keys=True) + '\n'),
    ):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            handle.write(text)
        os.chmod(path, 0o600)


def load_state(state_dir):
    try:
        with open(os.path.join(state_dir, 'state.json'), encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {}


def start_both(state_dir):
    """Start the Stripe and TTS emulators in their own process (this script's start) and return their state.json."""
    rc = subprocess.run([sys.executable, os.path.abspath(__file__), 'start', '--stripe', '--tts', '--state-dir', state_dir], check=False,
                        timeout=60).returncode
    if rc != 0:
        raise RuntimeError('the emulators did not start (see %s)' % state_dir)
    return load_state(state_dir)


def control(base_url, method, path, timeout=10):
    """Call the emulator control API (`POST /_emulator/reset`, `GET /_emulator/counters`)."""
    url = urllib.parse.urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request(method, url.path.rstrip('/') + path, body=b'' if method == 'POST' else None)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status >= 300:
            raise RuntimeError('%s %s -> HTTP %d: %s' % (method, path, resp.status, body[:200]))
        return json.loads(body) if body.strip() else {}
    finally:
        conn.close()


def cmd_start(args):
    os.makedirs(args.state_dir, exist_ok=True)
    wanted = [n for n in ('stripe', 'tts') if getattr(args, n)] or ['stripe', 'tts']
    explicit = args.stripe or args.tts
    values = {}
    ok = True
    for name in wanted:
        if not os.path.exists(SCRIPTS[name]):
            msg = '%s emulator not found (%s)' % (name, os.path.relpath(SCRIPTS[name], REPO_ROOT))
            if name == 'tts' and not explicit:
                log(msg + ': skipped')
                continue
            sys.stderr.write('emulators: %s\n' % msg)
            ok = False
            continue
        if name == 'stripe':
            port = start_one(args.state_dir, 'stripe', args.python, args.stripe_arg)
            if port is None:
                ok = False
                continue
            values['STRIPE_API_BASE'] = 'http://127.0.0.1:%d' % port
            values['STRIPE_API_KEY'] = STRIPE_EMULATOR_KEY
        else:
            admin_key = secrets.token_hex(32)
            port = start_one(args.state_dir, 'tts', args.python, ['--tenant-admin-key', admin_key] + list(args.tts_arg))
            if port is None:
                ok = False
                continue
            values['TTS_URL'] = 'http://127.0.0.1:%d' % port
            values['TTS_TENANT_ADMIN_KEY'] = admin_key
    write_env(args.state_dir, values)
    if not ok:
        cmd_stop(args)
        return 1
    log('connection settings written to %s' % os.path.join(args.state_dir, 'env.sh'))
    return 0


def cmd_stop(args):
    if not os.path.isdir(args.state_dir):
        return 0
    ok = True
    for name in SCRIPTS:
        ok = stop_one(args.state_dir, name) and ok
    return 0 if ok else 1


def cmd_reset(args):
    state = load_state(args.state_dir)
    rc = 0
    for key in ('STRIPE_API_BASE', 'TTS_URL'):
        if key in state:
            try:
                control(state[key], 'POST', '/_emulator/reset')
            except (OSError, RuntimeError) as exc:
                sys.stderr.write('emulators: reset of %s failed: %s\n' % (state[key], exc))
                rc = 1
    return rc


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    start = sub.add_parser('start', help='start emulators and write DIR/env.sh')
    start.add_argument('--state-dir', required=True)
    start.add_argument('--stripe', action='store_true', help='start the Stripe emulator')
    start.add_argument('--tts', action='store_true', help='start the TTS emulator')
    start.add_argument('--python', default=sys.executable, help='interpreter for the emulators (default: this one)')
    start.add_argument('--stripe-arg', action='append', default=[], help='extra argument for the Stripe emulator')
    start.add_argument('--tts-arg', action='append', default=[], help='extra argument for the TTS emulator')
    for name in ('stop', 'reset'):
        p = sub.add_parser(name)
        p.add_argument('--state-dir', required=True)
    args = parser.parse_args(argv)
    args.state_dir = os.path.abspath(args.state_dir)
    return {'start': cmd_start, 'stop': cmd_stop, 'reset': cmd_reset}[args.command](args)


if __name__ == '__main__':
    sys.exit(main())
