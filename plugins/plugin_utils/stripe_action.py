# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of the Stripe action plugins: the Stripe client, and the create, update and change set every resource shares."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import stripe_api
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.action import ControllerAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.errors import TenancyError
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.reconcile import apply_changes, changed_fields


class StripeAction(ControllerAction):
    """A Stripe module: ``validate`` checks the input offline, then ``ensure`` gets the shared client."""

    CLIENT = stripe_api
    ACTION_GROUP = 'thingsstack.tenancy.stripe'

    @staticmethod
    def changes(current, desired, metadata=None):
        """The update payload: the fields of ``desired`` that ``current`` does not satisfy, and the metadata changes."""
        changes = changed_fields(current, desired)
        if metadata:
            changes['metadata'] = metadata
        return changes

    def created(self, api, resource, *args, params, natural_key, kind, predicted):
        """A new object (``predicted`` in check mode); ``natural_key`` makes the create idempotent across retries."""
        return self.write(predicted, api.create, resource, *args, params=params, natural_key=natural_key, kind=kind)

    def updated(self, api, resource, current, changes, sent=None):
        """The object after an update with ``changes`` (predicted in check mode, or without changes); ``sent`` is the
        payload when it differs from the changes it makes."""
        if not changes:
            return apply_changes(current, changes)
        return self.write(apply_changes(current, changes), api.write, resource.update, current['id'],
                          params=changes if sent is None else sent)

    def unknown_id(self, object_id, instead, exists='does not exist'):
        """The error for an ``id`` that names no object: Stripe assigns IDs, so a new object is declared otherwise."""
        return TenancyError(f"id: {self.RESULT_KEY} {object_id} {exists}; Stripe assigns {self.RESULT_KEY} IDs, so {instead}")
