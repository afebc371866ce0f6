# -*- coding: utf-8 -*-
# Copyright: thingsstack.tenancy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The base of The Things Stack action plugins: the TTS client (no Stripe SDK is imported for them)."""

from __future__ import annotations

from ansible_collections.thingsstack.tenancy.plugins.plugin_utils import tts_api
from ansible_collections.thingsstack.tenancy.plugins.plugin_utils.action import ControllerAction


class TtsAction(ControllerAction):
    """A TTS module: ``validate`` checks the input offline, then ``ensure`` gets the shared client."""

    CLIENT = tts_api
    ACTION_GROUP = 'thingsstack.tenancy.tts'
