"""Playbook-level tests: real `ansible-playbook` runs of the collection's playbooks and role against the emulators.

Run by the harness step `playbook-tests` (`make playbook-tests`, `PYTEST_ADDOPTS='-k deprovision'` selects tests), or
by hand: `build/venv-main/bin/python -m pytest tests/playbooks -q -p no:cacheprovider`.

The session fixture `services` starts its own Stripe and TTS emulators (tests/harness/emulators.py, state in
build/playbook-tests/emulators, stopped at the end of the session, also on failure), ensures the example catalog
(playbooks/catalog.yml with EXAMPLE_CATALOG: the prices tts-small-monthly and tts-large-monthly) and switches the
Tenant Billing Server on for tts-small-monthly, as `make demo` and the role tests do. Its API:

  services.live          True when real services from the environment are used instead of the emulators:
                         STRIPE_API_KEY=sk_test_... [STRIPE_API_BASE] together with TTS_URL and TTS_TENANT_ADMIN_KEY
                         (both or neither: the real Tenant Billing Server must reach the real Stripe account and
                         already manage tts-small-monthly). Counter assertions are skipped then, everything else runs.
  services.env           the environment for ansible-playbook: connection variables, ANSIBLE_COLLECTIONS_PATH (a
                         symlink tree build/playbook-tests/collections/ansible_collections/thingsstack/tenancy -> this
                         checkout), ANSIBLE_HOME and temp dirs under build/playbook-tests/, no colour.
  services.playbook(playbook, inventory, *args, extra_vars=None, limit=None, env=None, timeout=PLAY_TIMEOUT)
                         runs `ansible-playbook -i INVENTORY [-l LIMIT] [-e JSON] *args PLAYBOOK` from the checkout and
                         returns a subprocess.CompletedProcess with `.rc` and `.output` (stdout and stderr together;
                         also written to build/playbook-tests/logs/). `playbook`: a path relative to the checkout
                         ('playbooks/deprovision.yml'), a bare name ('deprovision' -> playbooks/deprovision.yml) or an
                         absolute path. `inventory`: a path, a dict (written as YAML to a temporary file) or a YAML
                         string. `env`: variables added to (or, with value None, removed from) services.env.
  services.counters()    {'stripe': {...}, 'tts': {...}}: each emulator's GET /_emulator/counters ('total', 'reads',
                         'writes', 'by_status'; TTS also 'webhooks', the Stripe events it received), or None when live.
  services.clear_counters()      zero both emulators' counters (no-op when live).
  services.writes()      total write requests to both emulators since the last clear (None when live).
  services.tbs(*plans)   switch the emulated Tenant Billing Server on for these plans (price lookup keys or IDs; none:
                         off) with tests/harness/tbs_setup.py. Live: does nothing (the real TBS is configured by its
                         operator) and returns False.
  services.tenant_id(prefix) a tenant ID unique to this run and call ('dep-r1x2y3z4-1'): tests must work against real
                         services, where nothing is reset and a deleted tenant ID can never be used again.
  services.email(tenant_id)  an email address for that tenant ('billing@<tenant_id>.example').
  services.run_id        the run's random part of those IDs.

Also: `REPO`, `OUT` (build/playbook-tests), `EXAMPLE_CATALOG`, `local_inventory(hosts, groups=None, **vars)` to build
an inventory dict, and `recap(output)` -> {host: {'ok': n, 'changed': n, 'failed': n, ...}} of a PLAY RECAP.
"""

import itertools
import json
import os
import secrets
import shutil
import signal
import string
import subprocess
import sys
import tempfile

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, 'build', 'playbook-tests')
EMU_STATE = os.path.join(OUT, 'emulators')
COLLECTIONS = os.path.join(OUT, 'collections')
HARNESS = os.path.join(REPO, 'tests', 'harness')
EXAMPLE_CATALOG = os.path.join(REPO, 'playbooks', 'vars', 'catalog.example.yml')
DEFAULT_TBS_PLAN = 'tts-small-monthly'
PLAY_TIMEOUT = 300  # seconds for one ansible-playbook run
CONNECTION_VARS = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY')

sys.path[:0] = [HARNESS, os.path.join(REPO, 'tests', 'benchmark')]
# pylint: disable=wrong-import-position,unused-import
import emulators  # noqa: E402  (tests/harness: start, stop and ask the emulators)
from bench import link_collection  # noqa: E402  (tests/benchmark: the collection path of this checkout)
from bench_tenants import recap  # noqa: E402,F401  (tests/benchmark: the PLAY RECAP parser, for the tests)


def local_inventory(hosts, groups=None, **host_vars):
    """An inventory dict: `hosts` ({name: vars} or a list of names) in group `tenants` (and in each group of `groups`,
    {group: [host, ...]}, as children of `tenants`), every host local, with `host_vars` as vars of `tenants`."""
    if not isinstance(hosts, dict):
        hosts = {name: {} for name in hosts}
    tenant_vars = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}
    tenant_vars.update(host_vars)
    tenants = {'vars': tenant_vars, 'hosts': {name: dict(values or {}) for name, values in hosts.items()}}
    if groups:
        tenants['children'] = {group: {'hosts': {name: {} for name in members}} for group, members in groups.items()}
    return {'all': {'children': {'tenants': tenants}}}


def live_services():
    """True when real services come from the environment (both Stripe test mode and TTS), False for the emulators."""
    key = os.environ.get('STRIPE_API_KEY', '')
    tts = bool(os.environ.get('TTS_URL')) and bool(os.environ.get('TTS_TENANT_ADMIN_KEY'))
    if not key and not os.environ.get('TTS_URL') and not os.environ.get('TTS_TENANT_ADMIN_KEY'):
        return False
    if '_live_' in key or (key and not key.startswith(('sk_test_', 'rk_test_'))):
        raise pytest.UsageError('STRIPE_API_KEY is not a Stripe test-mode key (sk_test_...): refusing to run')
    if not key or not tts:
        raise pytest.UsageError('playbook tests against real services need STRIPE_API_KEY=sk_test_... and TTS_URL with '
                                'TTS_TENANT_ADMIN_KEY (the real Tenant Billing Server must reach that Stripe account), '
                                'or none of them for the emulators')
    return True


class Services:
    """What the playbook tests talk to: see the module docstring."""

    def __init__(self, live):
        self.live = live
        self.run_id = 'r' + ''.join(secrets.choice(string.ascii_lowercase + string.digits) for dummy in range(7))
        self._serial = itertools.count(1)
        self._runs = itertools.count(1)
        self.bases = {}
        self.env = {}
        self.logs = os.path.join(OUT, 'logs')

    # -- setup and teardown
    def start(self):
        shutil.rmtree(self.logs, ignore_errors=True)
        for sub in ('logs', 'tmp', 'ansible-home/tmp', 'ansible-home/remote-tmp'):
            os.makedirs(os.path.join(OUT, sub), exist_ok=True)
        link_collection(COLLECTIONS)
        env = {
            k: v
            for k, v in os.environ.items() if k not in CONNECTION_VARS and not k.startswith('ANSIBLE_') and k not in ('PYTHONPATH', )
        }
        env.update({
            'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_HOME': os.path.join(OUT, 'ansible-home'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(OUT, 'ansible-home', 'tmp'),
            'ANSIBLE_REMOTE_TMP': os.path.join(OUT, 'ansible-home', 'remote-tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'NO_COLOR': '1',
            'PY_COLORS': '0',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
        })
        if self.live:
            env.update({k: os.environ[k] for k in CONNECTION_VARS if os.environ.get(k)})
        else:
            state = emulators.start_both(EMU_STATE)
            env.update({k: state[k] for k in CONNECTION_VARS})
            self.bases = {'stripe': state['STRIPE_API_BASE'], 'tts': state['TTS_URL']}
        self.env = env
        result = self.playbook('catalog', {
            'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
        }, extra_vars='@' + EXAMPLE_CATALOG)
        if result.rc != 0:
            raise RuntimeError('the example catalog could not be ensured:\n' + result.output[-3000:])
        self.tbs(DEFAULT_TBS_PLAN)
        self.clear_counters()

    def stop(self):
        if not self.live:
            subprocess.run([sys.executable, os.path.join(HARNESS, 'emulators.py'), 'stop', '--state-dir', EMU_STATE], check=False,
                           timeout=60)

    # -- the API
    def tenant_id(self, prefix='pt'):
        return '%s-%s-%d' % (prefix, self.run_id, next(self._serial))

    @staticmethod
    def email(tenant_id, who='billing'):
        return '%s@%s.example' % (who, tenant_id)

    def counters(self):
        if self.live:
            return None
        return {name: emulators.control(base, 'GET', '/_emulator/counters') for name, base in self.bases.items()}

    def clear_counters(self):
        for base in self.bases.values():
            emulators.control(base, 'POST', '/_emulator/log/clear')

    def writes(self):
        counts = self.counters()
        return None if counts is None else sum(values.get('writes', 0) for values in counts.values())

    def tbs(self, *plans):
        if self.live:
            return False
        args = ['--plan=%s' % plan for plan in plans] or ['--off']
        out = subprocess.run([sys.executable, os.path.join(HARNESS, 'tbs_setup.py')] + args, env=self.env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, check=False, timeout=60)
        if out.returncode != 0:
            raise RuntimeError('tbs_setup.py %s failed: %s' % (' '.join(args), out.stdout.decode(errors='replace')))
        return True

    def playbook(self, playbook, inventory, *args, extra_vars=None, limit=None, env=None, timeout=PLAY_TIMEOUT):
        number = next(self._runs)
        if os.path.isabs(playbook) or os.sep in playbook:
            path = os.path.join(REPO, playbook)
        else:
            path = os.path.join(REPO, 'playbooks', playbook if playbook.endswith('.yml') else playbook + '.yml')
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')]
        with tempfile.TemporaryDirectory(dir=os.path.join(OUT, 'tmp')) as tmp:
            if isinstance(inventory, (dict, list)) or (isinstance(inventory, str) and '\n' in inventory):
                inventory_path = os.path.join(tmp, 'inventory.yml')
                with open(inventory_path, 'w', encoding='utf-8') as handle:
                    handle.write(inventory if isinstance(inventory, str) else yaml.safe_dump(inventory, sort_keys=False))
            else:
                inventory_path = os.fspath(inventory)
            cmd += ['-i', inventory_path]
            if limit is not None:
                cmd += ['-l', limit]
            if isinstance(extra_vars, dict):
                cmd += ['-e', json.dumps(extra_vars)]
            elif extra_vars:
                cmd += ['-e', extra_vars]
            cmd += list(args) + [path]
            run_env = dict(self.env)
            for key, value in (env or {}).items():
                if value is None:
                    run_env.pop(key, None)
                else:
                    run_env[key] = value
            try:
                proc = subprocess.run(cmd, env=run_env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, check=False, timeout=timeout)
                output, rc = proc.stdout.decode('utf-8', 'replace'), proc.returncode
            except subprocess.TimeoutExpired as exc:
                output = (exc.stdout or b'').decode('utf-8', 'replace') + '\nTIMEOUT after %d s' % timeout
                rc = 124
        log = os.path.join(self.logs, '%03d-%s.log' % (number, os.path.splitext(os.path.basename(path))[0]))
        with open(log, 'w', encoding='utf-8') as handle:
            handle.write('+ %s\n%s' % (' '.join(cmd[1:]), output))
        result = subprocess.CompletedProcess(cmd, rc, stdout=output)
        result.rc = rc
        result.output = output
        result.log = log
        return result


def _interrupt(signum, _frame):
    raise KeyboardInterrupt('signal %d' % signum)


@pytest.fixture(scope='session')
def services():
    """The Stripe and TTS emulators (or real services) with the example catalog: see the module docstring."""
    # The harness ends a step that runs too long with SIGTERM: unwind like Ctrl-C, so the emulators are stopped too.
    signal.signal(signal.SIGTERM, _interrupt)
    svc = Services(live_services())
    try:
        svc.start()
        yield svc
    finally:
        svc.stop()
