"""make demo against real services creates tenants with IDs unique to the run, never acme, initech and globex
(issue 8, point 7). The session's services stand in for the real ones: the demo gets their connection variables as an
operator exports them (STRIPE_API_KEY=sk_test_..., TTS_URL, TTS_TENANT_ADMIN_KEY), so it takes its real-services path."""

import os
import re
import subprocess
import sys

from conftest import OUT, REPO, recap

DEMO = os.path.join(REPO, 'tests', 'harness', 'demo_tenants.sh')


def demo(services, **env):
    run_env = dict(services.env, DEMO_VENV=os.path.dirname(os.path.dirname(sys.executable)), DEMO_DIR=os.path.join(OUT, 'demo'), **env)
    return subprocess.run(['bash', DEMO], env=run_env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          check=False, timeout=600).stdout.decode('utf-8', 'replace')


def test_demo_on_real_services_uses_ids_unique_to_the_run(services):
    output = demo(services)
    assert 'demo: OK' in output, output[-4000:]
    assert 'against real services the demo creates' in output
    run_id = re.search(r'tenants with IDs unique to this run \(suffix -([a-z0-9]+)\)', output).group(1)
    expected = sorted('%s-%s' % (name, run_id) for name in ('acme', 'globex', 'initech'))
    with open(os.path.join(OUT, 'demo', 'provision-1.log'), encoding='utf-8') as handle:
        assert sorted(recap(handle.read())) == expected
    assert 'billing+%s@acme.example' % run_id in output
    with open(os.path.join(OUT, 'demo', 'audit-report', 'tenants.md'), encoding='utf-8') as handle:
        report = handle.read()
    assert all(name in report for name in expected)
    assert not re.search(r'\b(acme|initech|globex)\b(?!-)', report)


def test_demo_refuses_a_bad_run_id(services):
    services.clear_counters()
    output = demo(services, DEMO_RUN_ID='Acme_1')
    assert "DEMO_RUN_ID must be 1 to 12 lowercase letters and digits, got 'Acme_1'" in output, output[-3000:]
    assert 'demo: OK' not in output
    assert services.writes() in (0, None)
