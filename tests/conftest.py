"""Shared test fixtures.

The CI machine has 2 cores; keep torch to one intra-op thread per process so that
multi-process tests (DDP on gloo, dataloader workers) do not oversubscribe them.
"""
import os

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), 'shared')


def pytest_configure(config):
    import torch
    torch.set_num_threads(1)


@pytest.fixture(scope='session')
def repo_root():
    return REPO


@pytest.fixture(scope='session')
def shared_dir():
    if not os.path.isdir(SHARED):
        msg = f'../shared not found beside the checkout ({SHARED})'
        if os.environ.get('CI'):
            pytest.fail(msg + ': CI must run the reference and schema checks')
        pytest.skip(msg)
    return SHARED
