import numpy as np
import pytest

from pyskl.evaluation import label_ranks, mean_class_accuracy, top_k_accuracy


def test_top_k_known_answer():
    scores = np.array(
        [
            [0.1, 0.7, 0.2],  # label 1: rank 0
            [0.5, 0.3, 0.2],  # label 2: rank 2
            [0.2, 0.5, 0.3],  # label 2: rank 1
            [0.6, 0.1, 0.3],  # label 0: rank 0
        ]
    )
    labels = np.array([1, 2, 2, 0])
    assert label_ranks(scores, labels).tolist() == [0, 2, 1, 0]
    assert top_k_accuracy(scores, labels, (1, 2, 3)) == [0.5, 0.75, 1.0]
    # k larger than the number of classes: everything counts as correct
    assert top_k_accuracy(scores, labels, (5,)) == [1.0]


def test_ties_break_towards_lower_class_index_like_argmax():
    scores = np.array(
        [
            [0.4, 0.4, 0.2],  # tie between 0 and 1; label 0 -> rank 0
            [0.4, 0.4, 0.2],  # label 1 -> rank 1 (class 0 wins the tie)
            [0.0, 0.0, 0.0],  # all tied; label 2 -> rank 2
        ]
    )
    labels = np.array([0, 1, 2])
    assert label_ranks(scores, labels).tolist() == [0, 1, 2]
    top1, top2 = top_k_accuracy(scores, labels, (1, 2))
    assert top1 == pytest.approx(1 / 3)
    assert top2 == pytest.approx(2 / 3)
    assert top1 == np.mean(scores.argmax(1) == labels)


def test_mean_class_accuracy_known_answer():
    # class 0: 2 of 3 right, class 1: 1 of 1 right, class 2 absent from labels
    scores = np.array(
        [
            [0.9, 0.1, 0.0],
            [0.8, 0.2, 0.0],
            [0.1, 0.2, 0.7],
            [0.3, 0.6, 0.1],
        ]
    )
    labels = np.array([0, 0, 0, 1])
    assert mean_class_accuracy(scores, labels) == pytest.approx((2 / 3 + 1) / 2)
    assert top_k_accuracy(scores, labels, (1,))[0] == pytest.approx(3 / 4)


def test_random_agrees_with_argsort_definition():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 7))  # continuous: no ties
    labels = rng.integers(0, 7, 50)
    order = np.argsort(-scores, axis=1)
    for k in (1, 3, 5):
        expect = np.mean([labels[i] in order[i, :k] for i in range(50)])
        assert top_k_accuracy(scores, labels, (k,))[0] == pytest.approx(expect)


@pytest.mark.parametrize(
    'scores,labels,match',
    [
        (np.zeros((2, 3)), np.array([0, 3]), 'sample 1 has label 3'),
        (np.zeros((2, 3)), np.array([0]), 'labels must have shape'),
        (np.zeros(3), np.array([0]), 'scores must have shape'),
        (np.array([[0.0, np.nan]]), np.array([0]), 'NaN'),
        (np.zeros((0, 3)), np.zeros(0, int), 'empty'),
    ],
)
def test_bad_input(scores, labels, match):
    with pytest.raises(ValueError, match=match):
        top_k_accuracy(scores, labels, (1,))
