# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stripe_subscription action against an in-memory fake of the StripeApi wrapper: requests made, results, diffs."""

from __future__ import annotations

import copy
import json
from types import SimpleNamespace

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.action.stripe_subscription import ActionModule
from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_subscription
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import StripeApi
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError, TenancyError

SECRET = 'S3cret-Passw0rd'
SMALL = {'id': 'price_small', 'lookup_key': 'small'}
LARGE = {'id': 'price_large', 'lookup_key': 'large'}


class FakeApi:
    """Records every call as (kind, name, args, params); serves subscriptions, customers and prices from memory."""

    retrieve = StripeApi.retrieve  # the real 404/deleted handling on top of the fake read

    def __init__(self, subscriptions=(), prices=(SMALL, LARGE), customers=()):
        self.subscriptions = {sub['id']: copy.deepcopy(sub) for sub in subscriptions}
        self.prices = list(prices)
        self.customers = list(customers)
        self.calls = []
        names = {'subscriptions': ('retrieve', 'list', 'update', 'cancel', 'create'), 'prices': ('retrieve', 'list'),
                 'customers': ('list', 'retrieve'), 'subscription_items': ('list',)}
        self.v1 = SimpleNamespace(**{res: SimpleNamespace(**{m: f"{res}.{m}" for m in methods}) for res, methods in names.items()})

    def kinds(self, kind):
        return [call for call in self.calls if call[0] == kind]

    def read(self, method, *args, params=None):
        self.calls.append(('read', method, args, params))
        if method == 'subscriptions.retrieve':
            if args[0] not in self.subscriptions:
                raise ApiError('no such subscription', status=404)
            return copy.deepcopy(self.subscriptions[args[0]])
        if method == 'prices.retrieve':
            found = [p for p in self.prices if p['id'] == args[0]]
            if not found:
                raise ApiError('no such price', status=404)
            return found[0]
        if method == 'prices.list':
            return {'data': [p for p in self.prices if p['lookup_key'] in params['lookup_keys']]}
        raise AssertionError(method)

    def list_all(self, method, *args, params=None):
        self.calls.append(('read', method, args, params))
        params = params or {}
        if method == 'customers.list':
            return [c for c in self.customers if c['email'] == params.get('email')]
        assert method == 'subscriptions.list'
        subs = [copy.deepcopy(s) for s in self.subscriptions.values()]
        if 'customer' in params:
            subs = [s for s in subs if s['customer'] == params['customer']]
        if params.get('status') != 'all':
            subs = [s for s in subs if s['status'] not in ('canceled', 'incomplete_expired')]
        return subs

    def write(self, method, *args, params=None):
        self.calls.append(('write', method, args, params))
        sub = self.subscriptions[args[0]]
        if method == 'subscriptions.cancel':
            sub['status'] = 'canceled'
        else:
            for key, value in params.items():
                if key == 'metadata':
                    sub['metadata'] = {k: v for k, v in {**sub['metadata'], **value}.items() if v != ''}
                elif key == 'items':
                    items = sub['items']['data']
                    for change in value:
                        if 'id' not in change:
                            items.append({'id': f"si_new{len(items)}", 'price': self.price(change['price']), 'quantity': change['quantity']})
                        elif change.get('deleted'):
                            items[:] = [i for i in items if i['id'] != change['id']]
                        else:
                            found = next(i for i in items if i['id'] == change['id'])
                            if 'price' in change:
                                found['price'] = self.price(change['price'])
                            found['quantity'] = change['quantity']
                elif key != 'proration_behavior':
                    sub[key] = value
        return copy.deepcopy(sub)

    def price(self, price_id):
        return dict(next(p for p in self.prices if p['id'] == price_id))

    def create(self, service, *parent, params, natural_key, kind):
        self.calls.append(('create', kind, natural_key, params))
        sub = dict(copy.deepcopy(params), id=f"sub_{len(self.subscriptions) + 1}", object='subscription', status='active')
        sub['items'] = {'data': [{'id': f"si_{i}", 'price': self.price(it['price']), 'quantity': it['quantity']} for i, it in enumerate(params['items'])]}
        self.subscriptions[sub['id']] = sub
        return copy.deepcopy(sub)


def subscription(sub_id='sub_1', customer='cus_1', tenant='acme', status='active', price=None, quantity=1, **metadata):
    price = price or SMALL
    return {'id': sub_id, 'object': 'subscription', 'customer': customer, 'status': status, 'collection_method': 'send_invoice',
            'days_until_due': 30, 'description': None, 'cancel_at_period_end': False, 'default_payment_method': None,
            'metadata': dict({'tenant-id': tenant}, **metadata), 'items': {'data': [{'id': 'si_1', 'price': dict(price), 'quantity': quantity}]}}


def run(api, check_mode=False, **args):
    args.setdefault('api_key', 'sk_test_x')
    if 'id' not in args:
        args.setdefault('customer', 'cus_1')
        args.setdefault('tenant_id', 'acme')
    validated = ArgumentSpecValidator(stripe_subscription.ARGUMENT_SPEC, **stripe_subscription.ARGUMENT_RULES).validate(args)
    assert not validated.error_messages, validated.error_messages
    params = validated.validated_parameters
    action = ActionModule.__new__(ActionModule)
    action.check_mode, action.diff_mode, action.warnings = check_mode, True, []
    action.validate(params)
    result = action.ensure(api, params)
    result['warnings'] = action.warnings
    return result


def test_create_writes_tenant_metadata_once_with_a_deterministic_key():
    api = FakeApi()
    result = run(api, price='small', tenant_name='Acme', collection_method='send_invoice', days_until_due=30)
    creates = api.kinds('create')
    assert len(creates) == 1 and not api.kinds('write')
    kind, dummy, natural_key, payload = creates[0]
    assert natural_key == ['subscription', 'cus_1', 'acme', []]
    assert payload == {'customer': 'cus_1', 'items': [{'price': 'price_small', 'quantity': 1}], 'metadata': {'tenant-id': 'acme', 'tenant-name': 'Acme'},
                       'collection_method': 'send_invoice', 'days_until_due': 30}
    assert result['changed'] and result['subscription']['id'] == 'sub_1'
    assert result['diff'] == {'before': {}, 'after': payload}
    # customer's list, the lookup key, the uniqueness check over all live subscriptions
    assert [c[1] for c in api.kinds('read')] == ['subscriptions.list', 'prices.list', 'subscriptions.list']


def test_a_converged_run_only_lists_the_customers_subscriptions():
    api = FakeApi([subscription(**{'tenant-name': 'Acme'})])
    result = run(api, price='small', tenant_name='Acme', collection_method='send_invoice', days_until_due=30)
    assert not result['changed'] and 'diff' not in result
    assert api.calls == [('read', 'subscriptions.list', (), {'customer': 'cus_1', 'status': 'all'})]


def test_a_customer_email_costs_one_list():
    api = FakeApi([subscription()], customers=[{'id': 'cus_1', 'email': 'billing@acme.example'}])
    assert not run(api, customer='billing@acme.example', price='price_small')['changed']
    assert [c[1] for c in api.calls] == ['customers.list', 'subscriptions.list']


def test_a_new_price_updates_the_item_in_place():
    api = FakeApi([subscription()])
    result = run(api, price='large', proration_behavior='none')
    writes = api.kinds('write')
    assert len(writes) == 1
    assert writes[0][3] == {'items': [{'id': 'si_1', 'price': 'price_large', 'quantity': 1}], 'proration_behavior': 'none'}
    assert result['subscription']['items']['data'][0]['id'] == 'si_1'
    assert result['diff'] == {'before': {'items': [{'price': 'price_small', 'quantity': 1}]}, 'after': {'items': [{'price': 'price_large', 'quantity': 1}]}}


def test_an_unknown_lookup_key_fails_before_any_write():
    api = FakeApi([subscription()])
    with pytest.raises(TenancyError, match="^price: no Stripe price has the ID or lookup key 'huge'"):
        run(api, price='huge')
    assert not api.kinds('write') and not api.kinds('create')


def test_check_mode_predicts_and_writes_nothing():
    api = FakeApi([subscription()])
    result = run(api, check_mode=True, price='small', quantity=3, description='Fleet', metadata={'crm': 1})
    assert not api.kinds('write')
    assert result['changed']
    assert result['diff'] == {
        'before': {'description': None, 'metadata': {'tenant-id': 'acme'}, 'items': [{'price': 'price_small', 'quantity': 1}]},
        'after': {'description': 'Fleet', 'metadata': {'tenant-id': 'acme', 'crm': '1'}, 'items': [{'price': 'price_small', 'quantity': 3}]}}
    assert result['subscription']['items']['data'][0]['quantity'] == 3


def test_check_mode_create_for_a_customer_that_does_not_exist_yet():
    api = FakeApi()
    result = run(api, check_mode=True, customer='new@acme.example', price='small')
    assert result['changed'] and result['subscription']['id'] is None
    assert not api.kinds('create') and 'does not exist yet' in result['warnings'][0]
    with pytest.raises(TenancyError, match="^customer: no Stripe customer has the email 'new@acme.example'"):
        run(api, customer='new@acme.example', price='small')


def test_the_password_never_shows():
    api = FakeApi([subscription(**{'admin-password': 'old-one'})])
    result = run(api, admin_password=SECRET, store_admin_password=True)
    assert api.kinds('write')[0][3] == {'metadata': {'admin-password': SECRET}}
    assert SECRET not in json.dumps(result) and 'old-one' not in json.dumps(result)
    assert result['diff']['after']['metadata']['admin-password'] == '********'
    assert any('Dashboard' in w for w in result['warnings'])

    api = FakeApi([subscription()])
    result = run(api, admin_password=SECRET)
    assert not result['changed'] and not api.kinds('write')
    assert any('generates' in w for w in result['warnings'])


def test_a_stripe_error_echoing_the_password_is_masked():
    class Echo(FakeApi):
        def write(self, method, *args, params=None):
            raise ApiError(f"Invalid metadata value {params['metadata']['admin-password']}", status=400)
    with pytest.raises(TenancyError) as exc:
        run(Echo([subscription()]), admin_password=SECRET, store_admin_password=True)
    assert SECRET not in exc.value.msg and '********' in exc.value.msg


def test_scrub_removes_the_password():
    api = FakeApi([subscription(**{'admin-password': SECRET})])
    result = run(api, scrub_admin_password=True)
    assert api.kinds('write')[0][3] == {'metadata': {'admin-password': ''}}
    assert 'admin-password' not in result['subscription']['metadata']
    assert SECRET not in json.dumps(result)


def test_the_same_tenant_on_another_customer_fails_on_create():
    api = FakeApi([subscription(customer='cus_2')])
    with pytest.raises(TenancyError, match=r"^tenant_id: tenant 'acme' already has the live subscription sub_1 \(customer cus_2\)"):
        run(api, price='small')
    assert not api.kinds('create')


def test_two_matches_fail_with_their_ids():
    api = FakeApi([subscription('sub_1'), subscription('sub_2')])
    with pytest.raises(TenancyError, match='sub_1, sub_2'):
        run(api, price='small')


def test_a_new_key_after_the_tenant_was_canceled():
    api = FakeApi([subscription('sub_old', status='canceled')])
    run(api, price='small')
    assert api.kinds('create')[0][2] == ['subscription', 'cus_1', 'acme', ['sub_old']]


def test_changing_the_tenant_id_by_id_needs_force():
    api = FakeApi([subscription()])
    with pytest.raises(TenancyError, match='would create a second tenant'):
        run(api, id='sub_1', tenant_id='other')
    assert not api.kinds('write')
    result = run(api, id='sub_1', tenant_id='other', force_tenant_id_change=True)
    assert api.kinds('write')[0][3] == {'metadata': {'tenant-id': 'other'}}
    assert any('no longer updates' in w for w in result['warnings'])


def test_adopting_warns_about_deprecated_keys_and_never_writes_them():
    api = FakeApi([subscription(company='Acme Old')])
    result = run(api, id='sub_1', price='small')
    assert not result['changed']
    assert any("deprecated metadata 'company'" in w and "'Acme Old'" in w for w in result['warnings'])


def test_absent_cancels_now_or_at_period_end_and_once():
    api = FakeApi([subscription()])
    result = run(api, state='absent', cancel_at_period_end=True)
    assert api.kinds('write')[0][1:] == ('subscriptions.update', ('sub_1',), {'cancel_at_period_end': True})
    assert result['diff'] == {'before': {'cancel_at_period_end': False}, 'after': {'cancel_at_period_end': True}}
    assert not run(api, state='absent', cancel_at_period_end=True)['changed']
    result = run(api, state='absent')
    assert result['changed'] and result['subscription']['status'] == 'canceled'
    assert api.kinds('write')[-1][1] == 'subscriptions.cancel'
    assert not run(api, state='absent')['changed']
    assert not run(api, id='sub_1', state='absent')['changed']
    assert len(api.kinds('write')) == 2


def test_present_with_the_id_of_a_canceled_subscription_fails():
    api = FakeApi([subscription(status='canceled')])
    with pytest.raises(TenancyError, match='^id: subscription sub_1 is canceled'):
        run(api, id='sub_1', price='small')
