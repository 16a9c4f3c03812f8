"""The ``pyskl`` dispatcher (pyskl.cli.main): its table, --help / --version / unknown commands, the tools/*.py
front doors that share each command's parser, and ``python -m pyskl``."""

import importlib.util
import os
import subprocess
import sys

import pytest

from pyskl.cli.main import COMMANDS, main

#: command -> its tools/ front door
TOOLS = {
    'train': 'train.py',
    'test': 'test.py',
    'inspect': 'misc/inspect_data.py',
    'visualize': 'visualize_skeleton.py',
    'flops': 'analysis/get_flops.py',
    'benchmark': 'analysis/benchmark.py',
    'analyze-logs': 'analysis/analyze_logs.py',
    'confusion': 'analysis/confusion_matrix.py',
    'print-config': 'misc/print_config.py',
    'convert-config': 'misc/convert_config.py',
    'ntu-preproc': 'data/ntu_preproc.py',
    'extract-2d': 'data/extract_2d_skeleton.py',
    'make-demo-data': 'data/make_demo_data.py',
    'fuse': 'analysis/fuse_results.py',
    'export': 'deployment/export_onnx.py',
    'predict': 'predict.py',
    'extract-features': 'extract_features.py',
    'live': '../demo/webcam_demo.py',
}  # `streams`' front door is tools/dist_run_streams.sh


def python(code, cwd=None, **env):
    return subprocess.run(
        [sys.executable, '-c', code],
        cwd=cwd,
        env=dict(os.environ, **env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )


def test_help_lists_every_command(capsys):
    assert main(['--help']) == 0
    out = capsys.readouterr().out
    for name, (_, help_text, _) in COMMANDS.items():
        assert f'  {name}' in out and help_text in out
    assert main([]) == 2  # no command: the list, and a usage error status
    assert 'commands:' in capsys.readouterr().out


def test_unknown_command_exits_2_with_a_message(capsys):
    assert main(['trian', 'x.py']) == 2
    err = capsys.readouterr().err
    assert "error: unknown command 'trian'" in err and '  train' in err


def test_version(capsys):
    from pyskl import __version__

    assert main(['--version']) == 0 and capsys.readouterr().out.strip() == f'pyskl {__version__}'
    assert main(['-V']) == 0 and capsys.readouterr().out.strip() == f'pyskl {__version__}'


@pytest.mark.parametrize('name', list(COMMANDS))
def test_each_command_help_exits_0(name, capsys):
    with pytest.raises(SystemExit) as e:
        main([name, '--help'])
    assert e.value.code == 0
    assert capsys.readouterr().out.startswith('usage: ')


@pytest.mark.parametrize('name', list(COMMANDS))
def test_command_module_follows_the_contract(name):
    import argparse

    module = importlib.import_module(f'pyskl.cli.{COMMANDS[name][0]}')
    parser = argparse.ArgumentParser(prog='outer')
    assert module.build_parser(parser) is parser  # adds its arguments to a given parser
    assert isinstance(module.build_parser(), argparse.ArgumentParser)


def test_top_level_help_and_command_help_import_no_torch():
    code = (
        'import sys\nfrom pyskl.cli.main import COMMANDS, main\nassert main(["--help"]) == 0\n'
        'assert "torch" not in sys.modules, "pyskl --help imported torch"\n'
        'import importlib, importlib.util\n'
        'for entry in COMMANDS.values():\n'
        '    name = "pyskl.cli." + entry[0]\n'
        '    if importlib.util.find_spec(name) is not None:\n'
        '        importlib.import_module(name).build_parser()\n'
        '        assert "torch" not in sys.modules, name + " imported torch"\n'
    )
    proc = python(code)
    assert proc.returncode == 0, proc.stderr


def test_python_m_pyskl_is_the_same_command():
    proc = subprocess.run([sys.executable, '-m', 'pyskl', '--help'], stdout=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 0 and all(f'  {name}' in proc.stdout for name in COMMANDS)
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'print-config', '--help'], stdout=subprocess.PIPE, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.startswith('usage: pyskl print-config ')


def test_tools_front_doors_take_the_commands_arguments(repo_root):
    """``python tools/X.py --help`` is ``pyskl <cmd> --help`` with the script's name as prog: same arguments."""
    code = """
import contextlib, io, json, runpy, sys
from pyskl.cli.main import main
tools = json.loads(sys.argv[1])
out = {}
for name, path in tools.items():
    helps = []
    for run in ('tool', 'cmd'):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.suppress(SystemExit):
            if run == 'tool':
                sys.argv = [path, '--help']
                runpy.run_path(path, run_name='__main__')
            else:
                sys.argv = ['pyskl', name, '--help']
                main([name, '--help'])
        helps.append(buf.getvalue())
    out[name] = helps
print(json.dumps(out))
"""
    import json

    tools = {name: os.path.join(repo_root, 'tools', path) for name, path in TOOLS.items()}
    assert set(TOOLS) == {n for n in COMMANDS if n != 'streams'}
    proc = subprocess.run(
        [sys.executable, '-c', code, json.dumps(tools)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    for name, (tool_help, cmd_help) in json.loads(proc.stdout).items():
        script = os.path.basename(TOOLS[name])
        assert tool_help.startswith(f'usage: {script} '), tool_help[:200]
        assert cmd_help.startswith(f'usage: pyskl {name} '), cmd_help[:200]

        def options(text):
            return sorted(w for w in text.split() if w.startswith('--'))

        assert options(tool_help) == options(cmd_help) and options(cmd_help), name


def test_user_error_is_one_line_not_a_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'inspect', str(tmp_path / 'missing.pkl')],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1 and proc.stderr.startswith('error: ') and 'missing.pkl' in proc.stderr
    assert 'Traceback' not in proc.stderr
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'inspect'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and 'usage: pyskl inspect' in proc.stderr  # argparse: bad arguments


def test_a_missing_extra_names_it_and_how_to_install_it(tmp_path):
    from pyskl.core.extras import MissingExtraError, require

    with pytest.raises(MissingExtraError, match=r"no_such_module_xyz is not installed: install the 'pose' extra"):
        require('no_such_module_xyz', 'pose')
    assert require('json', 'tests').dumps([1]) == '[1]'


@pytest.mark.skipif(importlib.util.find_spec('mediapipe') is not None, reason='mediapipe is installed here')
def test_a_command_without_its_extra_is_one_error_line(tmp_path):
    """`pyskl live` / `predict VIDEO` without the pose extra ended in an ImportError traceback."""
    (tmp_path / 'list.txt').write_text('a.mp4 0\n')
    proc = subprocess.run(
        [sys.executable, '-m', 'pyskl', 'extract-2d', '--video-list', str(tmp_path / 'list.txt'), '--out', 'x.pkl'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
        cwd=str(tmp_path),
    )
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("error: mediapipe is not installed: install the 'pose' extra"), proc.stderr


@pytest.mark.parametrize('name', ['train', 'inspect'])
def test_long_cpu_commands_choose_passive_openmp_waits(name):
    """``passive`` commands set OMP_WAIT_POLICY=PASSIVE unless the environment sets it; the others leave it alone."""
    code = (
        'import os, sys\nfrom pyskl.cli.main import main\n'
        f'try:\n    main([{name!r}, "--help"])\nexcept SystemExit:\n    pass\n'
        'print(os.environ.get("OMP_WAIT_POLICY"))\n'
    )
    env = {k: v for k, v in os.environ.items() if k != 'OMP_WAIT_POLICY'}
    proc = subprocess.run(
        [sys.executable, '-c', code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    expected = 'PASSIVE' if COMMANDS[name][2] else 'None'
    assert proc.stdout.strip().splitlines()[-1] == expected
    proc = python(code, OMP_WAIT_POLICY='ACTIVE')
    assert proc.stdout.strip().splitlines()[-1] == 'ACTIVE'


def test_an_allocation_beyond_memory_is_one_error_line(tmp_path):
    # a size from an argument, a config or a file that cannot be allocated (here the weights of a 4096-channel model
    # under a 4 GB address space) ends with one 'error: out of memory' line and exit 1, not a traceback;
    # PYSKL_DEBUG=1 gives the traceback
    import resource

    from repo_paths import REPO

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))

    cmd = [sys.executable, '-m', 'pyskl', 'flops', 'configs/stgcn++/stgcn++_demo_3dkp/j.py']
    cmd += ['--cfg-options', 'model.backbone.base_channels=4096']  # weights of several GB
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith('error: out of memory: ') and 'Traceback' not in proc.stderr, proc.stderr
    assert "can't allocate memory" in proc.stderr
    env['PYSKL_DEBUG'] = '1'
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limit)
    assert proc.returncode == 1 and 'Traceback' in proc.stderr


@pytest.mark.parametrize(
    'argv, victim',
    [
        (['predict', 'ck.pth', 'clip.json', '--out', 'clip.json'], 'clip.json'),
        (['predict', 'ck.pth', 'clip.npy', '--window', '30', '--plot', 'ck.pth'], 'ck.pth'),
        (['extract-features', 'ck.pth', '--ann-file', 'ann.pkl', '--all', '--out', 'ann.pkl'], 'ann.pkl'),
        (['visualize', 'ann.pkl', '--frame-dir', 'a', '--video', 'v.mp4', '--out', 'v.mp4'], 'v.mp4'),
        (['live', 'ck.pth', '--source', 'v.mp4', '--out', 'v.mp4'], 'v.mp4'),
        (['print-config', 'cfg.py', '--out', 'cfg.py'], 'cfg.py'),
        (['test', 'cfg.py', 'ck.pth', '--out', 'ck.pth'], 'ck.pth'),
        (['fuse', '--preds', 'r1.pkl', 'r2.pkl', '--out', 'r2.pkl'], 'r2.pkl'),
        (['confusion', 'r1.pkl', '--out-csv', 'r1.pkl'], 'r1.pkl'),
    ],
)
def test_outputs_never_overwrite_the_inputs(tmp_path, monkeypatch, capsys, argv, victim):
    # every command that writes a file refuses, before any work, an output path that is one of its inputs (predict
    # --out on its own .json, visualize / live --out on the source video, print-config --out on the config: each
    # used to replace the input silently)
    monkeypatch.chdir(tmp_path)
    for name in ('ck.pth', 'clip.json', 'clip.npy', 'ann.pkl', 'v.mp4', 'cfg.py', 'r1.pkl', 'r2.pkl'):
        (tmp_path / name).write_bytes(b'precious ' + name.encode())
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f'writing it would overwrite {victim}' in err, err
    assert (tmp_path / victim).read_bytes() == b'precious ' + victim.encode()


def test_predict_window_flag_values():
    # the bare flag means the config's clip_len (argparse ran the string const through type=int: every bare
    # --window failed with "invalid int value: 'clip_len'"); values are frames in 1..MAX_WINDOW
    from pyskl.cli.predict import MAX_WINDOW, build_parser

    parser = build_parser()
    assert parser.parse_args(['ck.pth', 'x.npy', '--window']).window == 'clip_len'
    assert parser.parse_args(['ck.pth', 'x.npy', '--window', '48']).window == 48
    assert parser.parse_args(['ck.pth', 'x.npy']).window is None
    for bad in ('0', str(MAX_WINDOW + 1), 'abc'):
        with pytest.raises(SystemExit):
            parser.parse_args(['ck.pth', 'x.npy', '--window', bad])


@pytest.mark.parametrize(
    'options, words',
    [
        (['=5'], "--cfg-options '=5': expected KEY=VALUE"),
        (['lr'], "--cfg-options 'lr': expected KEY=VALUE"),
        (['model.backbone=[1,2'], 'cannot parse the value (Imbalanced brackets'),
    ],
)
def test_malformed_cfg_options_are_usage_errors(capsys, options, words):
    # were a yapf SyntaxError, "not enough values to unpack" and a bare AssertionError
    with pytest.raises(SystemExit) as info:
        main(['print-config', 'configs/stgcn++/stgcn++_demo_3dkp/j.py', '--cfg-options', *options])
    assert info.value.code == 2 and words in capsys.readouterr().err


@pytest.mark.parametrize(
    'options, words',
    [
        (['optim_wrapper.optimizer.lr=abc'], "optim_wrapper.optimizer.lr must be a finite number > 0; got 'abc'"),
        (['optim_wrapper.optimizer.lr=nan'], 'optim_wrapper.optimizer.lr must be a finite number > 0; got nan'),
        (['optim_wrapper.optimizer.momentum=-1'], 'momentum must be a finite number >= 0'),
        (['randomness.seed=abc'], "randomness.seed must be an int in [0, 2**32) or None; got 'abc'"),
    ],
)
def test_careless_optimizer_values_are_config_errors(capsys, options, words):
    # a string lr was a TypeError deep in mmengine; a NaN lr trained an epoch of NaN losses
    from repo_paths import REPO

    assert (
        main(['print-config', os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py'), '--cfg-options', *options])
        == 1
    )
    assert words in capsys.readouterr().err


def test_flops_checks_the_shape_and_the_widths(capsys):
    from repo_paths import REPO

    config = os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')
    assert main(['flops', config, '--shape', '1', '2', '100', '24', '3']) == 1
    assert 'the model takes V=25 joints (its layout) and C=3 channels' in capsys.readouterr().err
    assert main(['flops', config, '--shape', '1', '1000', '100000', '25', '3']) == 1  # 7.5e9 values
    assert 'more than 50000000 input values' in capsys.readouterr().err
    assert main(['flops', config, '--cfg-options', 'model.backbone.base_channels=1']) == 1
    assert 'gets 0 channels from base_channels=1' in capsys.readouterr().err


def test_export_refuses_opsets_and_tolerances_it_cannot_use(tmp_path, capsys):
    # --opset 99 was torch's RuntimeError traceback after loading; --atol nan reported FAIL for every shape
    from torch.onnx._constants import ONNX_MAX_OPSET

    from pyskl.cli.export import MAX_OPSET

    assert MAX_OPSET == ONNX_MAX_OPSET
    ckpt = tmp_path / 'ck.pth'
    ckpt.write_bytes(b'x')
    out = str(tmp_path / 'm.onnx')
    assert main(['export', str(ckpt), '--out', out, '--opset', str(MAX_OPSET + 1)]) == 1
    assert f'--opset must be from 13 to {MAX_OPSET}' in capsys.readouterr().err
    assert main(['export', str(ckpt), '--out', out, '--check', '--atol', 'nan']) == 1
    assert '--atol must be a finite number > 0, got nan' in capsys.readouterr().err


def test_visualize_and_live_refuse_careless_values_up_front(tmp_path, capsys):
    # a JSON list as --layout and an unopenable .mp4 writer (fps 1e300, a missing folder) were tracebacks; live's
    # buffers were sized by --window / --max-persons without a bound (TiBs)
    from pyskl.apis.visualize import open_mp4_writer

    layout = tmp_path / 'layout.json'
    layout.write_text('[1, 2]')
    ann = tmp_path / 'ann.pkl'
    ann.write_bytes(b'x')
    argv = ['visualize', str(ann), '--frame-dir', 'a', '--out', str(tmp_path / 'a.gif'), '--layout', str(layout)]
    assert main(argv) == 1
    assert 'a JSON layout is an object (num_node, edges, ...), got list' in capsys.readouterr().err
    with pytest.raises(ValueError, match=r'fps must be a number in \(0, 1000\]'):
        open_mp4_writer(str(tmp_path / 'a.mp4'), 1e300, (64, 64))
    with pytest.raises(OSError, match='cannot open an .mp4 writer .folder .* does not exist'):
        open_mp4_writer(str(tmp_path / 'missing' / 'a.mp4'), 30, (64, 64))
    for option, value in (('--window', '1000000000'), ('--max-persons', '100000000')):
        assert main(['live', 'ck.pth', '--source', 'v.mp4', option, value]) == 1
        assert f'{option} must be at most' in capsys.readouterr().err


@pytest.mark.parametrize(
    'option, words',
    [
        ('num_classes=99999999999999999999', 'num_classes must be at most 1000000'),
        ('clip_len=1000000', 'clip_len must be at most 100000'),
        ('min_load_fraction=abc', "min_load_fraction must be a number in [0, 1]; got 'abc'"),
        ('min_load_fraction=2', 'min_load_fraction must be a number in [0, 1]; got 2'),
    ],
)
def test_count_and_fraction_settings_are_bounded(capsys, option, words):
    from repo_paths import REPO

    assert (
        main(['print-config', os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py'), '--cfg-options', option])
        == 1
    )
    assert words in capsys.readouterr().err


def test_live_report_warns_when_nothing_was_recognised():
    # a truncated video gave '1 frames ... windows: 0 recognised' and exit 0 with no word of warning
    from pyskl.cli.live import format_stats

    none = dict(mean=None)
    stats = dict(
        fps=None, frames=1, source='clip.avi', source_fps=30.0, frames_skipped=0, decode_failures=3, pose_ms=1.0,
        windows_run=0, windows_dropped=0, windows_due=0, frames_dropped=1, recognition_ms=none, latency_ms=none,
        window_latency_ms=none, last=None, out=None,
    )  # fmt: skip
    assert format_stats(stats)[-1] == (
        'warning: nothing was recognised: the source gave 1 frame(s) (3 failed to decode), fewer than one window '
        '(--window, default the clip_len)'
    )
    stats.update(windows_due=4, windows_dropped=4, frames=200, decode_failures=0)
    assert format_stats(stats)[-1].endswith('all 4 window(s) were dropped while the model was busy')
    stats.update(windows_run=1)
    assert not format_stats(stats)[-1].startswith('warning')


@pytest.mark.parametrize(
    'option, words',
    [
        ('test_dataloader.num_workers=100000', 'test_dataloader.num_workers must be an int from 0 to 256; got 100000'),
        ('train_dataloader.batch_size=0', 'train_dataloader.batch_size must be an int from 1 to 65536; got 0'),
        ('val_dataloader.num_workers=two', "val_dataloader.num_workers must be an int from 0 to 256; got 'two'"),
    ],
)
def test_dataloader_counts_are_bounded(capsys, option, words):
    # a checkpoint's stored config with 100000 workers would fork 100000 processes on `pyskl test CKPT`
    from repo_paths import REPO

    config = os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')
    assert main(['print-config', config, '--cfg-options', option]) == 1
    assert words in capsys.readouterr().err


def test_inspect_and_make_demo_data_never_replace_files(tmp_path, capsys):
    # inspect --json / --plot on the pickle itself, and make-demo-data --out on an existing file, replaced them
    ann = tmp_path / 'ann.pkl'
    ann.write_bytes(b'precious')
    assert main(['inspect', str(ann), '--json', str(ann)]) == 1
    assert 'writing it would overwrite' in capsys.readouterr().err
    assert main(['make-demo-data', '--out', str(ann), '--num-subjects', '3', '--samples-per-class', '1']) == 1
    assert 'exists; pass --overwrite' in capsys.readouterr().err
    assert ann.read_bytes() == b'precious'
    big = str(tmp_path / 'big.pkl')
    assert main(['make-demo-data', '--out', big, '--num-subjects', '100000', '--samples-per-class', '100']) == 1
    assert 'the demo generator makes at most 10000' in capsys.readouterr().err


def test_train_refuses_to_write_over_its_data_or_config(tmp_path):
    # (train and test share cli.base.check_run_outputs) test / train --out on the config's ann_file replaced the
    # dataset with scores; a work dir that is the config's own folder replaced the config with its resolved dump;
    # --work-dir '' trained into the current directory
    from repo_paths import REPO

    ann = tmp_path / 'ann.pkl'
    ann.write_bytes(b'precious')
    own = tmp_path / 'own'
    own.mkdir()
    config = own / 'j.py'
    config.write_text(f'_base_ = [{os.path.join(REPO, "configs/stgcn++/stgcn++_demo_3dkp/j.py")!r}]\n# my notes\n')
    env = dict(os.environ, OMP_NUM_THREADS='1')

    def run(*args):
        cmd = [sys.executable, '-m', 'pyskl', *args]
        return subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)

    proc = run(
        'train', str(config), '--work-dir', str(tmp_path / 'w'), '--out', str(ann), '--cfg-options', f'ann_file={ann}'
    )
    assert proc.returncode == 1 and 'is an annotation file of the config; writing it would overwrite' in proc.stderr
    proc = run('train', str(config), '--work-dir', str(own))
    assert proc.returncode == 1 and 'is the folder of the config' in proc.stderr, proc.stderr[-2000:]
    proc = run('train', str(config), '--work-dir', '')
    assert proc.returncode == 1 and '--work-dir is empty' in proc.stderr
    # an unwritable folder (a pseudo file system) was found after the run, when the result was written
    proc = run('train', str(config), '--work-dir', str(tmp_path / 'w'), '--out', '/proc/result.pkl')
    assert proc.returncode == 1 and '--out /proc/result.pkl: cannot create a file in /proc' in proc.stderr
    assert ann.read_bytes() == b'precious' and config.read_text().endswith('# my notes\n')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['ann.pkl', 'own']


def test_misspelt_top_level_override_is_refused(capsys):
    # num_class=5 / ann_flie=... were merged silently and the run used the config's values
    from repo_paths import REPO

    config = os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')
    assert main(['print-config', config, '--cfg-options', 'num_class=5']) == 1
    assert (
        "--cfg-options num_class: the config has no key 'num_class' (did you mean 'num_classes'?)"
        in capsys.readouterr().err
    )
    assert main(['print-config', config, '--cfg-options', 'compile=True', 'label_map=x.txt']) == 0  # optional keys


def test_misspelt_nested_key_is_one_error_line(tmp_path):
    # train_cfg.max_epoch=3 reached EpochBasedTrainLoop as an unexpected keyword: a TypeError traceback
    from repo_paths import REPO

    cmd = [sys.executable, '-m', 'pyskl', 'train', os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')]
    cmd += ['--work-dir', str(tmp_path / 'w'), '--cfg-options', 'train_cfg.max_epoch=3']
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert "unexpected keyword argument 'max_epoch'" in proc.stderr
    assert 'a misspelt or unknown key in the config or --cfg-options' in proc.stderr


def test_config_paths_that_are_not_configs(tmp_path, capsys):
    # a folder said "does not exist", README.md "Only py/yml/yaml/json type are supported now!" (no file), a syntax
    # error was a traceback, `pyskl test CONFIG` (no checkpoint) "not a PyTorch checkpoint: a text file"
    from repo_paths import REPO

    broken = tmp_path / 'b.py'
    broken.write_text('this is not python(\n')
    for path, words in (
        (os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp'), 'is a directory, not a config file'),
        (os.path.join(REPO, 'README.md'), 'not a config file (a .py config'),
        (str(broken), f"{broken}, line 1: not valid Python ('(' was never closed)"),
        (str(tmp_path / 'absent.py'), 'config not found'),
    ):
        assert main(['print-config', path]) == 1
        assert words in capsys.readouterr().err
    assert main(['test', os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')]) == 1
    assert 'is a config; give the checkpoint too' in capsys.readouterr().err


def test_benchmark_refuses_values_it_would_ignore(capsys):
    # --batch 0 silently used the config's batch; --shape without --compare-rev was ignored; a bad compare shape
    # was a nested worker traceback
    from repo_paths import REPO

    config = os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')
    for argv, words in (
        ([config, '--batch', '0'], '--batch must be >= 1, got 0'),
        ([config, '--shape', '1', '2', '30', '25', '3'], '--shape: only with --compare-rev'),
        (['--compare-rev', 'HEAD', '--shape', '0', '2', '30', '25', '3'], '--shape must be five positive ints'),
        (['--compare-rev', 'HEAD', '--shape', '1', '2', '30', '17', '3'], 'take V=25 joints and C=3'),
    ):
        assert main(['benchmark', *argv]) == 1
        assert words in capsys.readouterr().err


def test_train_checks_the_label_map_before_training(tmp_path):
    # a short label_map was a warning after the first epoch; it is one before training (not an error: the map only
    # names the classes stored in checkpoints, and a subset of the classes keeps the full map)
    from repo_paths import REPO

    short = tmp_path / 'short.txt'
    short.write_text('a\nb\nc\n')
    cmd = [sys.executable, '-m', 'pyskl', 'train', os.path.join(REPO, 'configs/stgcn++/stgcn++_demo_3dkp/j.py')]
    env = dict(os.environ, OMP_NUM_THREADS='1')
    args = ['--work-dir', str(tmp_path / 'w'), '--cfg-options', f'label_map={short}', 'ann_file=absent.pkl']
    proc = subprocess.run(cmd + args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert 'label_map: ' in proc.stderr and 'names 3 classes' in proc.stderr, proc.stderr[-2000:]
    assert proc.stderr.index('names 3 classes') < proc.stderr.index('absent.pkl')  # before the data is read


def test_make_demo_data_warns_about_empty_splits(tmp_path, capsys):
    # --samples-per-class 1 left xview_train empty without a word; inspect then reported ERRORS
    assert (
        main(['make-demo-data', '--out', str(tmp_path / 'd.pkl'), '--num-subjects', '3', '--samples-per-class', '1'])
        == 0
    )
    assert 'warning: split(s) xview_train got no sample' in capsys.readouterr().err
