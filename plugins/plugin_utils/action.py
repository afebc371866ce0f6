# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of every action plugin of this collection: validate, run on the controller, report."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import InvalidOption, TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.stripe_api import get_api


class ControllerAction(ActionBase):
    """Runs a module's logic on the controller; subclasses set ``MODULE`` and implement ``execute``.

    ``MODULE`` is the module file (``plugins/modules/NAME.py``) holding ``ARGUMENT_SPEC`` and ``ARGUMENT_RULES``.
    ``execute(params)`` returns the result keys; it raises TenancyError for a failure with one message.
    """

    MODULE = None
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, params = self.validate_argument_spec(self.MODULE.ARGUMENT_SPEC, **self.MODULE.ARGUMENT_RULES)
        self.check_mode = bool(self._task.check_mode)
        self.diff_mode = bool(self._task.diff)
        self.warnings = []
        try:
            result.update(self.execute(params))
        except TenancyError as exc:
            result.update(exc.details, failed=True, msg=exc.msg)
        result.setdefault('changed', False)
        if self.warnings:
            result['warnings'] = self.warnings
        return result

    def execute(self, params):
        raise NotImplementedError


class StripeAction(ControllerAction):
    """A Stripe module: ``validate`` checks the input offline, then ``ensure`` gets the shared client."""

    def execute(self, params):
        if not params['api_key'].startswith(('sk_', 'rk_')):
            raise InvalidOption('api_key', 'must be a Stripe secret key (sk_test_..., sk_live_...) or restricted key (rk_...)')
        self.validate(params)
        return self.ensure(get_api(params), params)

    def validate(self, params):
        """Raise InvalidOption for bad input; runs before any request is sent."""

    def ensure(self, api, params):
        raise NotImplementedError
