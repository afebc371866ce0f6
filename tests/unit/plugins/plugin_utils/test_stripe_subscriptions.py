# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.modules import stripe_subscription
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import (
    apply_items, brief_items, check_named_subscription, check_subscription_options, check_tenant_unique, creation_only_warning,
    deprecated_name_warning, is_live, is_running, item_price, password_warnings, reconcile_items, search_quote, select_tenant,
    subscription_metadata_changes, tenant_metadata, wanted_items)


def params(**args):
    args.setdefault('api_key', 'sk_test_x')
    if 'id' not in args:
        args.setdefault('customer', 'cus_1')
        args.setdefault('tenant_id', 'acme')
    result = ArgumentSpecValidator(stripe_subscription.ARGUMENT_SPEC, **stripe_subscription.ARGUMENT_RULES).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def item(item_id, price_id, quantity=1, lookup_key=None):
    return {'id': item_id, 'price': {'id': price_id, 'lookup_key': lookup_key}, 'quantity': quantity}


# -- items ----------------------------------------------------------------------------------------


def test_converged_items_need_no_change():
    assert reconcile_items([item('si_1', 'price_a', 2)], [('price_a', 2)]) == []


def test_quantity_change_keeps_the_item():
    assert reconcile_items([item('si_1', 'price_a', 1)], [('price_a', 3)]) == [{'id': 'si_1', 'quantity': 3}]


def test_new_price_updates_the_item_in_place():
    """The item keeps its ID: TTS stores it as billing.stripe.subscription_item_id."""
    assert reconcile_items([item('si_1', 'price_small')], [('price_large', 1)]) == [{'id': 'si_1', 'price': 'price_large', 'quantity': 1}]


def test_missing_prices_are_added_and_extra_items_removed():
    current = [item('si_1', 'price_a'), item('si_2', 'price_b'), item('si_3', 'price_c')]
    assert reconcile_items(current, [('price_a', 1)]) == [{'id': 'si_2', 'deleted': True}, {'id': 'si_3', 'deleted': True}]
    assert reconcile_items(current[:1], [('price_a', 1), ('price_b', 2)]) == [{'price': 'price_b', 'quantity': 2}]


def test_swap_add_and_keep_together():
    current = [item('si_1', 'price_a'), item('si_2', 'price_b')]
    payload = reconcile_items(current, [('price_b', 1), ('price_c', 5), ('price_d', 1)])
    assert payload == [{'id': 'si_1', 'price': 'price_c', 'quantity': 5}, {'price': 'price_d', 'quantity': 1}]
    after = apply_items(current, payload)
    assert brief_items(after) == [{'price': 'price_c', 'quantity': 5}, {'price': 'price_b', 'quantity': 1},
                                  {'price': 'price_d', 'quantity': 1}]
    assert [i['id'] for i in after] == ['si_1', 'si_2', None]
    assert current[0]['price']['id'] == 'price_a', 'the prediction must not change the current items'


def test_apply_items_removes_deleted():
    assert apply_items([item('si_1', 'price_a'), item('si_2', 'price_b')], [{'id': 'si_2', 'deleted': True}]) == [item('si_1', 'price_a')]


def test_a_price_the_subscription_has_needs_no_lookup():
    items = [item('si_1', 'price_a', lookup_key='small')]
    assert item_price('price_a', items)['id'] == 'price_a'
    assert item_price('small', items)['id'] == 'price_a'
    assert item_price('large', items) is None


def test_wanted_items_from_price_or_items():
    # a quantity not given is None: 1 for a licensed price, none for a metered one (resolve_items decides, knowing the price)
    assert wanted_items(params(price='small')) == [('price', 'small', None)]
    assert wanted_items(params(price='small', quantity=4)) == [('price', 'small', 4)]
    assert wanted_items(params(items=[{'price': 'a'}, {'price': 'b', 'quantity': 2}])) == [('items[0].price', 'a', None),
                                                                                           ('items[1].price', 'b', 2)]
    assert wanted_items(params()) is None


# -- tenant metadata ------------------------------------------------------------------------------


def test_tenant_options_become_their_metadata_keys():
    wanted = tenant_metadata(
        params(tenant_name='Acme Corp', tenant_description='Fleet', admin_user='jane', admin_email='jane@acme.example',
               admin_full_name='Jane Doe'))
    assert wanted == {
        'tenant-id': 'acme', 'tenant-name': 'Acme Corp', 'tenant-description': 'Fleet', 'admin-user': 'jane', 'admin-email':
        'jane@acme.example', 'admin-full-name': 'Jane Doe'
    }


def test_password_is_written_only_when_stored():
    assert 'admin-password' not in tenant_metadata(params(admin_password='S3cret!x'))
    assert tenant_metadata(params(admin_password='S3cret!x', store_admin_password=True))['admin-password'] == 'S3cret!x'
    assert tenant_metadata(params(scrub_admin_password=True))['admin-password'] == ''


def test_password_warnings_never_contain_the_password():
    warnings = password_warnings(params(admin_password='S3cret!x'))
    assert len(warnings) == 1 and 'generates' in warnings[0]
    warnings = password_warnings(params(admin_password='S3cret!x', store_admin_password=True))
    assert len(warnings) == 1 and 'Dashboard' in warnings[0]
    assert not any('S3cret!x' in w for w in warnings)
    assert password_warnings(params()) == []


def test_metadata_merges_tenant_keys_and_free_keys():
    current = {'tenant-id': 'acme', 'crm': '1', 'old': 'x'}
    changes = subscription_metadata_changes(current, params(tenant_name='Acme', metadata={'crm': 2}))
    assert changes == {'tenant-name': 'Acme', 'crm': '2'}


def test_purge_keeps_every_key_the_tbs_reads():
    current = {'tenant-id': 'acme', 'tenant-name': 'Acme', 'admin-email': 'a@b.example', 'company': 'Old', 'crm': '1', 'old': 'x'}
    changes = subscription_metadata_changes(current, params(metadata={'crm': '1'}, purge_metadata=True))
    assert changes == {'old': ''}


def test_purge_without_metadata_changes_nothing():
    assert subscription_metadata_changes({'tenant-id': 'acme', 'old': 'x'}, params(purge_metadata=True)) == {}


def test_deprecated_keys_can_be_removed_explicitly():
    assert subscription_metadata_changes({'tenant-id': 'acme', 'company': 'Old'}, params(metadata={'company': ''})) == {'company': ''}


def test_empty_tenant_option_removes_its_key():
    assert subscription_metadata_changes({'tenant-id': 'acme', 'tenant-name': 'A'}, params(tenant_name='')) == {'tenant-name': ''}


def test_scrub_removes_the_password_key():
    assert subscription_metadata_changes({'tenant-id': 'acme', 'admin-password': 'x'},
                                         params(scrub_admin_password=True)) == {'admin-password': ''}
    assert subscription_metadata_changes({'tenant-id': 'acme'}, params(scrub_admin_password=True)) == {}


@pytest.mark.parametrize('metadata, expected', [
    ({'company': 'Old Co'}, "set the tenant name to 'Old Co'"),
    ({'name': 'N', 'company': 'C'}, "set the tenant name to 'N'"),
    ({'company': 'C', 'tenant-name': 'T'}, 'ignores them'),
])
def test_deprecated_keys_warn_and_suggest_tenant_name(metadata, expected):
    warning = deprecated_name_warning({'id': 'sub_1', 'metadata': dict(metadata, **{'tenant-id': 'acme'})})
    assert expected in warning and 'tenant_name' in warning


def test_no_deprecated_keys_no_warning():
    assert deprecated_name_warning({'id': 'sub_1', 'metadata': {'tenant-id': 'acme'}}) is None


def test_admin_keys_changes_warn_that_the_tbs_reads_them_once():
    assert 'only when it creates the tenant' in creation_only_warning({'admin-email': 'x@y.example'})
    assert creation_only_warning({'tenant-name': 'x'}) is None
    assert creation_only_warning({'admin-password': ''}) is None, 'scrubbing is no reason to warn'


# -- finding --------------------------------------------------------------------------------------


def test_one_live_subscription_per_tenant():
    subs = [{'id': 'sub_old', 'status': 'canceled', 'metadata':
             {'tenant-id': 'acme'}}, {'id': 'sub_1', 'status': 'active', 'metadata': {'tenant-id': 'acme'}},
            {'id': 'sub_2', 'status': 'active', 'metadata': {'tenant-id': 'other'}}]
    assert select_tenant(subs, 'acme', 'cus_1')['id'] == 'sub_1'
    assert select_tenant(subs, 'nobody', 'cus_1') is None
    with pytest.raises(TenancyError, match='2 live subscriptions of customer cus_1 carry tenant-id .acme.: sub_1, sub_3') as exc:
        select_tenant(subs + [{'id': 'sub_3', 'status': 'trialing', 'metadata': {'tenant-id': 'acme'}}], 'acme', 'cus_1')
    assert exc.value.details['candidates'] == ['sub_1', 'sub_3']


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize('args, message', [
    ({'tenant_id': 'Acme'}, '^tenant_id: .*lowercase'),
    ({'tenant_id': 'ab'}, '^tenant_id: must be 3 to 36 characters long, got 2'),
    ({'tenant_id': 'a' * 37}, '^tenant_id: must be 3 to 36 characters long, got 37'),
    ({'tenant_id': 'admin'}, '^tenant_id: .*blocklist'),
    ({'tenant_name': 'n' * 51}, '^tenant_name: must be at most 50'),
    ({'tenant_description': 'd' * 501}, '^tenant_description: must be at most 500'),
    ({'admin_user': 'Jane'}, '^admin_user: .*lowercase'),
    ({'admin_user': 'root'}, '^admin_user: .*blocklist'),
    ({'admin_email': 'jane@-acme.example'}, '^admin_email: '),
    ({'admin_full_name': 'f' * 51}, '^admin_full_name: must be at most 50'),
    ({'customer': 'not-an-email'}, '^customer: '),
    ({'price': 'small', 'quantity': 0}, '^quantity: must be at least 1, got 0'),
    ({'items': [{'price': 'a', 'quantity': 0}]}, r'^items\[0\]\.quantity: must be at least 1'),
    ({'items': [{'price': 'a'}, {'price': 'a'}]}, '^items: each price may be listed only once'),
    ({'items': []}, '^items: must list 1 to 20 prices, got 0'),
    ({'days_until_due': 30}, '^days_until_due: is only valid with collection_method=send_invoice'),
    ({'days_until_due': 30, 'collection_method': 'charge_automatically'}, '^days_until_due: '),
    ({'trial_period_days': -1}, '^trial_period_days: must be 1 to 730, got -1'),
    ({'trial_period_days': 0}, '^trial_period_days: must be 1 to 730, got 0'),
    ({'trial_period_days': 731}, '^trial_period_days: must be 1 to 730, got 731'),
    ({'metadata': {'k' * 41: 'v'}}, '^metadata: key .* must be 1 to 40 characters long'),
    ({'metadata': {'tenant-id': 'other'}}, "^metadata: key 'tenant-id' is managed by the tenant_id option"),
    ({'metadata': {'admin-password': 'x'}}, "^metadata: key 'admin-password' is managed by the admin_password option"),
    ({'metadata': {'company': 'Acme'}}, "^metadata: key 'company' is deprecated"),
])
def test_bad_input_names_the_option(args, message):
    with pytest.raises(InvalidOption, match=message):
        check_subscription_options(params(**args))


def test_a_long_password_is_refused_without_showing_it():
    secret = 'P' * 501
    with pytest.raises(InvalidOption, match='^admin_password: must be at most 500') as exc:
        check_subscription_options(params(admin_password=secret, store_admin_password=True))
    assert secret not in exc.value.msg


def test_good_input_passes():
    check_subscription_options(
        params(tenant_name='Acme', admin_user='jo', admin_email='jo@acme.example', price='small', quantity=2,
               collection_method='send_invoice', days_until_due=30, metadata={'company': '', 'crm': 1}))
    check_subscription_options(params(customer='billing@acme.example', admin_user='', admin_email=''))


@pytest.mark.parametrize('args, error', [
    ({'customer': 'cus_1'}, 'one of the following is required: id, tenant_id'),
    ({'tenant_id': 'acme'}, 'one of the following is required: id, customer'),
    ({'id': 'sub_1', 'price': 'a', 'items': [{'price': 'b'}]}, 'mutually exclusive: price|items'),
    ({'id': 'sub_1', 'quantity': 2}, 'missing parameter(s) required by \'quantity\': price'),
    ({'id': 'sub_1', 'store_admin_password': True}, 'store_admin_password is True but all of the following are missing: admin_password'),
])
def test_argument_rules(args, error):
    result = ArgumentSpecValidator(stripe_subscription.ARGUMENT_SPEC,
                                   **stripe_subscription.ARGUMENT_RULES).validate(dict(args, api_key='sk_test_x'))
    assert error in ' '.join(result.error_messages)


def test_admin_password_is_no_log():
    result = ArgumentSpecValidator(stripe_subscription.ARGUMENT_SPEC).validate(
        {'api_key': 'sk_test_x', 'id': 'sub_1', 'admin_password': 'S3cret!x'})
    assert 'S3cret!x' in result._no_log_values


SUB = {'id': 'sub_1', 'customer': 'cus_1', 'status': 'active', 'metadata': {'tenant-id': 'acme'}}


@pytest.mark.parametrize('args, error', [
    ({'tenant_id': 'globex', 'state': 'absent'
      }, r"^id: subscription sub_1 carries tenant-id 'acme', not 'globex'; check id \(nothing was canceled\)"),
    ({'tenant_id': 'acme', 'customer': 'cus_2', 'state': 'absent'
      }, r'^id: subscription sub_1 belongs to customer cus_1, not customer cus_2'),
    ({'tenant_id': 'acme', 'customer': 'cus_2'}, r'^id: subscription sub_1 belongs to customer cus_1, not customer cus_2'),
])
def test_a_subscription_named_by_id_must_carry_the_declared_tenant_and_customer(args, error):
    with pytest.raises(TenancyError, match=error):
        check_named_subscription(SUB, params(id='sub_1', **args), args.get('customer'))


def test_a_subscription_named_by_id_with_the_right_guards_passes():
    check_named_subscription(SUB, params(id='sub_1', tenant_id='acme', customer='cus_1', state='absent'), 'cus_1')
    check_named_subscription(SUB, params(id='sub_1', state='absent'), None)
    check_named_subscription(None, params(id='sub_2', tenant_id='globex', state='absent'), None)
    # present: a new tenant-id is update's decision (force_tenant_id_change)
    check_named_subscription(SUB, params(id='sub_1', tenant_id='globex'), None)


def test_an_email_without_customer_does_not_own_the_subscription():
    with pytest.raises(TenancyError, match=r"not a customer with the email 'x@acme.example' \(there is none\)") as exc:
        check_named_subscription(SUB, params(id='sub_1', customer='x@acme.example', state='absent'), None)
    assert exc.value.details == {'customer': 'cus_1'}


def test_tenant_unique_names_every_other_claim():
    check_tenant_unique('acme', [])
    with pytest.raises(TenancyError, match=r"^tenant_id: tenant 'acme' already has the live subscription sub_1 \(customer cus_1\)"):
        check_tenant_unique('acme', [SUB])


@pytest.mark.parametrize(
    'status, live, running',
    [
        ('active', True, True),
        ('trialing', True, True),
        ('past_due', True, True),
        ('incomplete', True, True),
        ('unpaid', True, False),
        ('paused', True, False),  # still carry their tenant, but its tenant is not served
        ('canceled', False, False),
        ('incomplete_expired', False, False),
    ])
def test_a_running_subscription_is_a_live_one_that_is_paid_for(status, live, running):
    assert is_live({'status': status}) is live
    assert is_running({'status': status}) is running
    assert is_running({}) is False


@pytest.mark.parametrize('value, quoted', [
    ('acme', "'acme'"),
    ("o'brien", r"'o\'brien'"),
    ('back\\slash', r"'back\\slash'"),
    ("x\\' OR status:'active", r"'x\\\' OR status:\'active'"),
])
def test_search_values_are_quoted_so_they_cannot_end_the_string(value, quoted):
    assert search_quote(value) == quoted
