"""The resilience suite: provisioning through a fault-injecting proxy makes no duplicate and converges in one re-run.

    build/venv-main/bin/python tests/resilience/run_resilience.py [--seed N] [--tenants N] [--rate 0.25]

Run by the harness step `resilience` (`make resilience`). Everything lives under build/resilience/: its own Stripe and
TTS emulators (tests/harness/emulators.py, stopped at the end, also on failure), a collection symlink tree, the
playbook logs (logs/), the proxy's request log with the fault of each request (requests.log) and the figures
(figures.json). The services are never reached by the modules directly: a FaultProxy (fault_proxy.py) on 127.0.0.1
sits in front of each, with one seeded schedule of faults (429 with Retry-After, 500 after the service acted, 502,
503, connection resets, responses dropped after the service acted, delays past the client timeout).

Live: with STRIPE_API_KEY=sk_test_... [STRIPE_API_BASE, STRIPE_CA_PATH] and TTS_URL, TTS_TENANT_ADMIN_KEY [TTS_CA_PATH]
in the environment the proxies front the real services (https) instead of the emulators. Tenant IDs are unique to each
run (res-<run>-..., con-<run>-...) and the objects stay (TTS keeps deleted IDs); every tenant is then in direct mode,
as billing mode needs a Tenant Billing Server set up for the suite's plan, which the emulators' tbs_setup.py does here.

 1. catalog     playbooks/catalog.yml with the example catalog through the proxy at the fault rate (no delay faults:
                the catalog play has the modules' default 30 s timeout), then without faults until changed=0;
                the Tenant Billing Server is switched on for tts-small-monthly (tests/harness/tbs_setup.py).
 2. provision   --tenants tenants (half billing mode, half direct mode) through the proxy at the fault rate with
                provision_faults.yml (playbooks/provision.yml's play with short client timeouts); duplicates counted
                from the emulators' list APIs; then playbooks/provision.yml without faults until changed=0.
 3. concurrent  two runs of provision_faults.yml started together on new tenants, through the proxy at the fault rate;
                duplicates counted; then playbooks/provision.yml without faults until changed=0.

It asserts 0 duplicates (customers per email, tax IDs per customer, subscriptions per tenant-id, tenants, prices per
lookup key) after each faulty phase, that one clean re-run converges (the next one reports changed=0, failed=0), that
every declared tenant then has exactly one customer, subscription and tenant, that every kind of fault was injected
and creates on both services met faults after the service acted, and that the request count stays under its cap.
Failed tasks of the faulty runs are allowed, and reported with their messages.
Exit 0 when every assertion holds, 1 otherwise.
"""

import argparse
import collections
import json
import os
import re
import shutil
import secrets
import signal
import ssl
import string
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import yaml

from fault_proxy import ACTED, KINDS, FaultProxy, FaultSchedule  # same folder

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESS = os.path.join(REPO, 'tests', 'harness')
OUT = os.path.join(REPO, 'build', 'resilience')
EMU_STATE = os.path.join(OUT, 'emulators')
COLLECTIONS = os.path.join(OUT, 'collections')
LOGS = os.path.join(OUT, 'logs')
CATALOG = os.path.join(REPO, 'playbooks', 'catalog.yml')
EXAMPLE_CATALOG = os.path.join(REPO, 'playbooks', 'vars', 'catalog.example.yml')
PROVISION = os.path.join(REPO, 'playbooks', 'provision.yml')
PROVISION_FAULTS = os.path.join(REPO, 'tests', 'resilience', 'provision_faults.yml')
BILLING_PLAN, DIRECT_PLAN = 'tts-small-monthly', 'tts-large-monthly'
CONNECTION_VARS = ('STRIPE_API_KEY', 'STRIPE_API_BASE', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY')

CLIENT_TIMEOUT = 2.0  # seconds, the modules' timeout in the faulty provision runs
DELAY = CLIENT_TIMEOUT + 1.0  # a delay fault holds the request this long
MAX_RETRIES = 5  # the modules' default, stated
CLEAN_RUNS = 3  # clean runs at most per phase (converged within one re-run means: the 2nd reports changed=0)
CONCURRENT_TENANTS = 8
PLAY_TIMEOUT = 300  # seconds, one ansible-playbook run
SUITE_BUDGET = 900  # seconds, the whole suite: no run starts after it
MAX_REQUESTS = 6000  # requests through the proxies, all phases together
FORKS = 8
CREATE_RE = re.compile(r'/(customers|subscriptions|prices|products|tax_ids|tenants)$')  # POST there creates

sys.path[:0] = [HARNESS, os.path.join(REPO, 'tests', 'benchmark')]
# pylint: disable=wrong-import-position
import emulators  # noqa: E402  (tests/harness: start, stop and ask the emulators)
from bench import link_collection  # noqa: E402  (tests/benchmark: the collection path of this checkout)
from bench_tenants import recap  # noqa: E402  (tests/benchmark: the PLAY RECAP parser)


def say(msg):
    print('resilience: %s' % msg, flush=True)


# --------------------------------------------------------------------------- inventory


def tenant_hosts(prefix, count, billing_mode=True):
    """`count` tenants, alternately billing and direct mode (or all direct), with some variety (address and tax ID, trial,
    attributes)."""
    hosts = {}
    for index in range(1, count + 1):
        billing = billing_mode and index % 2 == 1
        tenant_id = '%s-%s%02d' % (prefix, 'b' if billing else 'd', index)
        host = {
            'tenant_provisioning': 'billing' if billing else 'direct',
            'tenant_name': 'Resilience %s' % tenant_id,
            'tenant_customer': {'email': 'billing@%s.example' % tenant_id, 'name': 'Customer of %s' % tenant_id},
            'tenant_plan': {'price': BILLING_PLAN if billing else DIRECT_PLAN, 'collection_method': 'send_invoice', 'days_until_due': 30},
            'tenant_admin': {'email': 'admin@%s.example' % tenant_id, 'full_name': 'Admin of %s' % tenant_id},
        }
        if index % 3 == 0:
            host['tenant_customer']['address'] = {
                'line1': 'Hauptstrasse %d' % index, 'postal_code': '10115', 'city': 'Berlin', 'country': 'DE'
            }
            host['tenant_customer']['tax_ids'] = [{'type': 'eu_vat', 'value': 'DE%09d' % (100000000 + index)}]
        if index % 4 == 1:
            host['tenant_plan'] = {'price': BILLING_PLAN, 'trial_period_days': 30}
        if index % 4 == 2:
            host['tenant_attributes'] = {'crm-id': str(4700 + index)}
        hosts[tenant_id] = host
    return hosts


def write_inventory(name, hosts):
    path = os.path.join(OUT, name + '.yml')
    tenants = {
        'vars': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}', 'tenant_wait_timeout': 60},
        'hosts': hosts
    }
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({'all': {'children': {'tenants': tenants}}}, handle, sort_keys=False)
    return path


# --------------------------------------------------------------------------- the services


def live_state():
    """Real Stripe test mode and TTS from the environment (both, or neither: then the suite's own emulators)."""
    key, tts_url, tts_key = (os.environ.get(name, '') for name in ('STRIPE_API_KEY', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY'))
    if not (key or tts_url or tts_key):
        return None
    if not key.startswith(('sk_test_', 'rk_test_')) or not tts_url or not tts_key:
        raise RuntimeError('live mode needs STRIPE_API_KEY=sk_test_... together with TTS_URL and TTS_TENANT_ADMIN_KEY '
                           '(or none of them, for the emulators)')
    return {
        'STRIPE_API_KEY': key, 'STRIPE_API_BASE': os.environ.get('STRIPE_API_BASE') or 'https://api.stripe.com', 'TTS_URL': tts_url,
        'TTS_TENANT_ADMIN_KEY': tts_key, 'STRIPE_CA_PATH': os.environ.get('STRIPE_CA_PATH'), 'TTS_CA_PATH': os.environ.get('TTS_CA_PATH')
    }


def service_get(base, path, query, headers, cafile=None):
    url = base.rstrip('/') + path + '?' + urllib.parse.urlencode(query, doseq=True)
    request = urllib.request.Request(url, headers=headers)
    context = ssl.create_default_context(cafile=cafile) if url.startswith('https:') else None
    with urllib.request.urlopen(request, timeout=30, context=context) as resp:  # nosec - the emulators, or live https
        return json.loads(resp.read()), resp.headers


def stripe_list(state, path, query=None):
    """Every object of a Stripe list call, straight from the emulator (not through the proxy)."""
    headers = {'Authorization': 'Bearer ' + state['STRIPE_API_KEY']}
    query = dict(query or {}, limit=100)
    items = []
    for dummy in range(1000):
        page, dummy_headers = service_get(state['STRIPE_API_BASE'], path, query, headers, state.get('STRIPE_CA_PATH'))
        items += page['data']
        if not page.get('has_more') or not page['data']:
            break
        query['starting_after'] = page['data'][-1]['id']
    return items


def tts_tenants(state):
    headers = {'Authorization': 'TenantAdminKey ' + state['TTS_TENANT_ADMIN_KEY'], 'Accept': 'application/json'}
    tenants = []
    for page in range(1, 100):
        body, dummy = service_get(state['TTS_URL'], '/api/v3/tenants', {'field_mask': 'name', 'limit': 1000, 'page': page}, headers,
                                  state.get('TTS_CA_PATH'))
        batch = body.get('tenants') or []
        tenants += batch
        if len(batch) < 1000:
            break
    return tenants


def census(state, expected_tenants, catalog_keys):
    """What the services hold for the declared tenants and the catalog, counted from their list APIs (by email, by customer,
    by lookup key and product; never the whole account, which on real Stripe holds more than this suite's objects):
    duplicates, and what each declared tenant has."""
    expected = {tid: 'billing@%s.example' % tid for tid in expected_tenants}
    listed = [c for email in expected.values() for c in stripe_list(state, '/v1/customers', {'email': email})]
    customers = collections.Counter(c.get('email') for c in listed)
    tax_ids = collections.Counter(
        (c['id'], t.get('type'), t.get('value')) for c in listed for t in stripe_list(state, '/v1/customers/%s/tax_ids' % c['id']))
    subscriptions = collections.Counter((s.get('metadata') or {}).get('tenant-id') for c in listed
                                        for s in stripe_list(state, '/v1/subscriptions', {'customer': c['id'], 'status': 'all'}))
    by_key = collections.defaultdict(list)
    for chunk in range(0, len(catalog_keys), 10):  # Stripe takes at most 10 lookup keys a request
        for price in stripe_list(state, '/v1/prices', {'lookup_keys[]': catalog_keys[chunk:chunk + 10]}):
            by_key[price['lookup_key']].append(price)
    products = sorted({price['product'] for found in by_key.values() for price in found})
    prices = [p for product in products for p in stripe_list(state, '/v1/prices', {'product': product, 'active': 'true'})]
    same_plan = collections.Counter((p.get('product'), p.get('nickname')) for p in prices)
    ours = tuple(sorted({tid.rsplit('-', 1)[0] + '-' for tid in expected_tenants}))
    tenants = collections.Counter(t['ids']['tenant_id'] for t in tts_tenants(state) if ours and t['ids']['tenant_id'].startswith(ours))
    return {
        'customers': sum(customers.values()),
        'subscriptions': sum(subscriptions.values()),
        'prices': len(prices),
        'tenants': sum(tenants.values()),
        'duplicates': {
            'customers per email':
            sum(n - 1 for email, n in customers.items() if email and n > 1),
            'tax IDs per customer':
            sum(n - 1 for n in tax_ids.values() if n > 1),
            'subscriptions per tenant-id':
            sum(n - 1 for tid, n in subscriptions.items() if tid and n > 1),
            'tenants':
            sum(n - 1 for n in tenants.values() if n > 1) + len(set(tenants) - set(expected_tenants)),
            'prices per lookup key': (sum(max(0,
                                              len(by_key[key]) - 1)
                                          for key in catalog_keys) + sum(n - 1 for n in same_plan.values() if n > 1)),
        },
        'duplicated': {
            'emails': sorted(e for e, n in customers.items() if e and n > 1),
            'tax IDs': sorted('%s %s %s' % key for key, n in tax_ids.items() if n > 1),
            'tenant-ids': sorted(t for t, n in subscriptions.items() if t and n > 1),
            'tenants': sorted(set(tenants) - set(expected_tenants)),
            'plans': sorted('%s %s' % key for key, n in same_plan.items() if n > 1),
        },
        'missing': {
            'customers': sorted(tid for tid, email in expected.items() if customers.get(email, 0) != 1),
            'subscriptions': sorted(tid for tid in expected if subscriptions.get(tid, 0) != 1),
            'tenants': sorted(tid for tid in expected if tenants.get(tid, 0) != 1),
            'prices': sorted(key for key in catalog_keys if len(by_key[key]) != 1),
        },
    }


# --------------------------------------------------------------------------- playbook runs

TASK_RE = re.compile(r'^TASK \[(?P<task>.*)\] \*+$')
FAILED_RE = re.compile(r'^fatal: \[(?P<host>[^\]]+)\]: (?:FAILED|UNREACHABLE)! => (?P<body>.*)$')


def failures(output):
    """[(task, host, message)] of the failed tasks in an ansible-playbook output."""
    found, task = [], ''
    for line in output.splitlines():
        match = TASK_RE.match(line)
        if match:
            task = match.group('task')
            continue
        match = FAILED_RE.match(line)
        if match:
            try:
                message = json.loads(match.group('body')).get('msg', '')
            except ValueError:
                message = match.group('body')
            found.append((task, match.group('host'), ' '.join(str(message).split())[:400]))
    return found


class Suite:

    def __init__(self, args):
        self.args = args
        self.deadline = time.monotonic() + SUITE_BUDGET
        self.schedule = FaultSchedule(args.seed, MAX_REQUESTS, DELAY)
        self.state = {}
        self.proxies = {}
        self.env = {}
        self.runs = 0
        self.running = []  # ansible-playbook processes not finished yet
        self.problems = []
        self.live = live_state()
        # Tenant IDs unique to the run: on a real deployment deleted IDs stay taken, and earlier runs' objects stay.
        self.run_id = ''.join(secrets.choice(string.ascii_lowercase + string.digits) for dummy in range(6))
        self.figures = {'seed': args.seed, 'fault rate': args.rate, 'client timeout': CLIENT_TIMEOUT, 'phases': {}}

    # -- setup and teardown
    def start(self):
        shutil.rmtree(LOGS, ignore_errors=True)
        for sub in ('logs', 'ansible-home/tmp'):
            os.makedirs(os.path.join(OUT, sub), exist_ok=True)
        link_collection(COLLECTIONS)
        if self.live:
            say('LIVE: Stripe test mode at %s and The Things Stack at %s, from the environment (no emulators); tenant IDs '
                'of this run are res-%s-* and con-%s-*; every tenant in direct mode, as billing mode needs a Tenant Billing '
                'Server set up for the plan %s' %
                (self.live['STRIPE_API_BASE'], self.live['TTS_URL'], self.run_id, self.run_id, BILLING_PLAN))
            self.state = self.live
        else:
            self.state = emulators.start_both(EMU_STATE)
        self.proxies = {
            service: FaultProxy(service, self.state[base], self.schedule, self.state.get(ca)).start()
            for service, base, ca in (('stripe', 'STRIPE_API_BASE', 'STRIPE_CA_PATH'), ('tts', 'TTS_URL', 'TTS_CA_PATH'))
        }
        say('proxies: stripe %s -> %s, tts %s -> %s' %
            (self.proxies['stripe'].url, self.state['STRIPE_API_BASE'], self.proxies['tts'].url, self.state['TTS_URL']))
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in CONNECTION_VARS and not k.startswith(('ANSIBLE_', 'STRIPE_', 'TTS_')) and k != 'PYTHONPATH'
        }
        env.update({
            'PATH': os.path.dirname(sys.executable) + os.pathsep + os.environ.get('PATH', '/usr/bin:/bin'),
            'ANSIBLE_COLLECTIONS_PATH': COLLECTIONS,
            'ANSIBLE_HOME': os.path.join(OUT, 'ansible-home'),
            'ANSIBLE_LOCAL_TEMP': os.path.join(OUT, 'ansible-home', 'tmp'),
            'ANSIBLE_NOCOLOR': '1',
            'ANSIBLE_FORCE_COLOR': '0',
            'NO_COLOR': '1',
            'PY_COLORS': '0',
            'ANSIBLE_RETRY_FILES_ENABLED': '0',
            'ANSIBLE_FORKS': str(FORKS),
            'STRIPE_API_KEY': self.state['STRIPE_API_KEY'],
            'STRIPE_API_BASE': self.proxies['stripe'].url,
            'TTS_TENANT_ADMIN_KEY': self.state['TTS_TENANT_ADMIN_KEY'],
            'TTS_URL': self.proxies['tts'].url,
        })
        self.env = env

    def stop(self):
        for proc in self.running:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        for proxy in self.proxies.values():
            proxy.stop()
        if not self.live:
            subprocess.run([sys.executable, os.path.join(HARNESS, 'emulators.py'), 'stop', '--state-dir', EMU_STATE], check=False,
                           timeout=60)
        with open(os.path.join(OUT, 'requests.log'), 'w', encoding='utf-8') as handle:
            handle.write('# seq phase service method path fault\n')
            handle.writelines('%d %s %s %s %s %s\n' % (seq, phase, service, method, path, kind or '-')
                              for seq, phase, service, method, path, kind in self.schedule.log)
        with open(os.path.join(OUT, 'figures.json'), 'w', encoding='utf-8') as handle:
            json.dump(self.figures, handle, indent=2)

    def check(self, ok, message):
        if not ok:
            self.problems.append(message)
            say('FAILED: ' + message)
        return ok

    # -- running playbooks
    def command(self, playbook, inventory, extra_vars):
        cmd = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory]
        if extra_vars:
            cmd += ['-e', extra_vars if isinstance(extra_vars, str) else json.dumps(extra_vars)]
        return cmd + [playbook]

    def start_play(self, label, playbook, inventory, extra_vars=None):
        if time.monotonic() > self.deadline:
            raise RuntimeError('the suite used up its budget of %d s before %s' % (SUITE_BUDGET, label))
        self.runs += 1
        log = os.path.join(LOGS, '%02d-%s.log' % (self.runs, label))
        cmd = self.command(playbook, inventory, extra_vars)
        handle = open(log, 'w+', encoding='utf-8')  # pylint: disable=consider-using-with
        handle.write('+ %s\n' % ' '.join(os.path.relpath(c, REPO) if c.startswith(REPO) else c for c in cmd[1:]))
        handle.flush()
        proc = subprocess.Popen(
            cmd,
            env=self.env,
            cwd=REPO,
            stdin=subprocess.DEVNULL,  # pylint: disable=consider-using-with
            stdout=handle,
            stderr=subprocess.STDOUT)
        self.running.append(proc)
        return proc, handle, log

    def finish_play(self, label, running):
        proc, handle, log = running
        try:
            rc = proc.wait(timeout=max(1.0, min(PLAY_TIMEOUT, self.deadline + PLAY_TIMEOUT - time.monotonic())))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = 124
        self.running.remove(proc)
        handle.seek(0)
        output = handle.read()
        handle.close()
        hosts = recap(output)
        result = {
            'label': label, 'rc': rc, 'log': os.path.relpath(log,
                                                             REPO), 'changed': sum(h.get('changed', 0) for h in hosts.values()), 'failed':
            sum(h.get('failed', 0) + h.get('unreachable', 0) for h in hosts.values()), 'hosts': len(hosts), 'failures': failures(output)
        }
        say('%s: rc=%d hosts=%d changed=%d failed=%d (%s)' %
            (label, rc, result['hosts'], result['changed'], result['failed'], result['log']))
        for task, host, message in result['failures']:
            say('  failed: [%s] %s: %s' % (host, task, message))
        if not hosts:
            self.check(False, '%s: no PLAY RECAP (rc %d); see %s' % (label, rc, result['log']))
        return result

    def play(self, label, playbook, inventory, extra_vars=None):
        return self.finish_play(label, self.start_play(label, playbook, inventory, extra_vars))

    def converge(self, phase, playbook, inventory, extra_vars=None):
        """Clean runs (no faults) until one reports changed=0 and failed=0; the runs before it are the re-runs."""
        self.schedule.configure(phase + '-clean', 0.0)
        runs = []
        for number in range(1, CLEAN_RUNS + 1):
            result = self.play('%s-clean-%d' % (phase, number), playbook, inventory, extra_vars)
            runs.append(result)
            if result['rc'] == 0 and result['changed'] == 0 and result['failed'] == 0 and result['hosts']:
                break
        reruns = len(runs) - 1 if runs[-1]['changed'] == 0 and runs[-1]['failed'] == 0 and runs[-1]['rc'] == 0 else None
        self.check(reruns is not None, '%s: not converged after %d clean runs' % (phase, CLEAN_RUNS))
        self.check(reruns is None or reruns <= 1, '%s: %s clean re-runs to converge (at most 1)' % (phase, reruns))
        return runs, reruns

    # -- the phases
    def record(self, phase, faulty, runs, reruns, counted=None, started=None):
        faults = {kind: n for (ph, kind), n in self.schedule.faults.items() if ph == phase}
        self.check(sum(faults.values()) > 0, '%s: no fault was injected' % phase)
        hit = [entry for entry in self.schedule.log if entry[1] == phase and entry[5]]
        self.figures['phases'][phase] = {
            'faults':
            dict(sorted(faults.items())),
            'faults on writes':
            sum(1 for entry in hit if entry[3] != 'GET'),
            'creates hit after the service acted':
            dict(
                collections.Counter(service for dummy, dummy, service, method, path, kind in hit
                                    if method == 'POST' and CREATE_RE.search(path) and kind in ACTED)),
            'requests': {'faulty': self.schedule.total(phase), 'clean': self.schedule.total(phase + '-clean')},
            'failed tasks':
            sum(r['failed'] for r in faulty),
            'failures': [list(f) for r in faulty for f in r['failures']],
            'changed in clean runs': [r['changed'] for r in runs],
            're-runs':
            reruns,
            'duplicates':
            counted['duplicates'] if counted else None,
            'objects': {k: counted[k]
                        for k in ('customers', 'subscriptions', 'prices', 'tenants')} if counted else None,
            'seconds':
            round(time.monotonic() - started, 1) if started else None,
        }

    def assert_census(self, phase, counted, complete):
        for what, number in counted['duplicates'].items():
            self.check(number == 0, '%s: %d duplicate(s) of %s: %s' % (phase, number, what, counted['duplicated']))
        if complete:
            for what, names in counted['missing'].items():
                self.check(not names, '%s: not exactly one of the %s of %s' % (phase, what, ', '.join(names)))

    def phase_catalog(self):
        started = time.monotonic()
        inventory = write_inventory('catalog-inventory', {'localhost': {}})
        extra = '@' + EXAMPLE_CATALOG
        self.schedule.configure('catalog', self.args.rate, [k for k in KINDS if k != 'delay'])
        faulty = [self.play('catalog-faults', CATALOG, inventory, extra)]
        runs, reruns = self.converge('catalog', CATALOG, inventory, extra)
        keys = self.catalog_keys()
        counted = census(self.state, [], keys)
        self.assert_census('catalog', counted, complete=False)
        self.check(not counted['missing']['prices'], 'catalog: not exactly one price of %s' % counted['missing']['prices'])
        self.record('catalog', faulty, runs, reruns, counted, started)
        if self.live:
            return
        out = subprocess.run([sys.executable, os.path.join(HARNESS, 'tbs_setup.py'), '--plan', BILLING_PLAN],
                             env=dict(self.env, STRIPE_API_BASE=self.state['STRIPE_API_BASE'], TTS_URL=self.state['TTS_URL']),
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False, timeout=60)
        if out.returncode != 0:
            raise RuntimeError('tbs_setup.py failed: %s' % out.stdout.decode(errors='replace'))

    @staticmethod
    def catalog_keys():
        with open(EXAMPLE_CATALOG, encoding='utf-8') as handle:
            return [price['lookup_key'] for price in yaml.safe_load(handle)['catalog_prices']]

    def faulty_vars(self):
        return {'resilience_timeout': CLIENT_TIMEOUT, 'resilience_max_retries': MAX_RETRIES}

    def phase_provision(self, declared):
        started = time.monotonic()
        hosts = tenant_hosts('res-' + self.run_id, self.args.tenants, billing_mode=not self.live)
        declared.extend(hosts)
        inventory = write_inventory('provision-inventory', hosts)
        self.schedule.configure('provision', self.args.rate)
        faulty = [self.play('provision-faults', PROVISION_FAULTS, inventory, self.faulty_vars())]
        counted = census(self.state, declared, self.catalog_keys())
        self.assert_census('provision', counted, complete=False)
        runs, reruns = self.converge('provision', PROVISION, inventory)
        self.assert_census('provision (converged)', census(self.state, declared, self.catalog_keys()), complete=True)
        self.record('provision', faulty, runs, reruns, counted, started)

    def phase_concurrent(self, declared):
        started = time.monotonic()
        hosts = tenant_hosts('con-' + self.run_id, CONCURRENT_TENANTS, billing_mode=not self.live)
        declared.extend(hosts)
        inventory = write_inventory('concurrent-inventory', hosts)
        self.schedule.configure('concurrent', self.args.rate)
        running = [self.start_play('concurrent-faults-%s' % side, PROVISION_FAULTS, inventory, self.faulty_vars()) for side in ('a', 'b')]
        faulty = [self.finish_play('concurrent-faults-%s' % side, run) for side, run in zip('ab', running)]
        counted = census(self.state, declared, self.catalog_keys())
        self.assert_census('concurrent', counted, complete=False)
        runs, reruns = self.converge('concurrent', PROVISION, inventory)
        self.assert_census('concurrent (converged)', census(self.state, declared, self.catalog_keys()), complete=True)
        self.record('concurrent', faulty, runs, reruns, counted, started)

    def run(self):
        started = time.monotonic()
        declared = []
        self.phase_catalog()
        self.phase_provision(declared)
        self.phase_concurrent(declared)
        faults = collections.Counter()
        for (dummy, kind), number in self.schedule.faults.items():
            faults[kind] += number
        for kind in KINDS:
            self.check(faults[kind] > 0, 'no %s fault was injected: the schedule did not exercise it' % kind)
        acted = collections.Counter()
        for fig in self.figures['phases'].values():
            acted.update(fig['creates hit after the service acted'])
        for service in ('stripe', 'tts'):
            self.check(
                acted[service] > 0, 'no %s create met a fault after the service acted (%s): the schedule did '
                'not exercise idempotent creates' % (service, ', '.join(ACTED)))
        total = self.schedule.total()
        self.check(self.schedule.over_budget == 0,
                   'the request cap of %d was reached (%d requests refused)' % (MAX_REQUESTS, self.schedule.over_budget))
        self.figures.update({
            'tenants': len(declared), 'requests': total, 'faults': dict(sorted(faults.items())), 'playbook runs': self.runs, 'seconds':
            round(time.monotonic() - started, 1), 'problems': self.problems
        })

    def report(self):
        print('\n' + '=' * 78)
        details = os.path.relpath(os.path.join(OUT, 'figures.json'), REPO)
        print('resilience figures (seed %d, fault rate %.0f%%, client timeout %g s; details: %s)' %
              (self.args.seed, self.args.rate * 100, CLIENT_TIMEOUT, details))
        print('%-11s %-58s %9s %7s %5s %10s %8s %6s' %
              ('phase', 'faults injected', 'requests', 'failed', 'dups', 're-runs', 'changed', 's'))
        print('%-11s %-58s %9s %7s %5s %10s %8s %6s' % ('', '', 'faulty+', 'tasks', '', '', 'clean', ''))
        for phase, fig in self.figures['phases'].items():
            faults = ' '.join('%s:%d' % item for item in fig['faults'].items()) or '-'
            dups = sum(fig['duplicates'].values()) if fig['duplicates'] else '-'
            print('%-11s %-58s %4d+%-4d %7d %5s %10s %8s %6s' %
                  (phase, faults, fig['requests']['faulty'], fig['requests']['clean'], fig['failed tasks'], dups, fig['re-runs'], '/'.join(
                      str(n) for n in fig['changed in clean runs']), fig['seconds']))
        for phase, fig in self.figures['phases'].items():
            if fig['duplicates']:
                print('%s: duplicates: %s; faults on writes %d; creates hit after the service acted: %s' %
                      (phase, ', '.join('%s %d' % item for item in fig['duplicates'].items()), fig['faults on writes'],
                       ', '.join('%s %d' % item for item in sorted(fig['creates hit after the service acted'].items())) or 'none'))
        if 'requests' in self.figures:
            print('total: %d tenants, %d requests through the proxies (cap %d), faults %s, %d playbook runs, %.1f s' %
                  (self.figures['tenants'], self.figures['requests'], MAX_REQUESTS, ' '.join(
                      '%s:%d' % item for item in self.figures['faults'].items()), self.runs, self.figures['seconds']))
        print('=' * 78)
        if self.problems:
            say('%d problem(s):\n  %s' % (len(self.problems), '\n  '.join(self.problems)))
        else:
            say('0 duplicates, converged within one re-run in every phase')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--seed', type=int, default=int(os.environ.get('RESILIENCE_SEED', 9)),
                        help='seed of the fault schedule (default 9, or RESILIENCE_SEED)')
    parser.add_argument('--tenants', type=int, default=24, help='tenants of the provision phase (default 24)')
    parser.add_argument('--rate', type=float, default=0.25, help='share of the requests that meet a fault (default 0.25)')
    args = parser.parse_args(argv)
    try:
        suite = Suite(args)
    except RuntimeError as exc:
        say('error: %s' % exc)
        return 1

    def on_signal(signum, dummy_frame):
        raise RuntimeError('stopped by signal %d' % signum)  # the finally clause below stops the emulators

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    try:
        suite.start()
        suite.run()
    except (RuntimeError, OSError, subprocess.SubprocessError, KeyboardInterrupt) as exc:
        suite.problems.append('error: %s' % exc)
        say('error: %s' % exc)
    finally:
        suite.stop()
    suite.report()
    return 1 if suite.problems else 0


if __name__ == '__main__':
    sys.exit(main())
