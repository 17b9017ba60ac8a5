# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one error type the PKI core raises. Private to this collection: not a public API."""

from __future__ import annotations


class PKIError(Exception):
    """Bad input or unusable material, reported to the user as one precise message.

    ``option`` names the module option at fault, so every message starts with it.
    """

    def __init__(self, option, message):
        self.option = option
        self.message = message
        super().__init__("{0}: {1}".format(option, message) if option else message)
