"""Conformance: replay the real Asterisk 22.10.1 captures against an ARI server and compare.

Modules: ``trace`` (loader), ``normalize`` (ids to placeholders), ``allowances`` (Asterisk's
documented races), ``matching`` (observation <-> trace step), ``replay`` (the causal replayer),
``compare`` (the comparer and its report), ``targets`` (simulator, fake, real Asterisk),
``fake_server`` (a trace-replaying ARI server for the harness self-tests).
"""
