# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ControllerAction.run masks every no_log value of the task in the whole result, whatever put it there."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from ansible.module_utils.basic import env_fallback

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api  # noqa: F401 pylint: disable=unused-import  # its SDK logger setup
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.action import ControllerAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError

KEY = 'sk_test_never_shown_0123'
PASSWORD = 'Pa55-never-shown'
STORED = 'St0red-never-shown'
MODULE = SimpleNamespace(
    ARGUMENT_SPEC={
        'api_key': {'type': 'str', 'no_log': True},
        'name': {'type': 'str'},
        'initial_user': {'type': 'dict', 'options': {'email': {'type': 'str'}, 'password': {'type': 'str', 'no_log': True}}},
        'outcome': {'type': 'str', 'choices': ['ok', 'api_error', 'crash'], 'default': 'ok'},
    }, ARGUMENT_RULES={})


class EchoingAction(ControllerAction):
    """Puts the secrets wherever a careless server or plugin could: msg, warnings, diff, returned objects."""

    MODULE = MODULE

    def execute(self, params):
        key = params['api_key'].strip()  # sent without blanks, as the TTS client does
        echo = f"request: Authorization: Bearer {key} password={params['initial_user']['password']}"
        self.warnings.append(f'server said: {echo}')
        if params['outcome'] == 'api_error':
            raise ApiError(f'Stripe API error (HTTP 500, api_error): {echo}', status=500, stripe_error={'message': echo})
        if params['outcome'] == 'crash':
            raise RuntimeError(echo)
        return {
            'changed': True, 'object': {'name': params['name'], 'password': params['initial_user']['password'], 'note': echo}, 'diff':
            {'before': {}, 'after': {'key': params['api_key']}}
        }


class StoringAction(EchoingAction):
    """Returns a secret the service stores under a key, and lets it slip into a warning and a diff."""

    SECRET_KEYS = frozenset({'admin-password'})

    def execute(self, params):
        self.warnings.append(f'the stored password is {STORED}')
        subscription = {'id': 'sub_1', 'metadata': {'admin-password': STORED, 'tenant-id': 'acme'}}
        return {
            'changed': True, 'subscription': subscription, 'diff': {'before': {}, 'after': {'metadata': dict(subscription['metadata'])}}
        }


@pytest.fixture
def run(run_action):
    """``run(outcome, args, plugin)``: the plugin's result for a task with ``args`` in diff mode."""

    def run_outcome(outcome, args, plugin=EchoingAction):
        return run_action(plugin, diff=True, outcome=outcome, **args)

    return run_outcome


ARGS = {'api_key': KEY, 'name': 'Acme', 'initial_user': {'email': 'ops@acme.example', 'password': PASSWORD}}


@pytest.mark.parametrize('outcome', ['ok', 'api_error', 'crash'])
def test_no_log_values_are_masked_in_the_whole_result(run, outcome):
    result = run(outcome, ARGS)
    text = repr(result)
    assert KEY not in text and PASSWORD not in text
    assert 'VALUE_SPECIFIED_IN_NO_LOG_PARAMETER' in text or '********' in text
    assert result.get('failed', False) is (outcome != 'ok')
    assert result['warnings'][0].startswith('server said: request: Authorization: Bearer ')


def test_values_of_declared_secret_keys_are_masked_in_the_whole_result(run):
    result = run('ok', ARGS, StoringAction)
    assert STORED not in repr(result)
    assert result['subscription']['metadata'] == {'admin-password': '********', 'tenant-id': 'acme'}
    assert result['diff']['after']['metadata']['admin-password'] == '********'
    assert result['warnings'] == ['the stored password is ********']


def test_values_from_the_environment_and_with_blanks_are_masked_too(run, monkeypatch):
    monkeypatch.setitem(MODULE.ARGUMENT_SPEC, 'api_key',
                        {'type': 'str', 'no_log': True, 'fallback': (env_fallback, ['UNIT_TEST_STRIPE_KEY'])})
    monkeypatch.setenv('UNIT_TEST_STRIPE_KEY', f'  {KEY}\n')
    result = run('api_error', {name: value for name, value in ARGS.items() if name != 'api_key'})
    assert 'Bearer ******** password' in result['msg'] and KEY not in repr(result)


def test_a_crash_keeps_its_type_and_masked_traceback(run):
    result = run('crash', ARGS)
    assert result['msg'].startswith('RuntimeError: request: Authorization: Bearer ')
    assert 'Traceback' in result['exception'] and KEY not in result['exception']


def test_the_sdk_logger_stays_out_of_the_root_handlers():
    """Ansible's ANSIBLE_LOG_PATH handler sits on the root logger at INFO; the SDK logs URLs and raw errors at INFO."""
    sdk = logging.getLogger('stripe')
    assert sdk.propagate is False
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logging.getLogger().addHandler(handler)
    try:
        sdk.info('message="Request to Stripe api" path=/v1/customers?email=a%40b.example')
    finally:
        logging.getLogger().removeHandler(handler)
    assert records == []
