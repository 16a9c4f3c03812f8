"""Conversion of mmengine checkpoint contents to tensors / builtins and back."""

import pickle
from collections import namedtuple

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from pyskl.engine import WeightsOnlyCheckpointHook, restore_history_buffers, to_weights_only


def _message_hub_state():
    hub = MessageHub(name='pyskl-test-ckpt-safety')
    for i in range(5):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
        hub.update_scalar('train/lr', np.float64(0.1 * i), count=2)
    hub.update_info('epoch', 3, resumed=True)
    hub.update_info('some_np', np.arange(3, dtype=np.float32), resumed=True)
    hub.update_info('np_scalar', np.float32(0.5), resumed=True)
    return hub.state_dict()


def _save_load(obj, tmp_path):
    path = tmp_path / 'ckpt.pth'
    torch.save(obj, path)
    return torch.load(path, weights_only=True)


def test_raw_mmengine_state_is_refused_by_weights_only(tmp_path):
    # the problem being solved: mmengine's state holds HistoryBuffers / numpy objects
    with pytest.raises(pickle.UnpicklingError):
        _save_load(dict(message_hub=_message_hub_state()), tmp_path)


def test_checkpoint_round_trip(tmp_path):
    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    state_dict = model.state_dict()
    meta = dict(
        epoch=2,
        seed=np.int64(7),
        best_score=np.float64(0.75),
        shape=np.array([1, 2]),
        names=np.array(['a', 'b']),
        nested=[(np.float32(1.5), 'x')],
        cfg='a = 1',
    )
    ckpt = dict(
        meta=meta,
        state_dict=state_dict,
        message_hub=_message_hub_state(),
        optimizer=dict(state={}, param_groups=[dict(lr=0.1, params=[0, 1])]),
    )
    hook = WeightsOnlyCheckpointHook()
    hook.before_save_checkpoint(None, ckpt)

    loaded = _save_load(ckpt, tmp_path)
    assert loaded['state_dict']._metadata == state_dict._metadata  # module metadata kept
    assert ckpt['state_dict'] is state_dict  # nothing to convert: not copied
    for k, v in state_dict.items():
        assert torch.equal(loaded['state_dict'][k], v)
    m = loaded['meta']
    assert m['seed'] == 7 and type(m['seed']) is int
    assert m['best_score'] == 0.75 and type(m['best_score']) is float
    assert torch.equal(m['shape'], torch.tensor([1, 2]))
    assert m['names'] == ['a', 'b']
    assert m['nested'] == [(1.5, 'x')]

    hook.after_load_checkpoint(None, loaded)
    original = _message_hub_state()
    for key, buf in original['log_scalars'].items():
        got = loaded['message_hub']['log_scalars'][key]
        assert isinstance(got, HistoryBuffer)
        np.testing.assert_array_equal(got._log_history, buf._log_history)
        np.testing.assert_array_equal(got._count_history, buf._count_history)
        assert got._log_history.dtype == buf._log_history.dtype
        assert got.max_length == buf.max_length
        assert got.mean(3) == pytest.approx(buf.mean(3))

    # MessageHub accepts the restored state (as Runner.resume feeds it)
    hub = MessageHub(name='pyskl-test-ckpt-safety-load')
    hub.load_state_dict(loaded['message_hub'])
    assert hub.get_scalar('train/loss').current() == pytest.approx(0.2)
    assert hub.get_info('epoch') == 3


def test_restore_leaves_other_entries():
    state = dict(log_scalars=dict(plain=dict(a=1)), runtime_info={}, resumed_keys={})
    restore_history_buffers(state)
    assert state['log_scalars']['plain'] == dict(a=1)


def test_unknown_object_names_its_path():
    Point = namedtuple('Point', 'x y')
    assert to_weights_only(dict(p=Point(1, np.int32(2)))) == dict(p=(1, 2))

    class Custom:
        pass

    with pytest.raises(TypeError, match=r'checkpoint\.meta\.dataset_meta\.extra'):
        to_weights_only(dict(dataset_meta=dict(extra=Custom())), 'checkpoint.meta')
