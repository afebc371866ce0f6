"""playbooks/billing_setup.yml: catalog, TBS webhook endpoint and TBS configuration fragment in one run (issue 23, section 4).

The endpoint of each test is on a path of its own under TTS_URL (<TTS_URL>/<id>/api/v3/tbs/stripe), so it never meets
the endpoint the session's TBS uses, and is deleted at the end; against real Stripe test mode only the counter
assertions are skipped.
"""

import json
import os
import stat

import yaml

from conftest import EXAMPLE_CATALOG, OUT, REPO, recap

LOCALHOST = {
    'all': {'hosts': {'localhost': {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}}}
}


def tts_base(services, name):
    return services.env['TTS_URL'].rstrip('/') + '/' + name


def delete_endpoint(services, tts_url):
    play = [{
        'name':
        'Delete the test endpoint', 'hosts':
        'localhost', 'gather_facts':
        False, 'tasks':
        [{'name': 'Delete it', 'thingsstack.tenancy.stripe_webhook_endpoint': {'tbs': True, 'tts_url': tts_url, 'state': 'absent'}}]
    }]
    path = os.path.join(OUT, 'tmp', 'delete-endpoint-%s.yml' % services.run_id)
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(play, handle)
    result = services.playbook(path, LOCALHOST)
    assert result.rc == 0, result.output


def setup_vars(tts_url, secret_file, **extra):
    return json.dumps(dict({'billing_setup_tts_url': tts_url, 'billing_setup_secret_file': str(secret_file)}, **extra))


def test_refuses_bad_variables_before_any_request(services, tmp_path):
    cases = [
        ({'billing_setup_tts_url': tts_base(services, 'x')}, 'billing_setup_secret_file: must be set'),
        ({'billing_setup_tts_url': 'http://thethings.example.com', 'billing_setup_secret_file':
          str(tmp_path / 's')}, 'billing_setup_tts_url: '),
        ({'billing_setup_tts_url': tts_base(services, 'x'), 'billing_setup_secret_file':
          str(tmp_path / 'no' / 's')}, 'billing_setup_secret_file: '),
    ]
    for variables, message in cases:
        services.clear_counters()
        result = services.playbook('billing_setup', LOCALHOST, '-e', json.dumps(variables), extra_vars='@' + EXAMPLE_CATALOG)
        assert result.rc != 0, result.output
        assert message in result.output, result.output
        counts = services.counters()
        if counts is not None:
            assert counts['stripe']['total'] == 0 and counts['tts']['total'] == 0, counts


def test_creates_the_endpoint_keeps_its_secret_and_converges(services, tmp_path):
    name = services.tenant_id('ptsetup')
    tts_url = tts_base(services, name)
    secret_file = tmp_path / 'tbs-endpoint-secret'
    fragment_file = 'build/playbook-tests/tmp/%s-tbs.yml' % name  # relative to where ansible-playbook starts
    variables = setup_vars(tts_url, secret_file, billing_setup_tbs_config_file=fragment_file)
    try:
        services.clear_counters()
        first = services.playbook('billing_setup', LOCALHOST, '-vvv', '-e', variables, extra_vars='@' + EXAMPLE_CATALOG)
        assert first.rc == 0, first.output
        assert recap(first.output)['localhost']['changed'] >= 1
        secret = secret_file.read_text(encoding='utf-8')
        assert secret.startswith('whsec_') and len(secret) > len('whsec_')
        assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
        assert secret not in first.output
        counts = services.counters()
        if counts is not None:
            assert counts['stripe']['writes'] == 1, counts  # the endpoint; the example catalog is converged already

        written = open(os.path.join(REPO, fragment_file), encoding='utf-8').read()
        assert secret not in written
        config = yaml.safe_load(written)['tbs']['stripe']
        assert len(config['recurring-plan-ids']) >= 2 and all(plan.startswith('price_') for plan in config['recurring-plan-ids'])
        assert 'tbs.stripe.endpoint-secret-key: its signing secret (not shown here), is the content of %s' % secret_file in written
        assert tts_url + '/api/v3/tbs/stripe' in written
        assert 'tbs.stripe.endpoint-secret-key' in first.output and str(secret_file) in first.output

        services.clear_counters()
        second = services.playbook('billing_setup', LOCALHOST, '-vvv', '-e', variables, extra_vars='@' + EXAMPLE_CATALOG)
        assert second.rc == 0, second.output
        assert recap(second.output)['localhost']['changed'] == 0, second.output
        assert services.writes() in (0, None), services.counters()
        assert secret not in second.output
        assert secret_file.read_text(encoding='utf-8') == secret
    finally:
        delete_endpoint(services, tts_url)
