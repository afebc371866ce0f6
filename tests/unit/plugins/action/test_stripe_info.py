# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only Stripe *_info plugins: which objects each combination of options returns, and that they never write."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action import (
    stripe_customer_info, stripe_price_info, stripe_product_info, stripe_subscription_info)
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, InvalidOption
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import StripeApi

RESOURCES = ('customers', 'products', 'prices', 'subscriptions')


class FakeStripe:
    """Reads of four Stripe resources; list filters compare plain fields, every call is recorded."""

    retrieve = StripeApi.retrieve  # the real 404/deleted handling on top of the fake read

    def __init__(self, **objects):
        self.objects = {name: [copy.deepcopy(o) for o in objects.get(name, [])] for name in RESOURCES}
        self.calls = []
        self.v1 = SimpleNamespace(**{name: SimpleNamespace(retrieve=(name, 'retrieve'), list=(name, 'list')) for name in RESOURCES})

    def read(self, method, object_id, params=None):
        self.calls.append((method, object_id))
        for obj in self.objects[method[0]]:
            if obj['id'] == object_id:
                return copy.deepcopy(obj)
        raise ApiError('no such object', status=404)

    def list_all(self, method, params=None):
        self.calls.append((method, params))
        params = dict(params or {})
        lookup_keys = params.pop('lookup_keys', None)
        status = params.pop('status', None)
        found = [o for o in self.objects[method[0]] if all(o.get(key) == value for key, value in params.items())]
        if lookup_keys is not None:
            found = [o for o in found if o.get('lookup_key') in lookup_keys]
        if method[0] == 'subscriptions' and status != 'all':
            found = [o for o in found if o['status'] not in ('canceled', 'incomplete_expired')]
        return copy.deepcopy(found)


def run(plugin, api, **args):
    spec = plugin.ActionModule.MODULE
    result = ArgumentSpecValidator(spec.ARGUMENT_SPEC, **spec.ARGUMENT_RULES).validate(dict(args, api_key='sk_test_x'))
    assert not result.error_messages, result.error_messages
    action = plugin.ActionModule.__new__(plugin.ActionModule)  # the logic only; run() is exercised by the integration targets
    action.validate(result.validated_parameters)
    return action.ensure(api, result.validated_parameters)


ACME = {'id': 'cus_acme', 'email': 'billing@acme.example', 'metadata': {'tenant-id': 'acme'}}
ACME_LAB = {'id': 'cus_lab', 'email': 'billing@acme.example', 'metadata': {'tenant-id': 'lab'}}
GONE = {'id': 'cus_gone', 'deleted': True}


def test_customer_info_by_id_by_email_and_by_metadata():
    api = FakeStripe(customers=[ACME, ACME_LAB, GONE])
    assert run(stripe_customer_info, api, id='cus_acme')['customers'] == [ACME]
    assert run(stripe_customer_info, api, id='cus_acme', match_metadata={'tenant-id': 'lab'})['customers'] == []
    assert run(stripe_customer_info, api, id='cus_gone')['customers'] == []
    assert run(stripe_customer_info, api, id='cus_missing')['customers'] == []
    assert run(stripe_customer_info, api, email='billing@acme.example')['customers'] == [ACME, ACME_LAB]
    assert run(stripe_customer_info, api, match_metadata={'tenant-id': 'lab'})['customers'] == [ACME_LAB]
    assert not run(stripe_customer_info, api, email='billing@acme.example')['changed']


def test_customer_info_checks_the_email_before_any_request():
    api = FakeStripe()
    with pytest.raises(InvalidOption, match='^email: '):
        run(stripe_customer_info, api, email='not-an-email')
    assert api.calls == []


TTS = {'id': 'tts-enterprise', 'name': 'The Things Stack Enterprise', 'active': True}
OLD = {'id': 'tts-old', 'name': 'Old offer', 'active': False}


def test_product_info_by_id_name_and_active():
    api = FakeStripe(products=[TTS, OLD])
    assert run(stripe_product_info, api, id='tts-old')['products'] == [OLD]
    assert run(stripe_product_info, api, id='tts-old', active=True)['products'] == []
    assert run(stripe_product_info, api, name='The Things Stack Enterprise')['products'] == [TTS]
    assert run(stripe_product_info, api, active=False)['products'] == [OLD]
    assert run(stripe_product_info, api)['products'] == [TTS, OLD]


def price(number, product='tts-enterprise', active=True):
    return {'id': f'price_{number}', 'product': product, 'active': active, 'lookup_key': f'plan-{number}'}


def test_price_info_by_id_checks_the_other_filters_too():
    api = FakeStripe(prices=[price(1), price(2, product='tts-old', active=False)])
    assert run(stripe_price_info, api, id='price_2')['prices'] == [price(2, product='tts-old', active=False)]
    assert run(stripe_price_info, api, id='price_2', product='tts-enterprise')['prices'] == []
    assert run(stripe_price_info, api, id='price_2', active=True)['prices'] == []
    assert run(stripe_price_info, api, product='tts-enterprise')['prices'] == [price(1)]


def test_price_info_asks_for_lookup_keys_in_batches_of_ten():
    api = FakeStripe(prices=[price(n) for n in range(12)])
    found = run(stripe_price_info, api, lookup_keys=[f'plan-{n}' for n in range(12)], active=True)['prices']
    assert [p['id'] for p in found] == [f'price_{n}' for n in range(12)]
    assert [len(params['lookup_keys']) for method, params in api.calls] == [10, 2]
    assert all(params['active'] is True for method, params in api.calls)


def subscription(sub_id, customer, tenant, status='active', **metadata):
    return {'id': sub_id, 'customer': customer, 'status': status,
            'metadata': dict({'tenant-id': tenant} if tenant else {}, **metadata)}


SUBSCRIPTIONS = [
    subscription('sub_acme', 'cus_acme', 'acme', **{'admin-password': 'hunter2'}),
    subscription('sub_old', 'cus_acme', 'acme-old', status='canceled'),
    subscription('sub_other', 'cus_lab', None),
    subscription('sub_lab', 'cus_lab', 'lab', status='trialing'),
]


def test_subscription_info_lists_live_tenant_subscriptions_with_secrets_masked():
    api = FakeStripe(subscriptions=SUBSCRIPTIONS)
    found = run(stripe_subscription_info, api)['subscriptions']
    assert [s['id'] for s in found] == ['sub_acme', 'sub_lab']
    assert found[0]['metadata']['admin-password'] == '********'
    every = run(stripe_subscription_info, api, include_canceled=True)['subscriptions']
    assert [s['id'] for s in every] == ['sub_acme', 'sub_old', 'sub_lab']


def test_subscription_info_by_customer_tenant_and_id():
    api = FakeStripe(customers=[ACME], subscriptions=SUBSCRIPTIONS)
    assert [s['id'] for s in run(stripe_subscription_info, api, customer='cus_acme')['subscriptions']] == ['sub_acme']
    assert [s['id'] for s in run(stripe_subscription_info, api, customer='billing@acme.example', include_canceled=True)['subscriptions']] == [
        'sub_acme', 'sub_old']
    assert [s['id'] for s in run(stripe_subscription_info, api, tenant_id='lab')['subscriptions']] == ['sub_lab']
    assert [s['id'] for s in run(stripe_subscription_info, api, id='sub_old')['subscriptions']] == ['sub_old']
    assert run(stripe_subscription_info, api, id='sub_missing')['subscriptions'] == []
    assert run(stripe_subscription_info, api, customer='nobody@acme.example')['subscriptions'] == []
