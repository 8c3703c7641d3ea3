"""aidwatch tests (a package so test modules import helpers as ``tests.support``)."""
