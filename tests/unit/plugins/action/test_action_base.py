# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every plugin gets from the shared base, through run(): argument checks, the connection checks, errors as
``failed`` results with their details, warnings, check mode and diff."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleActionFail

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError

PRODUCT = {
    'id': 'tts-enterprise', 'object': 'product', 'name': 'The Things Stack Enterprise', 'description': None, 'active': True, 'metadata': {}
}
# The least each plugin needs to run; resource plugins on a resource that does not exist.
MINIMAL_ARGS = {
    'stripe_customer': {'email': 'a@b.example'}, 'stripe_product': {'name': 'Trial'}, 'stripe_price':
    {'lookup_key': 'x', 'state': 'absent'}, 'stripe_subscription': {'id': 'sub_1', 'state':
                                                                    'absent'}, 'tts_tenant': {'tenant_id': 'acme', 'state': 'absent'},
    'stripe_webhook_endpoint': {'url': 'https://tts.example.com/api/v3/tbs/stripe', 'tbs':
                                True}, 'stripe_meter': {'event_name': 'tts_devices', 'state': 'absent'}, 'tenant_snapshot': {'tenants': []},
    'stripe_meter_event': {'event_name': 'tts_devices', 'customer': 'cus_A', 'value': 1, 'identifier': 'acme-2026120714'}
}


def test_every_plugin_refuses_an_unknown_option_before_any_request(plugin_name, run_action, stripe, tts):
    with pytest.raises(AnsibleActionFail, match=rf'^Unsupported parameters for \(thingsstack.tenancy.{plugin_name}\) module: colour'):
        run_action(plugin_name, colour='blue', **MINIMAL_ARGS.get(plugin_name, {}))
    assert stripe.calls == [] and tts.calls == [] and stripe.clients_made == tts.clients_made == 0


def test_every_plugin_runs_in_check_mode(plugin_name, run_action, stripe, tts):
    result = run_action(plugin_name, check_mode=True, **MINIMAL_ARGS.get(plugin_name, {}))
    assert not result.get('failed'), result
    assert stripe.writes == [] and tts.writes == []


def test_a_value_of_the_wrong_type_names_the_option(run_action, stripe):
    with pytest.raises(AnsibleActionFail, match=r"argument 'timeout' is of type .* unable to convert to float"):
        run_action('stripe_product_info', timeout='soon')
    with pytest.raises(AnsibleActionFail, match=r"value of state must be one of: present, absent, got: gone"):
        run_action('stripe_customer', email='a@b.example', state='gone')
    assert stripe.calls == []


def test_missing_required_options(run_action, stripe, tts, monkeypatch):
    for variable in ('STRIPE_API_KEY', 'TTS_URL', 'TTS_TENANT_ADMIN_KEY'):
        monkeypatch.delenv(variable, raising=False)
    with pytest.raises(AnsibleActionFail, match='missing required arguments: api_key;') as exc:
        run_action('stripe_customer', credentials=False, email='a@b.example')
    assert exc.value.message.endswith(
        '; set api_key on the task, in module_defaults for group/thingsstack.tenancy.stripe, or STRIPE_API_KEY in the '
        "environment of ansible-playbook on the controller (a task's environment: keyword does not reach this module, "
        'which runs on the controller)')
    with pytest.raises(
            AnsibleActionFail, match='missing required arguments: tenant_admin_key, url; set tenant_admin_key, '
            'url on the task, in module_defaults for group/thingsstack.tenancy.tts, '
            'or TTS_TENANT_ADMIN_KEY, TTS_URL in the environment of ansible-playbook'):
        run_action('tts_tenant', credentials=False, tenant_id='acme')
    monkeypatch.setenv('TTS_URL', 'https://tts.example.com')  # only what is still missing is explained
    with pytest.raises(AnsibleActionFail, match='; set tenant_admin_key on the task, .* or TTS_TENANT_ADMIN_KEY in the'):
        run_action('tts_tenant', credentials=False, tenant_id='acme')
    with pytest.raises(AnsibleActionFail, match='one of the following is required: id, email'):
        run_action('stripe_customer', name='Acme')
    assert stripe.calls == [] and tts.calls == []


def test_an_empty_key_says_where_it_can_come_from(run_action, stripe, tts, failed):
    failed(
        run_action('stripe_customer', api_key='', email='a@b.example'),
        '^api_key: must not be empty: set api_key on the task, in module_defaults for group/thingsstack.tenancy.stripe, '
        'or STRIPE_API_KEY in the environment of ansible-playbook on the controller')
    failed(
        run_action('tts_tenant_info', tenant_admin_key='', tenant_id='acme'),
        '^tenant_admin_key: must not be empty: set tenant_admin_key on the task, in module_defaults for '
        'group/thingsstack.tenancy.tts, or TTS_TENANT_ADMIN_KEY in the environment')
    failed(run_action('tts_tenant_info', url=None, tenant_id='acme'), '^url: must not be empty: .* or TTS_URL in the')
    assert stripe.clients_made == tts.clients_made == 0


def test_credentials_fall_back_to_the_environment(run_action, stripe, tts, monkeypatch):
    monkeypatch.setenv('STRIPE_API_KEY', 'sk_test_from_env')
    monkeypatch.setenv('TTS_URL', 'https://tts.example.com')
    monkeypatch.setenv('TTS_TENANT_ADMIN_KEY', 'cd' * 32)
    assert run_action('stripe_product_info', credentials=False) == {'changed': False, 'products': []}
    assert run_action('tts_tenant_info', credentials=False, tenant_id='acme')['tenants'] == []
    assert stripe.clients_made == tts.clients_made == 1


def test_a_key_that_is_not_a_secret_key_fails_before_any_request(run_action, stripe):
    result = run_action('stripe_customer', api_key='pk_test_publishable', email='a@b.example')
    assert result['failed'] and not result['changed'] and result['option'] == 'api_key'
    assert result['msg'].startswith('api_key: must be a Stripe secret key')
    assert 'pk_test_publishable' not in json.dumps(result)
    assert stripe.clients_made == 0 and stripe.calls == []


def test_a_bad_tenant_admin_key_fails_before_any_request(run_action, tts):
    result = run_action('tts_tenant_info', tenant_admin_key='not hex', tenant_id='acme')
    assert result['failed'] and result['option'] == 'tenant_admin_key' and result['msg'].startswith('tenant_admin_key: must be hex-encoded')
    assert tts.clients_made == 0 and tts.calls == []


def test_bad_input_fails_naming_the_option_before_any_request(run_action, stripe):
    result = run_action('stripe_customer', email='not-an-email')
    assert result['failed'] and result['option'] == 'email' and result['msg'].startswith('email: ')
    assert stripe.calls == []


def test_an_error_becomes_a_failed_result_with_its_details(run_action, stripe):
    stripe.load(products=[PRODUCT, dict(PRODUCT, id='prod_copy')])
    result = run_action('stripe_product', name=PRODUCT['name'])
    assert result == {
        'changed': False, 'failed': True, 'candidates': ['tts-enterprise', 'prod_copy'], 'msg':
        "name: 2 products are named 'The Things Stack Enterprise': tts-enterprise, prod_copy; use id to pick one"
    }


def test_an_api_error_keeps_its_status_and_stripe_error(run_action, stripe):
    error = {'type': 'api_error', 'code': None, 'param': None, 'request_id': 'req_1'}
    stripe.failures['products.list'] = ApiError('Stripe API error (HTTP 500, api_error): boom [request req_1]', status=500,
                                                stripe_error=error)
    result = run_action('stripe_product', name='Trial')
    assert result['failed'] and result['msg'] == 'Stripe API error (HTTP 500, api_error): boom [request req_1]'
    assert result['status'] == 500 and result['stripe_error'] == error
    assert stripe.writes == []


def test_warnings_are_returned_only_when_there_are_some(run_action, stripe):
    stripe.load(products=[PRODUCT], prices=[{'id': 'price_1', 'product': 'tts-enterprise'}])
    assert 'warnings' not in run_action('stripe_product', id='tts-enterprise', name=PRODUCT['name'])
    result = run_action('stripe_product', id='tts-enterprise', state='absent')
    assert result['warnings'] == ['product tts-enterprise was archived (active: false) instead of deleted because prices use it (price_1)']


def test_check_mode_reaches_the_plugin(run_action, stripe):
    predicted = run_action('stripe_product', check_mode=True, name='Trial')
    assert predicted['changed'] and predicted['product']['id'] is None and stripe.writes == []
    created = run_action('stripe_product', name='Trial')
    assert created['changed'] and created['product']['id'] == 'prod_new1' and stripe.methods[-1] == 'products.create'


def test_a_diff_run_returns_before_and_after(run_action, stripe):
    stripe.load(products=[PRODUCT])
    result = run_action('stripe_product', diff=True, id='tts-enterprise', description='Tenants')
    assert result['changed'] and result['diff'] == {'before': {'description': None}, 'after': {'description': 'Tenants'}}


def test_tts_plugins_do_not_import_the_stripe_sdk():
    """A play of TTS modules only never loads (nor warms up) the Stripe SDK: the bases name only their own client."""
    code = ('import sys\n'
            'import ansible_collections.thingsstack.tenancy.plugins.action.tts_tenant\n'
            'import ansible_collections.thingsstack.tenancy.plugins.action.tts_tenant_info\n'
            'print(sorted(name for name in sys.modules if name == "stripe" or name.startswith("stripe.")))\n'
            'import ansible_collections.thingsstack.tenancy.plugins.action.stripe_customer\n'
            'print("stripe" in sys.modules)\n')
    out = subprocess.run([sys.executable, '-c', code], env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)), capture_output=True,
                         text=True, check=True).stdout.split('\n')
    assert out[:2] == ['[]', 'True']
