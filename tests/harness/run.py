"""The test harness of thingsstack.tenancy (stdlib only; `make test` runs it).

    python tests/harness/run.py test [--only STEP[,STEP...]] [--list]
    python tests/harness/run.py venv main|second|env # create/refresh a venv, print its path
    python tests/harness/run.py pythons              # the Pythons the venvs would use
    python tests/harness/run.py tree                 # refresh the ansible-test copy, print its path

`test` runs every step, even after a failure, prints a line as each step starts and ends, a summary table and
the line `harness: N passed, N failed[, N SKIPPED ...]`; it exits non-zero when a step failed. Commands' output
goes to build/logs/STEP.log only (HARNESS_VERBOSE=1 shows it too); a failed step prints the tail of its log.

The main venv (ansible-core 2.19 and the tools) runs on the main Python: the first of 3.11, 3.12, 3.13 found
(tests/harness/find-python.sh). The second venv (ansible-core 2.21, which needs 3.12+) runs on another one, 3.12
or else 3.13; without one its steps are SKIPPED. HARNESS_PYTHONS="3.12 3.13" hides every other Python.

Live mode: with STRIPE_API_KEY=sk_test_... (and optionally STRIPE_API_BASE) in the environment the
integration tests talk to real Stripe test mode instead of the Stripe emulator; with TTS_URL and
TTS_TENANT_ADMIN_KEY they talk to that TTS instead of the TTS emulator. Keys are never printed.
"""

import argparse
import glob
import hashlib
import json
import os
import secrets
import shutil
import signal
import stat
import string
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESS = os.path.join(REPO, 'tests', 'harness')
BUILD = os.path.join(REPO, 'build')
NAMESPACE, NAME = 'thingsstack', 'tenancy'
COPY = os.path.join(BUILD, 'collections', 'ansible_collections', NAMESPACE, NAME)
PYBIN = os.path.join(BUILD, 'pybin')
HOME = os.path.join(BUILD, 'home')
LOGS = os.path.join(BUILD, 'logs')
EMU_STATE = os.path.join(BUILD, 'emulators')
STEP_TIMEOUT = 20 * 60  # one command
PLAYBOOK_TESTS_TIMEOUT = 40 * 60  # the playbook tests: ansible-playbook runs, many of them, on 2 cores
BUDGET = int(os.environ.get('HARNESS_BUDGET', 75 * 60))  # the whole run (CI allows 90 min)
VERBOSE = os.environ.get('HARNESS_VERBOSE', '') not in ('', '0')
LOG_TAIL = 50  # lines of a failed step's log printed

VENVS = {
    # name: requirements file; all but 'second' run on the main Python (find-python.sh without a version)
    'main': os.path.join(REPO, 'tests', 'requirements', 'main.txt'),  # ansible-core 2.19 and the tools
    'env': os.path.join(REPO, 'tests', 'requirements', 'env.txt'),  # make env / make shell: ansible-playbook only
    'second': os.path.join(REPO, 'tests', 'requirements', 'second.txt'),  # ansible-core 2.21
    'ee': os.path.join(REPO, 'tests', 'requirements', 'ee.txt'),  # ansible-builder only
    'importer': os.path.join(REPO, 'tests', 'requirements', 'importer.txt'),  # galaxy-importer only
    'format': os.path.join(REPO, 'tests', 'requirements', 'format.txt'),  # yapf only
}
SECOND_PYTHONS = ('3.12', '3.13')  # ansible-core 2.21 needs 3.12+; the first that is not the main Python
# Kept in the copy across refreshes: ansible-test's cache/venvs and the copy's own git repo.
COPY_KEEP = ('tests/output', '.git')
GET_PIP_SHIM = '''\
"""Offline stand-in for ansible-test's get-pip bootstrap (written by tests/harness/run.py)."""
import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ('--no-setuptools', '--no-wheel')]
# ensurepip in a subprocess: in-process it sets PIP_CONFIG_FILE=/dev/null in os.environ,
# which drops /etc/pip.conf's `cert=` and pip then fails with CERTIFICATE_VERIFY_FAILED.
subprocess.check_call([sys.executable, '-m', 'ensurepip', '--upgrade'])
raise SystemExit(subprocess.call([sys.executable, '-m', 'pip', 'install'] + args))
'''


def say(msg):
    print('harness: %s' % msg, flush=True)


# --------------------------------------------------------------------------- interpreters

_FOUND = {}


def find_python(version=''):
    """A real interpreter of `version` ('3.12'), or the main Python without one; resolves pyenv shims.

    Raises RuntimeError with find-python.sh's one-sentence message when there is none."""
    if version not in _FOUND:
        try:
            out = subprocess.run(['bash', os.path.join(HARNESS, 'find-python.sh')] + ([version] if version else []), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, check=False, timeout=60)
            path, err = out.stdout.decode().strip(), out.stderr.decode().strip()
            _FOUND[version] = (path, '') if out.returncode == 0 and path else (None, err or 'find-python.sh failed')
        except subprocess.TimeoutExpired:
            _FOUND[version] = (None, 'find-python.sh %s: timed out' % version)
    path, err = _FOUND[version]
    if not path:
        raise RuntimeError(err)
    return path


def python_version(python):
    out = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], stdout=subprocess.PIPE, check=True,
                         timeout=30)
    return out.stdout.decode().strip()


def venv_python(name):
    """The interpreter of venv `name`: the main Python, or for 'second' another one from SECOND_PYTHONS."""
    main = find_python()
    if name != 'second':
        return main
    main_version = python_version(main)
    others = [v for v in SECOND_PYTHONS if v != main_version]
    for version in others:
        try:
            return find_python(version)
        except RuntimeError:
            pass
    raise RuntimeError('no second Python for ansible-core 2.21: install Python %s next to Python %s' % (' or '.join(others), main_version))


def runs(python, version):
    try:
        out = subprocess.run([python, '-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.decode().strip() == version


def build_pybin():
    """build/pybin: symlinks python3.X -> a real interpreter for every 3.8-3.14 found, python3 -> the main one."""
    os.makedirs(PYBIN, exist_ok=True)
    for entry in os.listdir(PYBIN):
        os.unlink(os.path.join(PYBIN, entry))
    found = {}
    for minor in range(8, 15):
        version = '3.%d' % minor
        try:
            found[version] = find_python(version)
        except RuntimeError:
            continue
        os.symlink(found[version], os.path.join(PYBIN, 'python' + version))
    os.symlink(find_python(), os.path.join(PYBIN, 'python3'))
    return found


# --------------------------------------------------------------------------- venvs


def venv_dir(name):
    return os.path.join(BUILD, 'venv-' + name)


def _run_plain(cmd):
    sys.stderr.write('+ %s\n' % ' '.join(cmd))
    sys.stderr.flush()
    return subprocess.run(cmd, check=False, stdout=sys.stderr, stderr=subprocess.STDOUT).returncode


def _note_plain(text):
    sys.stderr.write(text + '\n')


def ensure_venv(name, run_cmd=_run_plain, note=_note_plain):
    """Create build/venv-NAME from its requirements file unless the stamp says it is current."""
    req = VENVS[name]
    python = venv_python(name)
    version = python_version(python)
    vdir = venv_dir(name)
    stamp = os.path.join(vdir, '.harness-stamp')
    with open(req, 'rb') as handle:
        digest = hashlib.sha256(handle.read() + python.encode()).hexdigest()
    vpy = os.path.join(vdir, 'bin', 'python')
    if os.path.exists(stamp) and os.path.exists(vpy):
        with open(stamp, encoding='utf-8') as handle:
            if handle.read().strip() == digest and runs(vpy, version):
                note('venv %s is up to date (%s, %s)' % (os.path.relpath(vdir, REPO), python, os.path.relpath(req, REPO)))
                return vdir
    note('creating %s from %s with %s' % (os.path.relpath(vdir, REPO), python, os.path.relpath(req, REPO)))
    shutil.rmtree(vdir, ignore_errors=True)
    with open(req, encoding='utf-8') as handle:
        pip_pin = [line.strip() for line in handle if line.startswith('pip==')]
    pip = [vpy, '-m', 'pip', 'install', '-q', '--disable-pip-version-check']
    cmds = [[python, '-m', 'venv', vdir]]
    if pip_pin:
        cmds.append(pip + pip_pin)
    cmds += [pip + ['-r', req], [vpy, '-m', 'pip', 'check']]
    for cmd in cmds:
        rc = run_cmd(cmd)
        if rc != 0:
            raise RuntimeError('venv %s: command failed with exit %s: %s' % (name, rc, ' '.join(cmd)))
    with open(stamp, 'w', encoding='utf-8') as handle:
        handle.write(digest + '\n')
    return vdir


# --------------------------------------------------------------------------- the ansible-test copy


def source_files():
    out = subprocess.run(['git', 'ls-files', '-z', '-co', '--exclude-standard'], cwd=REPO, stdout=subprocess.PIPE, check=True)
    files = set()
    for rel in out.stdout.decode('utf-8', 'surrogateescape').split('\0'):
        if rel and os.path.lexists(os.path.join(REPO, rel)) and not rel.startswith('build/'):
            files.add(rel)
    return files


def _same(src_st, dst_path):
    try:
        dst_st = os.lstat(dst_path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(src_st.st_mode) != stat.S_ISLNK(dst_st.st_mode):
        return False
    if stat.S_ISLNK(src_st.st_mode):
        return True  # compared by target in sync_tree
    return (src_st.st_size == dst_st.st_size and int(src_st.st_mtime) == int(dst_st.st_mtime)
            and stat.S_IMODE(src_st.st_mode) == stat.S_IMODE(dst_st.st_mode))


def _kept(rel):
    return any(rel == k or rel.startswith(k + '/') for k in COPY_KEEP)


def sync_tree(out=sys.stdout):
    """Make COPY a real copy of the repo's tracked + untracked-not-ignored files (like rsync --delete)."""
    files = source_files()
    os.makedirs(COPY, exist_ok=True)
    copied = 0
    for rel in sorted(files):
        src, dst = os.path.join(REPO, rel), os.path.join(COPY, rel)
        src_st = os.lstat(src)
        if stat.S_ISDIR(src_st.st_mode):  # a submodule or nested repo: not part of the collection
            continue
        if _same(src_st, dst) and (not stat.S_ISLNK(src_st.st_mode) or os.readlink(src) == os.readlink(dst)):
            continue
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.isdir(dst) and not os.path.islink(dst):
            shutil.rmtree(dst)
        elif os.path.lexists(dst):
            os.unlink(dst)
        if stat.S_ISLNK(src_st.st_mode):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(src, dst)
        copied += 1
    removed = 0
    for root, dirs, names in os.walk(COPY, topdown=True):
        rel_root = os.path.relpath(root, COPY)
        rel_root = '' if rel_root == '.' else rel_root + '/'
        dirs[:] = [d for d in dirs if not _kept(rel_root + d)]
        for name in names:
            rel = rel_root + name
            if rel not in files and not _kept(rel):
                os.unlink(os.path.join(root, name))
                removed += 1
        for d in list(dirs):
            path = os.path.join(root, d)
            if os.path.islink(path) and rel_root + d not in files:
                os.unlink(path)
                dirs.remove(d)
                removed += 1
    for root, dirs, names in os.walk(COPY, topdown=False):
        rel_root = os.path.relpath(root, COPY)
        if root != COPY and not names and not os.listdir(root) and not _kept(rel_root):
            os.rmdir(root)
    # ansible-test and ansible-lint list files with git; without a repo of its own the copy would
    # inherit the outer repo, where build/ is ignored, and they would see no files at all.
    if not os.path.isdir(os.path.join(COPY, '.git')):
        subprocess.run(['git', 'init', '-q', COPY], check=True)
    out.write('copy %s: %d files, %d updated, %d removed\n' % (COPY, len(files), copied, removed))
    return COPY


# --------------------------------------------------------------------------- live / emulator settings


def random_run_id():
    alphabet = string.ascii_lowercase + string.digits
    return 'r' + ''.join(secrets.choice(alphabet) for dummy in range(7))


LIVE_VARS = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY')


def live_settings():
    """Which services are real (from the environment); raises on a live Stripe key."""
    key = os.environ.get('STRIPE_API_KEY', '')
    live = {'stripe': False, 'tts': False}
    if key:
        if '_live_' in key:
            raise RuntimeError('STRIPE_API_KEY is a live-mode key: refusing to run tests against live Stripe '
                               '(use a sk_test_ key or unset it to use the emulator)')
        if not key.startswith(('sk_test_', 'rk_test_')):
            raise RuntimeError('STRIPE_API_KEY is set but is not a Stripe test-mode key (sk_test_...)')
        live['stripe'] = True
    tts_url, tts_key = os.environ.get('TTS_URL', ''), os.environ.get('TTS_TENANT_ADMIN_KEY', '')
    if bool(tts_url) != bool(tts_key):
        raise RuntimeError('set both TTS_URL and TTS_TENANT_ADMIN_KEY for a live TTS, or neither')
    if tts_url:
        live['tts'] = True
    return live


def integration_config(live, emu):
    """The values targets get through tests/integration/integration_config.yml."""
    if live['stripe']:
        stripe_base = os.environ.get('STRIPE_API_BASE') or 'https://api.stripe.com'
        stripe_key = os.environ['STRIPE_API_KEY']
    else:
        stripe_base, stripe_key = emu.get('STRIPE_API_BASE', ''), emu.get('STRIPE_API_KEY', '')
    if live['tts']:
        tts_url, tts_key = os.environ['TTS_URL'], os.environ['TTS_TENANT_ADMIN_KEY']
        validate = os.environ.get('TTS_VALIDATE_CERTS', 'true').lower() not in ('0', 'false', 'no')
    else:
        tts_url, tts_key, validate = emu.get('TTS_URL', ''), emu.get('TTS_TENANT_ADMIN_KEY', ''), False
    return {
        'stripe_api_key': stripe_key,
        'stripe_api_base': stripe_base,
        'stripe_emulator': not live['stripe'],
        'stripe_emulator_url': '' if live['stripe'] else stripe_base,
        'tts_url': tts_url,
        'tts_tenant_admin_key': tts_key,
        'tts_emulator': not live['tts'],
        'tts_validate_certs': validate,
        'run_id': random_run_id(),
    }


def write_integration_config(values):
    path = os.path.join(COPY, 'tests', 'integration', 'integration_config.yml')
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = ['---', '# Written by tests/harness/run.py for this run; git-ignored. Holds API keys in live mode.']
    lines += ['%s: %s' % (k, json.dumps(v)) for k, v in values.items()]  # JSON scalars are YAML scalars
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as handle:
        handle.write('\n'.join(lines) + '\n')
    os.chmod(path, 0o600)
    return path


# --------------------------------------------------------------------------- steps


class Runner:

    def __init__(self):
        self.results = []  # (name, status, seconds, note)
        self.current = None  # Popen of the running step
        self.emulators_started = False
        self.vpy = {}
        self.pyver = {}  # venv name -> its Python's version, '3.12'
        self.live = None
        self.emu = {}
        self.deadline = time.monotonic() + BUDGET
        self.targets = []  # integration targets to run (all when empty)

    # -- process plumbing
    def env(self, venv=None, home=True):
        env = dict(os.environ)
        # find-python.sh in a step (HOME is build/home there) looks in the same pyenv as the harness
        env.setdefault('PYENV_ROOT', os.path.expanduser('~/.pyenv'))
        # never hand live keys to steps that do not need them
        for key in LIVE_VARS:
            env.pop(key, None)
        path = [PYBIN, env.get('PATH', '/usr/bin:/bin')]
        if venv:
            path.insert(0, os.path.join(venv, 'bin'))
            env['VIRTUAL_ENV'] = venv
        env['PATH'] = os.pathsep.join(path)
        if home:
            env['HOME'] = HOME
        env['ANSIBLE_HOME'] = os.path.join(BUILD, 'ansible-home')
        env['ANSIBLE_LOCAL_TEMP'] = os.path.join(BUILD, 'ansible-home', 'tmp')
        env['ANSIBLE_REMOTE_TMP'] = os.path.join(BUILD, 'ansible-home', 'remote-tmp')
        env['ANSIBLE_NOCOLOR'] = '1'
        env['PY_COLORS'] = '0'
        env['NO_COLOR'] = '1'
        env.pop('PYTHONPATH', None)
        env.pop('ANSIBLE_COLLECTIONS_PATH', None)
        env.pop('ANSIBLE_COLLECTIONS_PATHS', None)
        env.pop('ANSIBLE_CONFIG', None)
        return env

    def sh(self, cmd, log, cwd=REPO, env=None, limit=STEP_TIMEOUT):
        """Run cmd, its output into the step log (and stdout with HARNESS_VERBOSE), for at most ``limit`` seconds (and
        the run's budget). Returns the exit code."""
        shown = '+ (cd %s && %s)\n' % (os.path.relpath(cwd, REPO), ' '.join(cmd))
        log.write(shown)
        if VERBOSE:
            sys.stdout.write(shown)
            sys.stdout.flush()
        timeout = max(1.0, min(limit, self.deadline - time.monotonic()))
        # pylint: disable-next=consider-using-with
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.current = proc

        def pump():
            for raw in proc.stdout:
                line = raw.decode('utf-8', 'replace')
                if VERBOSE:
                    sys.stdout.write(line)
                try:
                    log.write(line)
                except ValueError:  # the step is over and its log closed
                    pass

        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        timed_out = False
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            self.kill_current()
            rc = 124
        finally:
            self.current = None
        # a process that escaped the group may hold the pipe open: do not wait for it forever
        reader.join(timeout=10)
        sys.stdout.flush()
        if timed_out:
            log.write('TIMEOUT after %.0f s: %s\n' % (timeout, ' '.join(cmd)))
        return rc

    def kill_current(self):
        proc = self.current
        if proc and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # -- bookkeeping
    def record(self, name, status, seconds, note=''):
        self.results.append((name, status, seconds, note))
        print('harness: step %s: %s (%.1f s)%s' % (name, status, seconds, ' - ' + note if note else ''), flush=True)

    def status(self, name):
        for result in self.results:
            if result[0] == name:
                return result[1]
        return None

    def step(self, name, func, needs=()):
        blocked = [n for n in needs if self.status(n) != 'ok']
        if blocked:
            self.record(name, 'blocked', 0.0, 'needs ' + ', '.join(blocked))
            return
        if time.monotonic() > self.deadline - 30:
            self.record(name, 'FAILED', 0.0, 'not run: HARNESS_BUDGET of %d s used up' % BUDGET)
            return
        print('harness: step %s ...' % name, flush=True)
        os.makedirs(LOGS, exist_ok=True)
        log_path = os.path.join(LOGS, name + '.log')
        start = time.monotonic()
        with open(log_path, 'w', encoding='utf-8') as log:
            try:
                result = func(log)
            except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
                log.write('error: %s\n' % exc)
                result = 1
        seconds = time.monotonic() - start
        if isinstance(result, tuple):
            result, note = result
        else:
            note = ''
        if result == 'skipped':
            self.record(name, 'SKIPPED', seconds, note)
            return
        status = 'ok' if result == 0 else 'FAILED'
        if status == 'FAILED' and not VERBOSE:
            rel = os.path.relpath(log_path, REPO)
            with open(log_path, encoding='utf-8', errors='replace') as log:
                tail = log.readlines()[-LOG_TAIL:]
            print('---- last %d lines of %s\n%s---- end of %s' % (len(tail), rel, ''.join(tail), rel), flush=True)
        self.record(name, status, seconds, '; '.join(n for n in ('exit %s' % result if result else '', note) if n))

    # -- the steps
    def s_venv(self, name):

        def run(log):

            def note(text):
                log.write(text + '\n')

            vdir = ensure_venv(name, run_cmd=lambda cmd: self.sh(cmd, log, env=self.env(home=False)), note=note)
            self.vpy[name] = vdir
            self.pyver[name] = python_version(os.path.join(vdir, 'bin', 'python'))
            rc = self.sh([os.path.join(vdir, 'bin', 'ansible'), '--version'], log, env=self.env(vdir))
            return rc, 'Python %s' % self.pyver[name]

        return run

    def s_tree(self, log):
        found = build_pybin()
        log.write('pybin (%s): %s\n' % (PYBIN, found))
        cache = os.path.join(HOME, '.ansible', 'test', 'cache')
        os.makedirs(cache, exist_ok=True)
        for ver in ('24_2', '25_2'):
            with open(os.path.join(cache, 'get_pip_%s.py' % ver), 'w', encoding='utf-8') as handle:
                handle.write(GET_PIP_SHIM)
        for sub in ('ansible-home/tmp', 'ansible-home/remote-tmp'):
            os.makedirs(os.path.join(BUILD, sub), exist_ok=True)

        sync_tree(out=log)
        ignores = glob.glob(os.path.join(COPY, 'tests', 'sanity', 'ignore-*.txt'))
        if ignores:
            log.write('error: sanity ignore files are not allowed here: %s\n' % ', '.join(os.path.relpath(p, COPY) for p in ignores))
            return 1
        return 0

    def s_emulators(self, log):
        self.live = live_settings()
        args = [os.path.join(self.vpy['main'], 'bin', 'python'), os.path.join(HARNESS, 'emulators.py'), 'start', '--state-dir', EMU_STATE]
        if self.live['stripe']:
            print('Stripe: LIVE test mode (STRIPE_API_KEY=sk_test_... from the environment); no Stripe emulator', flush=True)
        else:
            args.append('--stripe')
        if self.live['tts']:
            print('TTS: LIVE (TTS_URL from the environment); no TTS emulator', flush=True)
        else:
            args.append('--tts')
        self.emu = {}
        if len(args) > 5:
            self.emulators_started = True
            rc = self.sh(args, log, env=self.env(home=False))
            if rc != 0:
                return rc
            with open(os.path.join(EMU_STATE, 'state.json'), encoding='utf-8') as handle:
                self.emu = json.load(handle)
        return 0

    def stop_emulators(self):
        if self.emulators_started:
            self.emulators_started = False
            subprocess.run([sys.executable, os.path.join(HARNESS, 'emulators.py'), 'stop', '--state-dir', EMU_STATE], check=False)

    def ansible_test(self, venv, args, log):
        env = self.env(self.vpy[venv])
        rc = self.sh([os.path.join(self.vpy[venv], 'bin', 'ansible-test')] + args + ['--color', 'no'], log, cwd=COPY, env=env)
        return rc, 'Python %s' % self.pyver[venv]

    def s_sanity(self, venv):

        def run(log):
            return self.ansible_test(venv, ['sanity', '--venv', '--python', self.pyver[venv]], log)

        return run

    def s_units(self, venv):

        def run(log):
            if not os.path.isdir(os.path.join(COPY, 'tests', 'unit')):
                return 'skipped', 'no tests/unit'
            return self.ansible_test(venv, ['units', '--local', '--python', self.pyver[venv]], log)

        return run

    def s_integration(self, venv):

        def run(log):
            targets = os.path.join(COPY, 'tests', 'integration', 'targets')
            if not os.path.isdir(targets) or not os.listdir(targets):
                return 'skipped', 'no integration targets'
            values = integration_config(self.live, self.emu)
            write_integration_config(values)
            log.write('integration_config.yml: run_id=%s stripe_emulator=%s tts_emulator=%s tts_url=%s\n' %
                      (values['run_id'], values['stripe_emulator'], values['tts_emulator'], values['tts_url'] or '-'))
            if self.emu:
                subprocess.run([sys.executable, os.path.join(HARNESS, 'emulators.py'), 'reset', '--state-dir', EMU_STATE], check=False)
            return self.ansible_test(venv, ['integration', '--local', '--python', self.pyver[venv]] + self.targets, log)

        return run

    def collection_env(self, vdir):
        env = self.env(vdir)
        # find thingsstack.tenancy in the copy (ansible-lint otherwise cannot load its plugins)
        env['ANSIBLE_COLLECTIONS_PATH'] = os.path.join(BUILD, 'collections')
        return env

    def s_lint(self, log):
        vdir = self.vpy['main']
        return self.sh([os.path.join(vdir, 'bin', 'ansible-lint'), '--offline', '--nocolor'], log, cwd=COPY, env=self.collection_env(vdir))

    def s_docs(self, log):
        """antsibull-docs lint-collection-docs, then the docs site of `make docs-site` (build/docs-site) from the copy."""
        vdir = self.vpy['main']
        rc = self.sh([os.path.join(vdir, 'bin', 'antsibull-docs'), 'lint-collection-docs', '--plugin-docs', '.'], log, cwd=COPY,
                     env=self.collection_env(vdir))
        if rc != 0:
            return rc
        return self.sh([
            os.path.join(vdir, 'bin', 'python'),
            os.path.join(HARNESS, 'docs_site.py'), '--collections-path',
            os.path.join(BUILD, 'collections')
        ], log, env=self.env(vdir))

    def s_emulator_tests(self, log):
        if not os.path.isdir(os.path.join(COPY, 'tests', 'emulators', 'tests')):
            return 'skipped', 'no tests/emulators/tests'
        vdir = self.vpy['main']
        return self.sh([
            os.path.join(vdir, 'bin', 'python'), '-m', 'pytest', 'tests/emulators/tests', 'tests/harness/tests', '-q', '-p',
            'no:cacheprovider'
        ], log, cwd=COPY, env=self.env(vdir))

    def s_execution_environment(self, log):
        """tests/harness/ee_check.py: ansible-builder create and introspect on docs/awx/ee/execution-environment.yml."""
        builder = ensure_venv('ee', run_cmd=lambda cmd: self.sh(cmd, log, env=self.env(home=False)),
                              note=lambda text: log.write(text + '\n'))
        return self.sh([
            os.path.join(self.vpy['main'], 'bin', 'python'),
            os.path.join(HARNESS, 'ee_check.py'), '--builder', builder, '--ansible', self.vpy['main']
        ], log, env=self.env(self.vpy['main']))

    def s_galaxy(self, log):
        """tests/harness/galaxy_check.py: ansible-galaxy collection build, the tarball's members, galaxy-importer offline."""
        importer = ensure_venv('importer', run_cmd=lambda cmd: self.sh(cmd, log, env=self.env(home=False)),
                               note=lambda text: log.write(text + '\n'))
        return self.sh([os.path.join(importer, 'bin', 'python'), os.path.join(HARNESS, 'galaxy_check.py')], log, env=self.env(importer))

    def s_format(self, log):
        """yapf --diff over the repository's Python code (pyproject.toml: 140 columns, packed, quotes as written)."""
        formatter = ensure_venv('format', run_cmd=lambda cmd: self.sh(cmd, log, env=self.env(home=False)),
                                note=lambda text: log.write(text + '\n'))
        return self.sh([os.path.join(formatter, 'bin', 'yapf'), '--diff', '--recursive', '--parallel', 'plugins', 'tests'], log,
                       env=self.env(formatter))

    def s_changelog(self, log):
        vdir = self.vpy['main']
        return self.sh([os.path.join(vdir, 'bin', 'antsibull-changelog'), 'lint'], log, cwd=COPY, env=self.env(vdir))

    def s_role_tests(self, which):
        """tests/harness/role_tests.sh: the tenant role's molecule scenarios or its ansible-runner test (own emulators)."""

        def run(log):
            vdir = self.vpy['main']
            env = self.env(vdir)
            env['ROLE_TESTS_VENV'] = vdir
            return self.sh(['bash', os.path.join(HARNESS, 'role_tests.sh'), which], log, env=env)

        return run

    def s_playbook_tests(self, log):
        """pytest tests/playbooks: ansible-playbook on the collection's playbooks against own emulators (or live)."""
        if not os.path.isdir(os.path.join(REPO, 'tests', 'playbooks')):
            return 'skipped', 'no tests/playbooks'
        vdir = self.vpy['main']
        env = self.env(vdir)
        live = live_settings()
        if live['stripe'] != live['tts']:
            return 'skipped', 'live mode needs both Stripe and TTS from the environment (or neither)'
        if live['stripe']:
            print('playbook tests: LIVE Stripe test mode and TTS from the environment; no emulators', flush=True)
            env.update({k: os.environ[k] for k in LIVE_VARS if os.environ.get(k)})
        return self.sh([os.path.join(vdir, 'bin', 'python'), '-m', 'pytest', 'tests/playbooks', '-q', '-p', 'no:cacheprovider'], log,
                       env=env, limit=PLAYBOOK_TESTS_TIMEOUT)

    def s_resilience(self, log):
        """tests/resilience: the fault proxy's own tests, then the suite (own emulators, or live, behind its proxy)."""
        vdir = self.vpy['main']
        python = os.path.join(vdir, 'bin', 'python')
        rc = self.sh([python, '-m', 'pytest', 'tests/resilience', '-q', '-p', 'no:cacheprovider'], log, env=self.env(vdir))
        if rc != 0:
            return rc
        env = self.env(vdir)
        live = live_settings()
        if live['stripe'] != live['tts']:
            return 'skipped', 'live mode needs both Stripe and TTS from the environment (or neither)'
        if live['stripe']:
            env.update({k: os.environ[k] for k in LIVE_VARS if os.environ.get(k)})
        return self.sh([python, os.path.join('tests', 'resilience', 'run_resilience.py')], log, env=env)

    # -- the plan
    def plan(self):
        """The steps: (name, function, steps it needs); the function is the reason text of a step that cannot run."""
        steps = [
            ('venv-main', self.s_venv('main'), ()),
            ('tree', self.s_tree, ()),
            ('emulators', self.s_emulators, ('venv-main', )),
            ('units-main', self.s_units('main'), ('venv-main', 'tree')),
            ('integration-main', self.s_integration('main'), ('venv-main', 'tree', 'emulators')),
            ('emulator-tests', self.s_emulator_tests, ('venv-main', 'tree')),
            ('ansible-lint', self.s_lint, ('venv-main', 'tree')),
            ('antsibull-docs', self.s_docs, ('venv-main', 'tree')),
            ('changelog-lint', self.s_changelog, ('venv-main', 'tree')),
            ('format', self.s_format, ()),
            ('execution-environment', self.s_execution_environment, ('venv-main', )),
            ('galaxy-importer', self.s_galaxy, ()),
            ('molecule', self.s_role_tests('molecule'), ('venv-main', )),
            ('ansible-runner', self.s_role_tests('runner'), ('venv-main', )),
            ('playbook-tests', self.s_playbook_tests, ('venv-main', )),
            ('resilience', self.s_resilience, ('venv-main', )),
            ('sanity-main', self.s_sanity('main'), ('venv-main', 'tree')),
        ]
        second = [
            ('venv-second', self.s_venv('second'), ()),
            ('units-second', self.s_units('second'), ('venv-second', 'tree')),
            ('integration-second', self.s_integration('second'), ('venv-second', 'tree', 'emulators')),
            ('sanity-second', self.s_sanity('second'), ('venv-second', 'tree')),
        ]
        try:
            venv_python('second')
        except RuntimeError as exc:
            second = [(name, str(exc), ()) for name, dummy, needs in second]
        return steps + second

    def summary(self):
        width = max([len(r[0]) for r in self.results] + [4])
        print('\n' + '=' * 78)
        print('%-*s  %-8s %8s  %s' % (width, 'step', 'result', 'seconds', 'note'))
        print('%s  %s %s  %s' % ('-' * width, '-' * 8, '-' * 8, '-' * 20))
        for name, status, seconds, note in self.results:
            print('%-*s  %-8s %8.1f  %s' % (width, name, status, seconds, note))
        passed = sum(1 for r in self.results if r[1] == 'ok')
        failed = sum(1 for r in self.results if r[1] in ('FAILED', 'blocked'))
        skipped = [r[0] for r in self.results if r[1] == 'SKIPPED']
        total = sum(r[2] for r in self.results)
        print('total %.1f s; logs in %s' % (total, os.path.relpath(LOGS, REPO)))
        print('=' * 78)
        line = 'harness: %d passed, %d failed' % (passed, failed)
        if skipped:
            line += ', %d SKIPPED (not run on this machine, see the table): %s' % (len(skipped), ', '.join(skipped))
        print(line, flush=True)
        return failed


def cmd_test(args):
    runner = Runner()
    runner.targets = (args.targets or '').replace(',', ' ').split()

    def on_signal(signum, _frame):
        print('\nharness: got signal %d, stopping' % signum, flush=True)
        runner.kill_current()
        runner.stop_emulators()
        sys.exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    steps = runner.plan()
    if args.list:
        for name, dummy, needs in steps:
            print('%-20s needs: %s' % (name, ', '.join(needs) or '-'))
        return 0
    only = set()
    for item in args.only or []:
        only.update(s.strip() for s in item.replace(',', ' ').split() if s.strip())
    if only:
        unknown = only - {s[0] for s in steps}
        if unknown:
            print('harness: unknown step(s): %s (see --list)' % ', '.join(sorted(unknown)))
            return 2
        # the setup steps a selected step needs always run
        wanted = set(only)
        for name, dummy, needs in reversed(steps):
            if name in wanted:
                wanted.update(needs)
        steps = [s for s in steps if s[0] in wanted]
    try:
        for name, func, needs in steps:
            if isinstance(func, str):
                runner.record(name, 'SKIPPED', 0.0, func)
                continue
            runner.step(name, func, needs)
    finally:
        runner.stop_emulators()
    failed = runner.summary()
    return 1 if failed else 0


def cmd_pythons():
    """`main: /path/python3.12 (3.12)` and `second: ...` or `second: none (reason)`."""
    for name in ('main', 'second'):
        try:
            python = venv_python(name)
        except RuntimeError as exc:
            if name == 'main':
                raise
            print('%s: none (%s)' % (name, exc))
            continue
        print('%s: %s (%s)' % (name, python, python_version(python)))
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    sub = parser.add_subparsers(dest='command', required=True)
    test = sub.add_parser('test', help='run the whole suite')
    test.add_argument('--only', action='append', help='run only these steps (comma/space separated) and their setup')
    test.add_argument('--list', action='store_true', help='list the steps')
    test.add_argument('--targets', help='integration targets to run (default: all)')
    venv = sub.add_parser('venv', help='create/refresh a venv and print its path')
    venv.add_argument('name', choices=sorted(VENVS))
    sub.add_parser('pythons', help='print the Python of each venv')
    sub.add_parser('tree', help='refresh the ansible-test copy and print its path')
    args = parser.parse_args(argv)
    try:
        if args.command == 'test':
            return cmd_test(args)
        if args.command == 'venv':
            print(ensure_venv(args.name))
            return 0
        if args.command == 'pythons':
            return cmd_pythons()
    except RuntimeError as exc:
        sys.stderr.write('%s\n' % exc)
        return 1
    sync_tree(out=sys.stderr)
    print(COPY)
    return 0


if __name__ == '__main__':
    sys.exit(main())
