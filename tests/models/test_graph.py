import numpy as np
import pytest

from pyskl.core.layout import get_layout
from pyskl.models.utils.graph import Graph


@pytest.mark.parametrize(
    'layout,V', [('nturgb+d', 25), ('coco', 17), ('openpose', 18), ('coco_new', 20), ('mediapipe', 33)]
)
def test_spatial_columns_normalised(layout, V):
    A = Graph(layout, 'spatial').A
    assert A.shape == (3, V, V)
    np.testing.assert_array_equal(A[0], np.eye(V))
    # inward / outward: every column with an edge sums to 1
    for k in (1, 2):
        sums = A[k].sum(0)
        assert np.all((np.isclose(sums, 1)) | (sums == 0))
    # inward and outward are each other's pattern transposed
    np.testing.assert_array_equal(A[1] > 0, (A[2] > 0).T)


def test_stgcn_spatial_partitions_neighbourhood():
    g = Graph('nturgb+d', 'stgcn_spatial')
    A = g.A
    assert A.shape == (3, 25, 25)
    total = A.sum(0)
    # the three subsets partition the normalised 1-hop neighbourhood: columns sum to 1
    np.testing.assert_allclose(total.sum(0), np.ones(25))
    assert np.all((A > 0).sum(0) <= 1)  # disjoint
    # root subset is the diagonal
    assert np.count_nonzero(A[0] - np.diag(np.diag(A[0]))) == 0
    # A[k][j, i] with j the head (3, two hops from the centre 20) and i the neck (2, one hop):
    # j is at least as far from the centre as i -> subset 1; the reverse pair -> subset 2
    assert A[1][3, 2] > 0 and A[2][3, 2] == 0
    assert A[2][2, 3] > 0 and A[1][2, 3] == 0


def test_binary_adj_symmetric():
    A = Graph('coco', 'binary_adj').A
    assert A.shape == (1, 17, 17)
    np.testing.assert_array_equal(A[0], A[0].T)
    assert A[0].sum() == 2 * len(get_layout('coco').inward)


def test_random_mode_local_generator():
    np.random.seed(0)
    before = np.random.random(3)  # leave the global RNG mid-stream, then check nothing advances it
    st = np.random.get_state()
    a = Graph('coco', 'random', num_filter=8, init_std=0.02, init_off=0.04, seed=3).A
    b = Graph('coco', 'random', num_filter=8, init_std=0.02, init_off=0.04, seed=3).A
    c = Graph('coco', 'random', num_filter=8, init_std=0.02, init_off=0.04, seed=4).A
    assert a.shape == (8, 17, 17)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert abs(a.mean() - 0.04) < 0.01 and abs(a.std() - 0.02) < 0.005
    # numpy's global RNG untouched: the whole state (key and position), and the next draw
    after = np.random.get_state()
    assert st[0] == after[0] and np.array_equal(st[1], after[1]) and st[2:] == after[2:]
    # the next global draw continues the stream as if Graph had never run
    assert np.random.random() == np.random.RandomState(0).random_sample(4)[3]
    np.testing.assert_array_equal(before, np.random.RandomState(0).random_sample(3))


def test_user_defined_layout():
    toy = dict(name='toy', num_node=5, inward=[(1, 0), (2, 1), (3, 0), (4, 3)], center=0)
    g = Graph(toy, 'spatial')
    assert g.A.shape == (3, 5, 5)
    assert g.A[1][0, 1] > 0 and g.A[2][1, 0] > 0  # the dict's edge (1, 0) points inward


def test_bad_layout_and_mode():
    with pytest.raises(KeyError, match='unknown skeleton layout'):
        Graph('kinect99')
    with pytest.raises(ValueError, match='unknown graph mode'):
        Graph('coco', 'fancy')
