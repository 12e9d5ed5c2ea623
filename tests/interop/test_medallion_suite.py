"""medallion's own HTTP test suite (the OASIS reference TAXII 2.1 server's
tests/test_backends.py) run against an Entente node loaded with medallion's
fixture data. See medallion_adapter.py for where the suite comes from and how
its requests are mapped.

Environment:
  MEDALLION_SUITE_DIR     medallion's `medallion/test` directory (from a source
                          checkout at the pinned release, tag v3.0.0)
  MEDALLION_SUITE_TRANSLATE_DATES  `0` shows Entente's own date_added to the
                          suite instead of the fixture's (see medallion_adapter)
  ENTENTE_MEDALLION_SUITE `off` skips this module deliberately (also under CI);
                          otherwise a missing suite is a missing prerequisite
                          (a failure under CI, a skip elsewhere).

Every test of the suite appears here under its own name; the ones that test
medallion's configuration or internals are left out (medallion_adapter.NOT_HTTP).
"""

import os

import pytest

import medallion_adapter
from conftest import require, require_module

SUITE = None if os.environ.get("ENTENTE_MEDALLION_SUITE") == "off" else medallion_adapter.find_suite()

if os.environ.get("ENTENTE_MEDALLION_SUITE") == "off":
    def test_medallion_suite():
        pytest.skip("ENTENTE_MEDALLION_SUITE=off")
elif SUITE is None:
    def test_medallion_suite():
        require(False, "medallion's test suite (medallion/test/test_backends.py) was not found: no medallion "
                       "release on PyPI ships it; set MEDALLION_SUITE_DIR to the medallion/test directory of a "
                       "source checkout at tag v3.0.0, or ENTENTE_MEDALLION_SUITE=off to skip it on purpose")
else:
    require_module("medallion")
    _suite, _TaxiiTest = medallion_adapter.load_suite(SUITE)
    globals().update(medallion_adapter.suite_tests(_suite))


@pytest.fixture(scope="module")
def backend(node_factory):
    """One Entente node for the whole suite, as medallion's own fixture is one
    server per module: fixture data loaded, max_page_size 20 as in medallion's
    test configuration."""
    n = node_factory("medallion-suite", env={"ENTENTE_TAXII_MAX_PAGE_SIZE": "20"})
    n.init("Malware Research Group")
    n.add_partner("Medallion user")
    n.add_partner("Someone else")
    n.token("medallion", "Medallion user", "analyst", user="medallion-suite")
    medallion_adapter.create_collections(n, _TaxiiTest.DATA_FILE)
    n.start()
    try:
        status_map, statuses = medallion_adapter.load_objects(n, _TaxiiTest.DATA_FILE)
        for s in statuses:
            print(f"fixture load status: {s.get('success_count')} added, {s.get('failure_count')} failed: "
                  f"{[(f.get('id'), f.get('message')) for f in s.get('failures', [])]}")
        b = medallion_adapter.EntenteBackend(n, _TaxiiTest, n.tokens["medallion"], status_map)
        if os.environ.get("MEDALLION_SUITE_TRANSLATE_DATES", "1") != "0":
            b.client.dates = medallion_adapter.date_map(n, _TaxiiTest.DATA_FILE)
        b.fixture_statuses = statuses
        yield b
    finally:
        n.stop()
