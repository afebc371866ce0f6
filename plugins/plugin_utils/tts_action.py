# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of The Things Stack action plugins: connection checks and input validation before the first request."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.action import ControllerAction
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.tts_api import check_connection, get_api


class TtsAction(ControllerAction):
    """A TTS module: ``validate`` checks the input offline, then ``ensure`` gets the shared client."""

    def execute(self, params):
        check_connection(params)
        self.validate(params)
        return self.ensure(get_api(params), params)

    def validate(self, params):
        """Raise InvalidOption for bad input; runs before any request is sent."""

    def ensure(self, api, params):
        raise NotImplementedError
