"""Every command in README.md and docs/*.md that names a config and passes ``--cfg-options`` resolves: the options
parse and agree with the config's top-level facts (a nested ``...dataset.ann_file=`` override, which the facts
refuse, had been documented). Commands with shell variables are skipped (their values are not in the line)."""

import argparse
import glob
import os
import re

import pytest
from mmengine.config import DictAction
from repo_paths import REPO

DOCS = [os.path.join(REPO, 'README.md')] + sorted(glob.glob(os.path.join(REPO, 'docs', '*.md')))


def documented_commands():
    """``(doc, line, config, option tokens)`` of every command line naming ``configs/....py`` with --cfg-options."""
    found = []
    for doc in DOCS:
        with open(doc, encoding='utf-8') as f:
            text = f.read().replace('\\\n', ' ')  # shell line continuations
        for line in text.splitlines():
            config = re.search(r'(configs/[^\s`]+\.py)', line)
            if '--cfg-options' not in line or config is None or '$' in line:
                continue
            tokens = []
            for token in line.split('--cfg-options', 1)[1].split():
                token = token.strip('`')
                if token.startswith('--') or '=' not in token:
                    break
                tokens.append(token)
            found.append((os.path.relpath(doc, REPO), line.strip(), config.group(1), tokens))
    return found


COMMANDS = documented_commands()


def test_the_docs_have_such_commands():
    assert len(COMMANDS) >= 4 and any('ann_file=' in ' '.join(c[3]) for c in COMMANDS)


@pytest.mark.parametrize('doc,line,config,tokens', COMMANDS, ids=[f'{c[0]}:{c[2]}' for c in COMMANDS])
def test_documented_cfg_options_resolve(doc, line, config, tokens):
    from pyskl.core.config import load_config

    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', *tokens]).cfg_options
    cfg = load_config(os.path.join(REPO, config), options)  # raises on a disagreement with the facts
    for key, value in options.items():
        if key == 'ann_file':
            assert cfg.test_dataloader.dataset.ann_file == value, line
