"""Helpers shared by the skeleton transforms: input checks with clear error messages,
the ``keypoint_score`` merge and the deprecated ``test_mode`` argument."""

import warnings

import numpy as np

from pyskl.core.validation import as_img_shape


def describe_sample(results):
    """A short description of the sample in ``results`` for error messages."""
    parts = []
    if 'frame_dir' in results:
        parts.append(f'frame_dir={results["frame_dir"]!r}')
    if 'sample_idx' in results:
        parts.append(f'sample_idx={results["sample_idx"]}')
    return 'sample (' + (', '.join(parts) if parts else 'unnamed') + ')'


def transform_error(transform, results, message):
    """A ``ValueError`` that names the transform and the sample."""
    return ValueError(f'{type(transform).__name__}: {describe_sample(results)}: {message}')


def get_img_shape(transform, results, default=None):
    """The sample's ``img_shape`` (h, w) (``default`` when the field is absent), checked by :func:`as_img_shape`.

    Raises:
        ValueError: naming the transform, the sample and the field, when it is missing or not a positive finite
            (h, w).
    """
    value = results.get('img_shape', default)
    img_shape = as_img_shape(value)
    if img_shape is None:
        raise transform_error(transform, results, f"field 'img_shape' must be a positive (h, w), got {value!r}")
    return img_shape


def get_array(transform, results, key, ndim=None, channels=None):
    """Return ``results[key]`` as a numpy array, checking its presence and shape.

    Args:
        transform: The calling transform (named in the error).
        results (dict): The pipeline results.
        key (str): The field, e.g. ``'keypoint'``.
        ndim (int | None): Required number of dimensions.
        channels (Sequence[int] | None): Allowed sizes of the last axis.

    Raises:
        KeyError: if the field is missing.
        ValueError: if it is not an array of the required shape.
    """
    if key not in results:
        raise KeyError(
            f'{type(transform).__name__}: {describe_sample(results)}: missing field {key!r} '
            f'(present: {sorted(results)})'
        )
    value = results[key]
    if not isinstance(value, np.ndarray):
        raise transform_error(transform, results, f'field {key!r} must be a numpy array, got {type(value).__name__}')
    if ndim is not None and value.ndim != ndim:
        raise transform_error(transform, results, f'field {key!r} must be {ndim}-D, got shape {value.shape}')
    if channels is not None and value.shape[-1] not in channels:
        raise transform_error(
            transform,
            results,
            f'field {key!r} must have {" or ".join(map(str, channels))} '
            f'channels in its last axis, got shape {value.shape}',
        )
    return value


def get_keypoint(transform, results, channels=None):
    """``results['keypoint']`` checked to be ``(M, T, V, C)``."""
    return get_array(transform, results, 'keypoint', ndim=4, channels=channels)


def pop_merged_keypoint(transform, results):
    """Remove ``keypoint`` and ``keypoint_score`` from ``results`` and return one array.

    Returns:
        tuple[np.ndarray, bool]: ``(keypoint, merged)``: ``keypoint`` is ``(M, T, V, C)`` or,
        when ``keypoint_score`` ``(M, T, V)`` was present, the new array ``(M, T, V, C + 1)``
        whose last channel is the score; ``merged`` tells which. The input arrays are not modified.
    """
    keypoint = get_keypoint(transform, results)
    if 'keypoint_score' not in results:
        del results['keypoint']
        return keypoint, False
    score = get_array(transform, results, 'keypoint_score', ndim=3)
    if score.shape != keypoint.shape[:3]:
        raise transform_error(
            transform,
            results,
            f"field 'keypoint_score' has shape {score.shape}, expected "
            f'{keypoint.shape[:3]} (the first 3 axes of keypoint)',
        )
    merged = np.concatenate([keypoint, score[..., None].astype(keypoint.dtype, copy=False)], axis=-1)
    del results['keypoint'], results['keypoint_score']
    return merged, True


def warn_test_mode(transform_name, test_mode):
    """Accept and ignore the ``test_mode=`` argument of old configs."""
    if test_mode is not None:
        warnings.warn(
            f'{transform_name}: the argument test_mode={test_mode!r} is deprecated and ignored; '
            "test mode comes from results['test_mode'] (set by the dataset)",
            DeprecationWarning,
            stacklevel=3,
        )


def get_rng(transform, results):
    """``results['rng']``, the only source of randomness of training-mode transforms."""
    rng = results.get('rng')
    if not isinstance(rng, np.random.Generator):
        raise transform_error(
            transform,
            results,
            f"field 'rng' must be a numpy.random.Generator, got {type(rng).__name__}; PoseDataset provides it, "
            "standalone callers pass e.g. results['rng'] = np.random.default_rng(seed)",
        )
    return rng
