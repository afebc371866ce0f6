# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors the action plugins turn into one ``failed`` result with one clear message."""

from __future__ import annotations

from ansible.module_utils.common.parameters import remove_values


class TenancyError(Exception):
    """A failure to report as the task's ``msg``; ``details`` become extra result keys."""

    def __init__(self, msg, **details):
        super().__init__(msg)
        self.msg = msg
        self.details = details


class InvalidOption(TenancyError):
    """Bad input, found before any request is sent: names the option and the rule."""

    def __init__(self, option, rule):
        super().__init__(f"{option}: {rule}", option=option)


class ApiError(TenancyError):
    """A remote API refused a request or could not be reached."""


def mask_secret_values(result, secrets):
    """The whole result with every secret value masked, as AnsibleModule does for a module's result.

    A server may echo a request (a password in an error message, a key in an echoed header): whatever carries it,
    msg, warnings, diff or a returned object, it never reaches the output, the log or a callback.
    """
    return remove_values(result, secrets) if secrets else result
