# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only Stripe *_info plugins through run(): which objects each combination of options returns, and that they never write."""

from __future__ import annotations

import pytest


@pytest.fixture
def info(run_action, stripe):
    """Runs a *_info plugin by its resource: ``info('customer', email=...)``; fails the test on a write."""

    def run(resource, **args):
        result = run_action(f'stripe_{resource}_info', **args)
        assert stripe.writes == []
        return result

    return run


ACME = {'id': 'cus_acme', 'email': 'billing@acme.example', 'metadata': {'tenant-id': 'acme'}}
ACME_LAB = {'id': 'cus_lab', 'email': 'billing@acme.example', 'metadata': {'tenant-id': 'lab'}}
GONE = {'id': 'cus_gone', 'deleted': True}


def test_customer_info_by_id_by_email_and_by_metadata(info, stripe):
    stripe.load(customers=[ACME, ACME_LAB, GONE])
    assert info('customer', id='cus_acme')['customers'] == [ACME]
    assert info('customer', id='cus_acme', match_metadata={'tenant-id': 'lab'})['customers'] == []
    assert info('customer', id='cus_gone')['customers'] == []
    assert info('customer', id='cus_missing')['customers'] == []
    assert info('customer', email='billing@acme.example')['customers'] == [ACME, ACME_LAB]
    assert info('customer', match_metadata={'tenant-id': 'lab'})['customers'] == [ACME_LAB]
    assert not info('customer', email='billing@acme.example')['changed']


def test_customer_info_checks_the_email_before_any_request(info, stripe):
    result = info('customer', email='not-an-email')
    assert result['failed'] and result['option'] == 'email' and result['msg'].startswith('email: ')
    assert stripe.calls == []


TTS = {'id': 'tts-enterprise', 'name': 'The Things Stack Enterprise', 'active': True}
OLD = {'id': 'tts-old', 'name': 'Old offer', 'active': False}


def test_product_info_by_id_name_and_active(info, stripe):
    stripe.load(products=[TTS, OLD])
    assert info('product', id='tts-old')['products'] == [OLD]
    assert info('product', id='tts-old', active=True)['products'] == []
    assert info('product', name='The Things Stack Enterprise')['products'] == [TTS]
    assert info('product', active=False)['products'] == [OLD]
    assert info('product')['products'] == [TTS, OLD]


def price(number, product='tts-enterprise', active=True):
    return {'id': f'price_{number}', 'product': product, 'active': active, 'lookup_key': f'plan-{number}'}


def test_price_info_by_id_checks_the_other_filters_too(info, stripe):
    stripe.load(prices=[price(1), price(2, product='tts-old', active=False)])
    assert info('price', id='price_2')['prices'] == [price(2, product='tts-old', active=False)]
    assert info('price', id='price_2', product='tts-enterprise')['prices'] == []
    assert info('price', id='price_2', active=True)['prices'] == []
    assert info('price', product='tts-enterprise')['prices'] == [price(1)]


def test_price_info_asks_for_lookup_keys_in_batches_of_ten(info, stripe):
    stripe.load(prices=[price(n) for n in range(12)])
    found = info('price', lookup_keys=[f'plan-{n}' for n in range(12)], active=True)['prices']
    assert [p['id'] for p in found] == [f'price_{n}' for n in range(12)]
    assert [len(call.params['lookup_keys']) for call in stripe.calls] == [10, 2]
    assert all(call.method == 'prices.list' and call.params['active'] is True for call in stripe.calls)


def subscription(sub_id, customer, tenant, status='active', **metadata):
    return {'id': sub_id, 'customer': customer, 'status': status, 'metadata': dict({'tenant-id': tenant} if tenant else {}, **metadata)}


SUBSCRIPTIONS = [
    subscription('sub_acme', 'cus_acme', 'acme', **{'admin-password': 'hunter2'}),
    subscription('sub_old', 'cus_acme', 'acme-old', status='canceled'),
    subscription('sub_other', 'cus_lab', None),
    subscription('sub_lab', 'cus_lab', 'lab', status='trialing'),
]


def test_subscription_info_lists_live_tenant_subscriptions_with_secrets_masked(info, stripe):
    stripe.load(subscriptions=SUBSCRIPTIONS)
    found = info('subscription')['subscriptions']
    assert [s['id'] for s in found] == ['sub_acme', 'sub_lab']
    assert found[0]['metadata']['admin-password'] == '********'
    every = info('subscription', include_canceled=True)['subscriptions']
    assert [s['id'] for s in every] == ['sub_acme', 'sub_old', 'sub_lab']


def test_subscription_info_by_customer_tenant_and_id(info, stripe):
    stripe.load(customers=[ACME], subscriptions=SUBSCRIPTIONS)
    assert [s['id'] for s in info('subscription', customer='cus_acme')['subscriptions']] == ['sub_acme']
    assert [s['id'] for s in info('subscription', customer='billing@acme.example', include_canceled=True)['subscriptions']
            ] == ['sub_acme', 'sub_old']
    assert [s['id'] for s in info('subscription', tenant_id='lab')['subscriptions']] == ['sub_lab']
    assert [s['id'] for s in info('subscription', id='sub_old')['subscriptions']] == ['sub_old']
    assert info('subscription', id='sub_missing')['subscriptions'] == []
    assert info('subscription', customer='nobody@acme.example')['subscriptions'] == []


def test_price_info_lists_the_tbs_plans_it_returns_and_trusts_no_odd_mark(info, stripe):
    marked = [
        dict(price(1), metadata={'tts-tbs-plan': 'recurring'}),
        dict(price(2, active=False), metadata={'tts-tbs-plan': 'recurring'}),
        dict(price(3), metadata={'tts-tbs-plan': 'metered'}),
        dict(price(4), metadata={'tts-tbs-plan': 'Recurring'}),
        dict(price(5), id='price_5\n- price_x', metadata={'tts-tbs-plan': 'recurring'}),
        price(6)
    ]
    stripe.load(prices=marked)
    assert info('price', product='tts-enterprise')['tbs_plans'] == {'recurring': ['price_1', 'price_2'], 'metered': ['price_3']}
    assert info('price', active=True, product='tts-enterprise')['tbs_plans'] == {'recurring': ['price_1'], 'metered': ['price_3']}
    assert info('price', id='price_6')['tbs_plans'] == {'recurring': [], 'metered': []}
