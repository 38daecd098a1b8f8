"""Helpers shared by every test folder (importable as ``testkit`` from any subset of the tests).

pytest puts ``tests/`` on ``sys.path`` (``pythonpath`` in pyproject.toml), so ``from testkit.data import
TRACES`` works whichever folders are collected, in whatever order. Helpers live here rather than in a
``conftest.py``: every folder's conftest is a module named ``conftest``, so importing one by name picks
whichever was loaded last.
"""
