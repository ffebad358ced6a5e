"""Which targets reach a scoped user's rows (shown to it) and which are limited to them
(the user may change them)."""

from __future__ import annotations

import pytest

from cxpm.targets.model import applies_within, limited_to


@pytest.mark.parametrize(("scope", "applies", "limited"), [
    ({}, True, False),                                      # organisation-wide
    ({"vendor": "acme"}, True, True),                       # the user's own vendor
    ({"vendor": "globex"}, False, False),                   # another vendor
    ({"program": "care"}, True, False),                     # other dimension only
    ({"vendor": "acme", "program": "care"}, True, True),
    ({"vendor": "globex", "program": "care"}, False, False),
    ({"vendor": "Acme"}, False, False),                     # values compare exactly
])
def test_vendor_acme(scope: dict[str, str], applies: bool, limited: bool) -> None:
    assert applies_within(scope, "vendor", "acme") is applies
    assert limited_to(scope, "vendor", "acme") is limited
