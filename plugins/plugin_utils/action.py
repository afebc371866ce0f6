# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every action plugin of this collection: validate, run on the controller, write (or predict), report.

The service's bases (stripe_action.StripeAction, tts_action.TtsAction) only name their client module, so a play that uses
only one service imports only that service's client.
"""

from __future__ import annotations

import os
import traceback

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase
from ansible.plugins.loader import filter_loader, lookup_loader, test_loader

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError, mask_secret_values
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import mask_secret_keys, project, secret_key_values, update_diff


def _warm_up_jinja_plugins():
    """Load the Jinja filters and tests now, at plugin load in Ansible's main process, so forked workers inherit them.

    A worker that templates its first filter otherwise loads every filter file of ansible-core, and for a collection
    filter every filter file of this collection with what they import, compiled from source (the collection loader keeps
    no bytecode): about 60 ms a task in the tenant role, measured per worker.
    """
    for loader, name in ((filter_loader, 'ansible.builtin.default'), (test_loader, 'ansible.builtin.defined'),
                         (filter_loader, 'thingsstack.tenancy.tenant_steps'), (lookup_loader, 'ansible.builtin.varnames'),
                         (lookup_loader, 'thingsstack.tenancy.tenant_finding')):
        try:
            loader.get(name)
        except Exception:  # pylint: disable=broad-exception-caught  # an optimisation only: the worker loads what it needs
            pass
    # The tenant role's input check (filter tenant_prepare), run once here on a sample tenant: the role's argument spec and
    # the validators are then built once, not in each worker (about 30 ms a tenant, measured with make bench-tenants).
    try:
        # pylint: disable-next=import-outside-toplevel  # loaded with the filter tenant_steps above
        from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tenant_input import warm_up
        warm_up()
    except Exception:  # pylint: disable=broad-exception-caught  # as above: the filter reads it itself then
        pass


_warm_up_jinja_plugins()


def no_log_values(validation):
    """The values of the task's ``no_log`` options (also as a client sends them: without surrounding blanks)."""
    values = set(validation._no_log_values)  # pylint: disable=protected-access  # what AnsibleModule uses too
    return values | {value.strip() for value in values if isinstance(value, str) and value.strip()}


def module_name(module):
    """``thingsstack.tenancy.NAME`` of the module file ``ansible_collections.thingsstack.tenancy.plugins.modules.NAME``."""
    parts = getattr(module, '__name__', '').split('.')
    return '.'.join(parts[1:3] + parts[-1:]) if parts[0] == 'ansible_collections' else None


class ControllerAction(ActionBase):
    """Runs a module's logic on the controller; subclasses set ``MODULE`` and ``CLIENT`` and implement ``ensure``.

    ``MODULE`` is the module file (``plugins/modules/NAME.py``) holding ``ARGUMENT_SPEC`` and ``ARGUMENT_RULES``;
    ``CLIENT`` the service's client module (``check_connection(params)``, ``get_api(params)``). ``validate(params)``
    checks the input offline, before any request; ``ensure(api, params)`` returns the result keys. Both raise
    TenancyError for a failure with one message.

    ``SECRET_KEYS`` names the keys that hold secrets the service stores and returns (``admin-password`` metadata, an
    initial user's ``password``): ``run`` masks them at any depth of the result, and their values wherever else they
    appear (msg, warnings, diff), as it masks the values of ``no_log`` options.
    """

    MODULE = None
    CLIENT = None
    RESULT_KEY = None  # the key of the returned object (customer, subscription, tenant, ...)
    SUMMARY = None  # the keys of the object a create or delete diff shows (None: all)
    SECRET_KEYS = frozenset()
    ACTION_GROUP = None  # the service's group in meta/runtime.yml, for module_defaults
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        # ansible-core names the plugin in argument errors ("Unsupported parameters for (NAME) module"): the module's
        # name as the task wrote it, not the import path the plugin loader gives.
        self._load_name = module_name(self.MODULE) or self._load_name
        try:
            validation, params = self.validate_argument_spec(self.MODULE.ARGUMENT_SPEC, **self.MODULE.ARGUMENT_RULES)
        except AnsibleActionFail as exc:
            missing = [
                name for name in self.connection_options()
                if name not in self._task.args and not any(var in os.environ for var in self.fallback_variables(name))
            ]
            if missing and exc.message.startswith('missing required arguments'):
                raise AnsibleActionFail(f"{exc.message}; {self.connection_sources(missing)}", obj=self._task.args) from None
            raise
        self.check_mode = bool(self._task.check_mode)
        self.warnings = []
        try:
            result.update(self.execute(params))
        except TenancyError as exc:
            result.update(exc.details, failed=True, msg=exc.msg)
        except Exception as exc:  # pylint: disable=broad-exception-caught  # its message and traceback may hold a secret
            result.update(failed=True, msg=f"{type(exc).__name__}: {exc}", exception=traceback.format_exc())
        result.setdefault('changed', False)
        if self.warnings:
            result['warnings'] = self.warnings
        stored = secret_key_values(result, self.SECRET_KEYS)
        return mask_secret_values(mask_secret_keys(result, self.SECRET_KEYS), no_log_values(validation) | stored)

    def connection_options(self):
        """The service's address and key: the required options that fall back to environment variables."""
        return sorted(name for name, spec in self.MODULE.ARGUMENT_SPEC.items() if spec.get('required') and spec.get('fallback'))

    def fallback_variables(self, name):
        return self.MODULE.ARGUMENT_SPEC[name]['fallback'][1]

    def connection_sources(self, names):
        """Where connection options can come from. A task's ``environment`` keyword sets the environment of the managed
        host's module process, which a controller-side plugin never starts."""
        variables = ', '.join(var for name in names for var in self.fallback_variables(name))
        return (f"set {', '.join(names)} on the task, in module_defaults for group/{self.ACTION_GROUP}, or {variables} in "
                "the environment of ansible-playbook on the controller (a task's environment: keyword does not reach "
                "this module, which runs on the controller)")

    def execute(self, params):
        for name in self.connection_options():
            if not (params[name] or '').strip():
                raise InvalidOption(name, f"must not be empty: {self.connection_sources([name])}")
        self.CLIENT.check_connection(params)
        self.validate(params)
        return self.ensure(self.CLIENT.get_api(params), params)

    def validate(self, params):
        """Raise InvalidOption for bad input; runs before any request is sent."""

    def ensure(self, api, params):
        raise NotImplementedError

    def write(self, predicted, request, *args, **kwargs):
        """The object after a write: ``predicted`` in check mode (nothing is sent), else what ``request(*args, **kwargs)``
        returns. Every write of the collection goes through here."""
        if self.check_mode:
            return predicted
        return request(*args, **kwargs)

    # -- result shapes: the object under RESULT_KEY, ``changed``, a diff only when something changed ------------------

    def unchanged_result(self, obj, **extra):
        return {'changed': False, self.RESULT_KEY: obj, **extra}

    def missing_result(self, **extra):
        """state=absent and nothing to remove."""
        return self.unchanged_result({}, **extra)

    def changed_result(self, obj, before, after, **extra):
        return {'changed': True, self.RESULT_KEY: obj, **extra, 'diff': {'before': before, 'after': after}}

    def summary(self, obj):
        """The object as a create or delete diff shows it."""
        return obj if self.SUMMARY is None else project(obj, self.SUMMARY)

    def created_result(self, obj, after=None, **extra):
        """A new ``obj``; the diff shows ``after`` (what was sent) or else its summary."""
        return self.changed_result(obj, {}, self.summary(obj) if after is None else after, **extra)

    def deleted_result(self, obj, current, **extra):
        """``obj`` as the delete returned it; the diff shows the summary of ``current``."""
        return self.changed_result(obj, self.summary(current), {}, **extra)

    def updated_result(self, obj, before, after, keys, **extra):
        """``obj`` after an update; the diff shows exactly the changed ``keys`` of ``before`` and ``after``."""
        diff = update_diff(before, after, keys)
        return self.changed_result(obj, diff['before'], diff['after'], **extra)
