# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins as ansible-core builds and runs them, against one in-memory fake of Stripe and one of TTS.

Fixtures:
- ``run_action(plugin, check_mode=False, diff=False, credentials=True, **args)``: a real ``ActionModule`` (or the
  ActionModule class ``plugin``, without credentials) built as the TaskExecutor builds it (task, connection, play
  context, loader, templar), then ``run(task_vars=...)``; with ``credentials`` the connection options default to a
  test key. Argument-spec errors raise ``AnsibleActionFail``,
  as in ansible-core.
- ``failed(result, pattern)``: asserts a failed result and its message.
- ``plugin_name``: parametrizes a test over every action plugin of the collection.
- ``stripe`` / ``tts``: the fake each plugin gets from ``get_api``, empty; ``load`` objects into it, set
  ``failures[method]`` to make a call fail, and read ``calls`` (``Call(method, args, params, natural_key)``; Stripe
  methods are named after the SDK's services, ``customers.update``, ``tax_ids.create``) or ``writes`` afterwards.
"""

from __future__ import annotations

import collections
import copy
import importlib
import itertools
import pkgutil
import re
import sys
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest

from ansible.parsing.dataloader import DataLoader
from ansible.playbook.play_context import PlayContext
from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import ApiError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_subscriptions import apply_items
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import assign, json_keys, lookup, remove

COLLECTION = 'thingsstack.tenancy'
PLUGINS = 'ansible_collections.thingsstack.tenancy.plugins'
STRIPE_KEY = 'sk_test_unit'
TTS_URL = 'https://tts.example.com'
TTS_KEY = 'ab' * 32
# Imported now, so that every module holding a reference to get_api exists when a fixture patches it.
ACTIONS = {
    info.name: importlib.import_module(f'{PLUGINS}.action.{info.name}')
    for info in pkgutil.iter_modules(importlib.import_module(f'{PLUGINS}.action').__path__)
}

Call = collections.namedtuple('Call', 'method args params natural_key')


def build_action(plugin, args, check_mode=False, diff=False):
    """The plugin (a name in this collection, or an ActionModule class) as ansible-core's TaskExecutor builds it, for a
    task with these args and flags."""
    name = plugin if isinstance(plugin, str) else plugin.__name__
    task = MagicMock(spec=Task)
    task.args = dict(args)
    task.action = f'{COLLECTION}.{name}'
    task.async_val = 0
    task.check_mode = check_mode
    task.diff = diff
    task.run_once = False
    task._uuid = 'task-uuid-%s' % name  # set by Task(); not on the class the mock copies
    play_context = MagicMock(spec=PlayContext)
    play_context.check_mode = check_mode
    loader = DataLoader()
    action_class = ACTIONS[plugin].ActionModule if isinstance(plugin, str) else plugin
    action = action_class(task=task, connection=MagicMock(), play_context=play_context, loader=loader, templar=Templar(loader=loader),
                          shared_loader_obj=None)
    action._load_name = f'{PLUGINS}.action.{name}'  # what ansible-core's plugin loader sets for a collection's plugin
    return action


def pytest_generate_tests(metafunc):
    if 'plugin_name' in metafunc.fixturenames:
        metafunc.parametrize('plugin_name', sorted(ACTIONS))


@pytest.fixture
def run_action():

    def run(plugin, /, check_mode=False, diff=False, credentials=True, **args):
        if credentials and isinstance(plugin, str):
            connection = {'api_key': STRIPE_KEY} if plugin.startswith('stripe_') else {'url': TTS_URL, 'tenant_admin_key': TTS_KEY}
            args = {**connection, **args}
        return build_action(plugin, args, check_mode, diff).run(task_vars={'inventory_hostname': 'localhost'})

    return run


@pytest.fixture
def make_action():
    """``build_action``, for a test that sets more of the task or calls ``run`` with its own task variables."""
    return build_action


@pytest.fixture
def failed():
    """``failed(result, pattern)``: asserts a failed result whose msg matches ``pattern`` (re.search); returns it."""

    def check(result, pattern):
        assert result.get('failed') and re.search(pattern, result['msg']), result
        return result

    return check


def patch_client(monkeypatch, api_module, client_class, fake):
    """Wherever a plugin module holds ``api_module.get_api``, it now returns ``fake``; a real client is refused
    (a plugin that bypassed get_api would otherwise go to the network)."""

    def get_fake(*args, **kwargs):
        fake.clients_made += 1
        return fake

    def refuse(*args, **kwargs):
        raise AssertionError(f"a plugin built a real {client_class} instead of asking get_api")

    get_api = api_module.get_api
    for name, module in list(sys.modules.items()):
        if name.startswith(PLUGINS) and getattr(module, 'get_api', None) is get_api:
            monkeypatch.setattr(module, 'get_api', get_fake)
    monkeypatch.setattr(api_module, client_class, refuse)


class FakeClient:
    """Records every call; ``failures[method]`` is raised by the next call of that method."""

    def __init__(self):
        self.calls = []
        self.failures = {}
        self.clients_made = 0

    def record(self, method, args=(), params=None, natural_key=None):
        self.calls.append(Call(method, copy.deepcopy(tuple(args)), copy.deepcopy(params), natural_key))
        if method in self.failures:
            raise self.failures.pop(method)

    @property
    def methods(self):
        return [call.method for call in self.calls]


# -- Stripe -----------------------------------------------------------------------------------------------

ID_PREFIXES = {
    'customers': 'cus', 'tax_ids': 'txi', 'products': 'prod', 'prices': 'price', 'subscriptions': 'sub', 'webhook_endpoints': 'we',
    'meters': 'mtr'
}
READ_VERBS = ('retrieve', 'list', 'search')
ENDED = ('canceled', 'incomplete_expired')
PAGING = ('limit', 'starting_after')


def service(name, *methods, **children):
    """A node of the SDK's service tree (``client.v1.customers``); a method is its name, ``customers.update``."""
    return SimpleNamespace(name=name, **{method: f'{name}.{method}' for method in methods}, **children)


def reference(value):
    """An expandable field (``price.product``) as an ID."""
    return value.get('id') if isinstance(value, dict) else value


def merged(current, changes):
    """An object after a Stripe update: '' unsets, hashes merge, metadata keys set to '' are removed."""
    result = dict(current)
    for key, value in changes.items():
        if key == 'metadata':
            result[key] = {k: v for k, v in {**(current.get(key) or {}), **value}.items() if v != ''}
        elif isinstance(value, dict) and isinstance(current.get(key), dict):
            result[key] = merged(current[key], value)
        else:
            result[key] = None if value == '' else value
    return result


class FakeStripe(FakeClient):
    """Stripe in memory behind StripeApi's interface: the SDK's service tree, read / write / create, plain dicts.

    Lists keep the order objects were loaded or created in, filter on plain fields, page with limit and
    starting_after, and leave out deleted customers and (without ``status``) ended subscriptions, as Stripe does.
    Stripe's own refusals that a plugin must avoid are refused here too (a lookup key in use without
    transfer_lookup_key, deleting a product that has prices).
    """

    retrieve = stripe_api.StripeApi.retrieve  # the real "missing or deleted is None" on top of the fake read
    list_all = stripe_api.StripeApi.list_all  # the real paging on top of the fake read
    search_all = stripe_api.StripeApi.search_all  # the real search paging on top of the fake read

    def __init__(self):
        super().__init__()
        self.objects = {name: {} for name in ('customers', 'tax_ids', 'products', 'prices', 'subscriptions', 'webhook_endpoints', 'meters')}
        self.numbers = collections.defaultdict(lambda: itertools.count(1))
        self.new_subscription_status = 'active'
        self.idempotency = {}  # key -> (params, object as created): Stripe's idempotency layer for create_keyed
        self.now = 1_800_000_000  # the clock of `created`
        self.plain_price_list_hides_archived = False  # how Stripe's reference describes a list without `active`
        self.meter_events = []  # the events Stripe counted, in arrival order
        self.v1 = SimpleNamespace(
            customers=service('customers', 'retrieve', 'list', 'update', 'delete', tax_ids=service('tax_ids', 'list', 'delete')),
            products=service('products', 'retrieve', 'list', 'update',
                             'delete'), prices=service('prices', 'retrieve', 'list',
                                                       'update'), subscriptions=service('subscriptions', 'retrieve', 'list', 'search',
                                                                                        'update', 'cancel'),
            subscription_items=service('subscription_items', 'list'), webhook_endpoints=service('webhook_endpoints', 'retrieve', 'list',
                                                                                                'update', 'delete'),
            billing=SimpleNamespace(meters=service('meters', 'retrieve', 'list', 'update', 'deactivate', 'reactivate'),
                                    meter_events=service('meter_events', 'create')))

    def load(self, **objects):
        """Add objects by resource (``customers=[...]``), stored as given."""
        for resource, items in objects.items():
            for obj in items:
                self.objects[resource][obj['id']] = copy.deepcopy(obj)
        return self

    @property
    def reads(self):
        return [call for call in self.calls if call.method.endswith(READ_VERBS)]

    @property
    def writes(self):
        return [call for call in self.calls if not call.method.endswith(READ_VERBS)]

    # -- StripeApi's interface

    def read(self, method, *args, params=None):
        self.record(method, args, params)
        resource, verb = method.split('.')
        if verb == 'list':
            found = self.page(resource, args, params or {})
            objects = found['data']
        elif verb == 'search':
            return self.search(resource, params)
        else:
            found = copy.deepcopy(self.find(resource, args[-1]))
            objects = [found]
        if resource == 'prices':  # Stripe includes a price's tiers only when asked to
            expand = (params or {}).get('expand') or []
            for price in objects:
                if not {'tiers', 'data.tiers'} & set(expand):
                    price.pop('tiers', None)
        return found

    def write(self, method, *args, params=None, key=None):
        self.record(method, args, params)
        resource, verb = method.split('.')
        if method == 'meter_events.create':
            return self.create_meter_event(**copy.deepcopy(params))
        obj = self.find(resource, args[-1])
        if verb == 'delete':
            return self.delete(resource, obj)
        if verb == 'cancel':
            obj['status'] = 'canceled'
            return copy.deepcopy(obj)
        if verb in ('deactivate', 'reactivate'):
            obj['status'] = 'inactive' if verb == 'deactivate' else 'active'
            return copy.deepcopy(obj)
        params = dict(params or {})
        if resource == 'webhook_endpoints':
            params = self.endpoint_update(params)
        if resource == 'meters' and set(params) - {'display_name'}:
            raise ApiError('Stripe API error (HTTP 400, invalid_request_error, parameter_unknown): Received unknown parameter', status=400)
        if resource == 'prices' and 'lookup_key' in params:
            self.take_lookup_key(params['lookup_key'], params.pop('transfer_lookup_key', False))
        if resource == 'subscriptions':
            params.pop('proration_behavior', None)
            if 'items' in params:
                self.change_items(obj, params.pop('items'))
        self.objects[resource][obj['id']] = merged(obj, params)
        return copy.deepcopy(self.objects[resource][obj['id']])

    def create(self, service_node, *parent, params, natural_key, kind):
        self.record(f'{service_node.name}.create', parent, params, natural_key)
        return copy.deepcopy(getattr(self, f'create_{service_node.name}')(*parent, **copy.deepcopy(params)))

    def create_keyed(self, service_node, *parent, params, key):
        """Stripe's idempotency: a key seen with the same parameters replays the first result, with others is refused."""
        self.record(f'{service_node.name}.create', parent, params, key)
        if key in self.idempotency:
            first_params, obj = self.idempotency[key]
            if first_params != params:
                raise ApiError(
                    'Stripe API error (HTTP 400, idempotency_error): Keys for idempotent requests can only be used '
                    'with the same parameters they were first used with', status=400,
                    stripe_error={'type': 'idempotency_error', 'code': None, 'param': None, 'request_id': None})
            return copy.deepcopy(obj), True
        obj = getattr(self, f'create_{service_node.name}')(*parent, **copy.deepcopy(params))
        self.idempotency[key] = (copy.deepcopy(params), copy.deepcopy(obj))
        return copy.deepcopy(obj), False

    # -- Stripe's behaviour

    def search(self, resource, params):
        """The Search API for the one query the plugins make, ``metadata['KEY']:'VALUE'``, in any status (one page)."""
        key, value = re.fullmatch(r"metadata\['([^']+)'\]:'([^']*)'", params['query']).groups()
        found = [obj for obj in self.objects[resource].values() if (obj.get('metadata') or {}).get(key) == value]
        return {'object': 'search_result', 'data': copy.deepcopy(found), 'has_more': False, 'next_page': None}

    def find(self, resource, object_id):
        if object_id not in self.objects[resource]:
            raise ApiError(f'Stripe API error (HTTP 404, invalid_request_error, resource_missing): No such {resource}', status=404)
        return self.objects[resource][object_id]

    def new_id(self, resource):
        return f'{ID_PREFIXES[resource]}_new{next(self.numbers[resource])}'

    def page(self, resource, parent, params):
        if resource == 'subscription_items':
            found = self.find('subscriptions', params['subscription'])['items']['data']
        else:
            found = [obj for obj in self.objects[resource].values() if self.listed(resource, obj, parent, params)]
        if params.get('starting_after'):
            found = found[[obj['id'] for obj in found].index(params['starting_after']) + 1:]
        limit = params.get('limit', 10)
        return {'object': 'list', 'data': copy.deepcopy(found[:limit]), 'has_more': len(found) > limit}

    def listed(self, resource, obj, parent, params):
        if resource == 'tax_ids':
            return obj['customer'] == parent[0]
        if obj.get('deleted'):
            return False
        if resource == 'subscriptions' and 'status' not in params and obj.get('status') in ENDED:
            return False
        if resource == 'prices' and 'active' not in params and self.plain_price_list_hides_archived and not obj.get('active', True):
            return False
        for key, value in params.items():
            if key == 'lookup_keys':
                if obj.get('lookup_key') not in value:
                    return False
            elif key == 'status':
                if value != 'all' and obj.get('status') != value:
                    return False
            elif key == 'active':
                if obj.get('active', True) != value:
                    return False
            elif key == 'created':
                if obj.get('created', self.now) < value['gte']:
                    return False
            elif key not in PAGING and reference(obj.get(key)) != value:
                return False
        return True

    def delete(self, resource, obj):
        if resource == 'products' and any(reference(price.get('product')) == obj['id'] for price in self.objects['prices'].values()):
            raise ApiError(
                'Stripe API error (HTTP 400, invalid_request_error): This product cannot be deleted because it has '
                'one or more user-created prices', status=400)
        gone = {'id': obj['id'], 'object': obj.get('object', resource[:-1]), 'deleted': True}
        if resource == 'customers':
            self.objects[resource][obj['id']] = gone
        else:
            del self.objects[resource][obj['id']]
        return copy.deepcopy(gone)

    def take_lookup_key(self, lookup_key, transfer):
        for price in self.objects['prices'].values():
            if price.get('lookup_key') == lookup_key:
                if not transfer:
                    raise ApiError(
                        f"Stripe API error (HTTP 400): A price with lookup key '{lookup_key}' already exists; "
                        'set transfer_lookup_key', status=400)
                price['lookup_key'] = None

    def price(self, price_id):
        return copy.deepcopy(self.find('prices', price_id))

    def change_items(self, subscription, changes):
        """Stripe applies an items payload as the plugins predict it (apply_items), then fills in what only it knows."""
        items = apply_items(subscription['items']['data'], changes)
        for item in items:
            if item['id'] is None:
                item['id'] = f"si_new{next(self.numbers['items'])}"
            if set(item['price']) == {'id'}:  # a price set by this change: the whole price, and its default quantity
                item['price'] = self.price(item['price']['id'])
                if item['quantity'] is None:
                    item['quantity'] = self.default_quantity(item['price'])
        subscription['items']['data'] = items

    @staticmethod
    def default_quantity(price):
        """Stripe's quantity of an item that names none: 1, none for a metered price (which refuses one)."""
        return None if (price.get('recurring') or {}).get('usage_type') == 'metered' else 1

    def create_meters(self, **fields):
        meter = dict(
            {
                'object': 'billing.meter', 'status': 'active', 'event_time_window': None, 'customer_mapping':
                {'event_payload_key': 'stripe_customer_id', 'type': 'by_id'}, 'value_settings': {'event_payload_key': 'value'}
            }, **fields, id=self.new_id('meters'))
        self.objects['meters'][meter['id']] = meter
        return meter

    def create_meter_event(self, identifier, **fields):
        """Stripe refuses an identifier it has received (for at least 24 hours): the event is not counted again."""
        if any(event['identifier'] == identifier for event in self.meter_events):
            raise ApiError(
                f"Stripe API error (HTTP 400, invalid_request_error, param identifier): A meter event with the "
                f"identifier '{identifier}' was already received", status=400,
                stripe_error={'type': 'invalid_request_error', 'code': None, 'param': 'identifier', 'request_id': None})
        event = dict({'object': 'billing.meter_event', 'created': self.now, 'timestamp': self.now}, **fields, identifier=identifier)
        self.meter_events.append(event)
        return copy.deepcopy(event)

    def create_customers(self, tax_id_data=(), **fields):
        customer = dict({'object': 'customer', 'metadata': {}}, **fields, id=self.new_id('customers'))
        self.objects['customers'][customer['id']] = customer
        for tax_id in tax_id_data:
            self.create_tax_ids(customer['id'], **tax_id)
        return customer

    def create_tax_ids(self, customer_id, **fields):
        self.find('customers', customer_id)
        tax_id = dict(fields, id=self.new_id('tax_ids'), object='tax_id', customer=customer_id)
        self.objects['tax_ids'][tax_id['id']] = tax_id
        return tax_id

    def create_products(self, **fields):
        product = dict({'object': 'product', 'active': True, 'description': None, 'metadata': {}}, **fields)
        product.setdefault('id', self.new_id('products'))
        self.objects['products'][product['id']] = product
        return product

    def create_prices(self, transfer_lookup_key=False, **fields):
        if fields.get('lookup_key'):
            self.take_lookup_key(fields['lookup_key'], transfer_lookup_key)
        price = dict(
            {
                'object': 'price', 'active': True, 'nickname': None, 'metadata': {}, 'type':
                'recurring' if fields.get('recurring') else 'one_time'
            }, **fields, id=self.new_id('prices'))
        self.objects['prices'][price['id']] = price
        return price

    def create_webhook_endpoints(self, **fields):
        """Stripe returns the signing secret in this response only (reads leave it out) and never returns connect."""
        fields.pop('connect', None)
        endpoint = dict(
            {
                'object': 'webhook_endpoint', 'api_version': None, 'description': None, 'metadata': {}, 'status': 'enabled', 'application':
                None
            }, **fields, id=self.new_id('webhook_endpoints'))
        self.objects['webhook_endpoints'][endpoint['id']] = endpoint
        return dict(endpoint, secret=f"whsec_unit{endpoint['id'][3:]}")

    @staticmethod
    def endpoint_update(params):
        """Stripe's update parameters: ``disabled`` sets ``status``; the API version cannot be changed."""
        if 'api_version' in params or 'connect' in params:
            raise ApiError('Stripe API error (HTTP 400, invalid_request_error, parameter_unknown): Received unknown parameter', status=400)
        if 'disabled' in params:
            params['status'] = 'disabled' if params.pop('disabled') else 'enabled'
        return params

    def create_subscriptions(self, items, **fields):
        subscription = dict({'object': 'subscription', 'metadata': {}, 'status': self.new_subscription_status, 'created': self.now},
                            **fields, id=self.new_id('subscriptions'), items={'object': 'list', 'data': [], 'has_more': False})
        self.change_items(subscription, items)
        self.objects['subscriptions'][subscription['id']] = subscription
        return subscription


# -- The Things Stack ------------------------------------------------------------------------------------


class FakeTts(FakeClient):
    """The tenant registry in memory behind TtsApi's interface, answering like the API: zero values left out,
    field masks applied to reads and updates, deleted IDs remembered."""

    def __init__(self):
        super().__init__()
        self.tenants = {}
        self.deleted = set()
        self.last_headers = {}
        self.sleeps = []
        self.forbidden = set()  # paths the registry refuses in a field mask, as current TTS does
        self.totals = {}  # tenant ID -> its registry totals as TTS's JSON (zero counts left out)

    def check_mask(self, paths):
        refused = [path for path in paths if path in self.forbidden]
        if refused:
            raise ApiError(
                'TTS API error (HTTP 400, code 3 invalid_argument, error:pkg/rpcmiddleware/validator:field_mask_paths): '
                'forbidden path(s) in field mask', status=400,
                tts_error={'code': 3, 'name': 'field_mask_paths', 'forbidden_paths': refused})

    def load(self, tenants):
        """Add tenants: tenant ID -> the stored tenant as TTS's JSON."""
        self.tenants.update(copy.deepcopy(tenants))
        return self

    @property
    def writes(self):
        return [call for call in self.calls if call.method in ('create_tenant', 'update_tenant', 'delete_tenant')]

    def sleep(self, seconds):
        self.sleeps.append(seconds)

    def get_tenant(self, tenant_id, paths):
        self.record('get_tenant', (tenant_id, ), list(paths))
        self.check_mask(paths)
        stored = self.tenants.get(tenant_id)
        if stored is None:
            return None
        out = {key: copy.deepcopy(stored[key]) for key in ('ids', 'created_at', 'updated_at') if key in stored}
        for path in paths:
            value = lookup(stored, json_keys(path))
            if value not in (None, '', [], {}):
                assign(out, json_keys(path), copy.deepcopy(value))
        return out

    def list_tenants(self, paths):
        self.check_mask(paths)
        return [self.get_tenant(tenant_id, paths) for tenant_id in sorted(self.tenants)]

    def create_tenant(self, tenant, initial_user=None):
        self.record('create_tenant', (tenant, initial_user))
        stored = dict(copy.deepcopy(tenant), created_at='t0', updated_at='t0')
        self.tenants[tenant['ids']['tenant_id']] = stored
        return copy.deepcopy(stored)

    def update_tenant(self, tenant_id, tenant, paths):
        self.record('update_tenant', (tenant_id, tenant), list(paths))
        self.check_mask(paths)
        stored = self.tenants[tenant_id]
        response = {}
        for path in paths:
            keys = json_keys(path)
            value = lookup(tenant, keys)
            if value is None:
                remove(stored, keys)
            else:
                assign(stored, keys, copy.deepcopy(value))
                assign(response, keys, copy.deepcopy(value))
        if 'state' in paths and 'state_description' not in paths:
            stored.pop('state_description', None)
        stored['updated_at'] = response['updated_at'] = 't1'
        return response

    def delete_tenant(self, tenant_id):
        self.record('delete_tenant', (tenant_id, ))
        self.deleted.add(tenant_id)
        del self.tenants[tenant_id]
        return True

    def registry_totals(self, tenant_id, paths):
        return {kind: value for kind, value in self.totals.get(tenant_id, {}).items() if not paths or kind in paths}

    def get_registry_totals(self, tenant_id, paths):
        self.record('get_registry_totals', (tenant_id, ), list(paths))
        self.check_mask(paths)
        return self.registry_totals(tenant_id, paths) if tenant_id in self.tenants else None

    def batch_registry_totals(self, tenant_ids, paths):
        """One call a chunk of TOTALS_BATCH_SIZE, as the client sends them; a missing tenant fails it (NotFound)."""
        result = {}
        for start in range(0, len(tenant_ids), tts_api.TOTALS_BATCH_SIZE):
            chunk = list(tenant_ids[start:start + tts_api.TOTALS_BATCH_SIZE])
            self.record('batch_registry_totals', (chunk, ), list(paths))
            self.check_mask(paths)
            for tenant_id in chunk:
                if tenant_id not in self.tenants:
                    raise ApiError(f'TTS API error (HTTP 404, code 5 not_found): tenant `{tenant_id}` not found', status=404,
                                   tts_error={'code': 5, 'name': 'tenant_not_found'})
                result[tenant_id] = self.registry_totals(tenant_id, paths)
        return result

    def find_deleted_tenant(self, tenant_id):
        self.record('find_deleted_tenant', (tenant_id, ))
        return tenant_id in self.deleted


@pytest.fixture
def stripe(monkeypatch):
    fake = FakeStripe()
    patch_client(monkeypatch, stripe_api, 'StripeApi', fake)
    return fake


@pytest.fixture
def tts(monkeypatch):
    fake = FakeTts()
    patch_client(monkeypatch, tts_api, 'TtsApi', fake)
    return fake
