"""Shared fixtures: one tiny synthetic corpus per test session, written through the real generator."""
import pytest

from atnet.datasets import synthetic

TINY = dict(subjects=(2, 2, 2), fraction=0.02)   # two clips per class and corpus: 18 clips


@pytest.fixture(scope="session")
def tiny_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth")
    synthetic.synthesize(root, jobs=2, progress=False, **TINY)
    return root
