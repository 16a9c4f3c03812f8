"""Label maps: plain text files with one class name per line, line ``i`` naming class ``i``
(``tools/data/label_map/*.txt``, the PYSKL / MMAction2 format)."""

import os.path as osp
from typing import List, Optional

__all__ = ['load_label_map']


def load_label_map(path: str, num_classes: Optional[int] = None) -> List[str]:
    """Read a label map.

    Args:
        path (str): text file, one class name per line (UTF-8); trailing blank lines are ignored.
        num_classes (int, optional): when given, the map must name exactly this many classes.

    Returns:
        list[str]: the class names, index = class label.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: a blank line inside the map, a repeated name, or a class count that differs
        from ``num_classes`` (the message names the file and the line).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'label map not found: {path}')
    try:
        with open(path, encoding='utf-8') as f:
            lines = [line.strip() for line in f.read().splitlines()]
    except UnicodeDecodeError as e:
        raise ValueError(f'{path}: a label map is UTF-8 text, one class name per line ({e})') from None
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        raise ValueError(f'{path}: the label map is empty')
    seen = {}
    for i, name in enumerate(lines):
        if not name:
            raise ValueError(f'{path}: line {i + 1} is blank; a label map has one class name per line')
        if name in seen:
            raise ValueError(f'{path}: line {i + 1} repeats the class name {name!r} of line {seen[name] + 1}')
        seen[name] = i
    if num_classes is not None and len(lines) != num_classes:
        raise ValueError(f'{path}: the label map names {len(lines)} classes but the results have {num_classes}')
    return lines
