"""Skeleton transforms, registered in ``pyskl.registry.TRANSFORMS`` on import."""

from .formatting import FormatGCNInput, PackSkeletonInputs, PadTo
from .pose_related import GenSkeFeat, PreNormalize2D, PreNormalize3D, RandomRot, RandomScale
from .sampling import DecompressPose, PoseDecode, UniformSampleDecode, UniformSampleFrames
from .skeleton_aug import Flip, KineticsTransform, PartDrop, SpatialFlip

__all__ = [
    'PreNormalize3D',
    'PreNormalize2D',
    'RandomRot',
    'RandomScale',
    'GenSkeFeat',
    'UniformSampleFrames',
    'UniformSampleDecode',
    'PoseDecode',
    'DecompressPose',
    'FormatGCNInput',
    'PadTo',
    'PackSkeletonInputs',
    'SpatialFlip',
    'PartDrop',
    'Flip',
    'KineticsTransform',
]
