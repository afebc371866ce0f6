# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of thingsstack.tenancy.tenant_snapshot (documented in plugins/modules/tenant_snapshot.py).

The read and the comparison are plugins/plugin_utils/tenant_snapshot.py; here: the play's tenants (option hosts: each
host's role variables as its own tasks see them, checked by the filter tenant_prepare and against one another), the
connection (options, else the environment), and a read that cannot be made or fails decides nothing instead of failing
the play (the per-tenant path then runs).
"""

from __future__ import annotations

import inspect

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.thingsstack.tenancy.plugins.filter.tenant_steps import filter_tenant_prepare
from ansible_collections.thingsstack.tenancy.plugins.modules import tenant_snapshot
from ansible_collections.thingsstack.tenancy.plugins.module_utils.stripe_spec import stripe_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.module_utils.tts_spec import tts_argument_spec
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.action import ControllerAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError, mask_secret_values
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import conflicts, role_options
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_fleet import fleet_audit, fleet_of, plain, tenant_id_problem
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_snapshot import decidable, read_snapshot, verdicts
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_json import lookup

SERVICES = ((stripe_argument_spec, ('api_key', 'api_base')), (tts_argument_spec, ('url', 'tenant_admin_key')))


def clients():
    """The client modules of Stripe and The Things Stack (their SDK and requests), imported by the one host that reads.

    Every other action plugin of the collection imports its client when Ansible loads it in the main process, so that
    each forked worker inherits it. This one runs a client in one worker of a play only (option play: the play's first
    host): imported there, the import (about 0.1 s) overlaps the other hosts' tasks instead of delaying the first task of
    every play. A first run still loads them in the main process, with the first per-tenant task that needs them."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api, tts_api
    return stripe_api, tts_api


def connection(spec_of, params, names):
    """The service's connection options: ``names`` from the task, the others from the environment as its modules' fallbacks
    read them; None when the address or key is missing."""
    result = ArgumentSpecValidator(spec_of()).validate({name: params[name] for name in names if params[name]})
    return None if result.error_messages else result.validated_parameters


def compiling_once(templar):
    """``templar``, compiling each template string once: the play's tenants share their templates (the role's defaults,
    group variables), and ansible-core compiles a template again each time it renders it (at 100 tenants that was half
    of the check). Rendering is unchanged: a compiled template is rendered with each host's own variables. The engine's
    compile step is private to ansible-core; without it the templar is returned as it is."""
    engine = getattr(templar, '_engine', None)
    compile_template = getattr(engine, '_compile_template', None)
    if not callable(compile_template):
        return templar
    compiled = {}

    def compile_once(template, options):
        key = (template, options)
        if key not in compiled:
            compiled[key] = compile_template(template, options)
        return compiled[key]

    try:
        engine._compile_template = compile_once  # pylint: disable=protected-access
    except AttributeError:
        pass
    return templar


class ActionModule(ControllerAction):
    MODULE = tenant_snapshot
    ACTION_GROUP = 'thingsstack.tenancy.tenant'

    def run(self, tmp=None, task_vars=None):
        self.task_vars = task_vars or {}
        return super().run(tmp, task_vars)

    def validate(self, params):
        if params['play'] is False:
            raise InvalidOption('play', 'must be true when given (to compare other hosts, give hosts or tenants)')
        for index, tenant in enumerate(params['tenants'] or []):
            if not all(isinstance(tenant.get(key), expected) for key, expected in (('host', str), ('tenant_id', str), ('steps', dict))):
                raise InvalidOption(f'tenants[{index}]', 'must hold host, tenant_id and steps (the role builds it: __tenant_bulk)')
        if params['max_requests'] is not None and params['max_requests'] < 0:
            raise InvalidOption('max_requests', f"must be 0 or more, got {params['max_requests']}")

    def execute(self, params):
        self.validate(params)
        refused, found_conflicts = {}, {}
        result = {
            'changed': False,
            'read': False,
            'read_by': None,
            'task_uuid': self._task._uuid,  # pylint: disable=protected-access
            'converged': {},
            'per_tenant': {},
            'conflicts': {},
            'requests': {'stripe': 0, 'tts': 0},
            'fleet': None,
            'usage': None
        }
        if params['play']:
            # The batch's hosts, not ansible_play_hosts (all the play's, with serial): a later batch's reader must run
            # the task in that batch, or its hosts would take an earlier batch's result of the same task.
            params['hosts'] = plain(list(self.task_vars.get('ansible_play_batch') or []))
            reader = params['hosts'][0] if params['hosts'] else None
            if not self._task.run_once and reader not in (None, self.task_vars.get('inventory_hostname')):
                # The batch's first host checks and reads for all while this task runs for the others.
                return dict(result, read_by=reader, reason=f'read by {reader}, the first host of the play batch')
        if params['hosts'] is not None:
            params['tenants'], refused, found_conflicts = self.play_tenants(params['hosts'])
        result.update(per_tenant=dict({tenant['host']: 'not read' for tenant in params['tenants']}, **refused), conflicts=found_conflicts)
        # The audit's fleet section and usage need these lists whatever the comparison decides: one read serves all three.
        needed = (('tenants', 'subscriptions') if params['fleet'] is not None else ()) + (('tenants', ) if params['usage'] else ())
        settings = [connection(spec_of, params, names) for spec_of, names in SERVICES]
        if not all(settings):
            return self.not_read(
                result, params, 'no connection settings (api_key, url, tenant_admin_key, or STRIPE_API_KEY, '
                'TTS_URL, TTS_TENANT_ADMIN_KEY in the environment)')
        secrets = {settings[0]['api_key'], settings[1]['tenant_admin_key']}
        budget = params['max_requests'] if params['max_requests'] is not None else float('inf')
        try:
            modules = clients()
            for client, options in zip(modules, settings):
                client.check_connection(options)
            stripe, tts = (client.get_api(options) for client, options in zip(modules, settings))
            snapshot, spent, lists = read_snapshot(stripe, tts, budget,
                                                   [tenant['tenant_id'] for tenant in params['tenants'] if decidable(tenant)], needed)
        except TenancyError as exc:
            return mask_secret_values(self.not_read(result, params, f"the bulk read failed: {exc.msg}"), secrets)
        result['requests'] = spent
        if params['fleet'] is not None:
            result['fleet'] = fleet_audit(fleet_of(lists['subscriptions'], lists['tenants']), params['fleet']['declared'],
                                          params['fleet']['billing'])
        if params['usage']:
            before = tts.counts['reads']
            result['usage'] = mask_secret_values(self.usage(tts, lists['tenants'], params['tenants']), secrets)
            spent['tts'] += tts.counts['reads'] - before
        if snapshot is None:
            return dict(result, reason='the bulk read would cost more requests than the per-tenant reads it can save, or than max_requests')
        converged, per_tenant = verdicts(params['tenants'], snapshot)
        return dict(result, read=True, reason=None, converged=converged, per_tenant=dict(per_tenant, **refused))

    def play_tenants(self, hosts):
        """``(bulk declarations, refused, conflicts)`` of the play's ``hosts``: each host's role variables as the role's
        own tasks see them (its inventory, the play's and the role's variables, and the defaults), checked by the filter
        tenant_prepare, then against one another (tenant_conflicts). One task does for the whole play what a task per
        tenant did; only the tenants it cannot find converged run the per-tenant tasks, which check again on their own.
        ``refused``: host -> why it is not compared (refused input, a conflict, or variables that cannot be templated)."""
        manager, play = self._task.get_variable_manager(), self._task.get_play()
        inventory = manager._inventory  # pylint: disable=protected-access  # the Host objects that get_vars takes
        names = tuple(role_options())
        prepared, refused = [], {}
        unknown = [name for name in hosts if inventory.get_host(name) is None]
        if unknown:
            raise InvalidOption('hosts', f"must name hosts of the inventory, got {', '.join(map(repr, unknown[:5]))}")
        # The play's host lists, as the strategy passes them with every task: get_vars would otherwise list the play's
        # hosts again for each host (10,000 tenants: 88 s instead of 26 s). One templar: making one costs more than
        # templating a tenant's variables.
        cached = {'_hosts': self.task_vars.get('ansible_play_batch'), '_hosts_all': self.task_vars.get('ansible_play_hosts_all')}
        if not set(cached) <= set(inspect.signature(manager.get_vars).parameters):  # private to ansible-core: may go unannounced
            cached = {}
        templar = compiling_once(self._templar.copy_with_new_env())
        for name in hosts:
            variables = manager.get_vars(play=play, host=inventory.get_host(name), task=self._task, **cached)
            templar.available_variables = variables
            try:
                # plain: the check copies the values, and copying Ansible's tagged strings and containers is slow
                tenant = plain({option: templar.template(variables[option]) if option in variables else None for option in names})
            except Exception as exc:  # pylint: disable=broad-exception-caught  # the host's own check task reports it
                refused[name] = f'its variables cannot be templated ({type(exc).__name__})'
                continue
            try:
                prepared.append(
                    filter_tenant_prepare(tenant, name, [var for var in variables if var.startswith('tenant_')], self.check_mode))
            except AnsibleFilterError:  # no steps for its variables (outside the role, without its defaults): not compared
                refused[name] = 'input refused'
        found = conflicts([tenant['declaration'] for tenant in prepared])
        for tenant in prepared:
            if tenant['errors'] or tenant['host'] in found:
                refused[tenant['host']] = 'input refused' if tenant['errors'] else 'conflicts with another host'
        return [tenant['bulk'] for tenant in prepared if tenant['host'] not in refused], refused, found

    @staticmethod
    def not_read(result, params, reason):
        """The result of a read that was not made: the fleet section and the usage, when asked for, carry the reason."""
        return dict(result, reason=reason, fleet={'error': reason} if params['fleet'] is not None else None,
                    usage={'error': reason, 'kinds': [], 'tenants': {}} if params['usage'] else None)

    def usage(self, tts, tenants, declarations):
        """The registry totals of the play's tenants that exist, by the batch call only: host -> ``usage_of``."""
        # pylint: disable-next=import-outside-toplevel  # imports the TTS client: see clients()
        from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_usage import KINDS, read_fleet_usage, usage_of
        hosts = {}
        for declared in declarations:
            hosts.setdefault(declared['tenant_id'], []).append(declared['host'])
        listed = [tenant for tenant in tenants if lookup(tenant, ['ids', 'tenant_id']) in hosts]
        try:
            read = read_fleet_usage(tts, listed, tenant_id_problem)
            by_id = {lookup(tenant, ['ids', 'tenant_id']): tenant for tenant in listed}
            kinds = tuple(read['kinds'])
            usage = {
                host: usage_of(tenant_id, totals, by_id[tenant_id], kinds)
                for tenant_id, totals in read['tenants'].items() if tenant_id in by_id for host in hosts[tenant_id]
            }
        except TenancyError as exc:
            return {'error': f"the usage read failed: {exc.msg}", 'kinds': [], 'tenants': {}}
        if kinds != KINDS:
            self.warnings.append(f"The Things Stack does not count {', '.join(kind for kind in KINDS if kind not in kinds)}; "
                                 'left out of the usage')
        return {'error': None, 'kinds': list(kinds), 'tenants': usage}
