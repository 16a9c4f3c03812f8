"""Export every backbone's NTU-60 joint config (full width unless --small) to ONNX, check parity against PyTorch in
ONNX Runtime on T in {50, 100, 300} x M in {1, 2}, and time both runtimes on CPU (alternating runs).

    OMP_NUM_THREADS=1 python tools/analysis/onnx_check_all.py [--small] [--opset 17] [--repeats 10]
        [--backbones stgcn msg3d ...] [--no-benchmark]

Fresh weights (no checkpoint needed): the BatchNorm statistics are calibrated on random skeletons and the classifier
is drawn at unit scale, so the logits are O(1) like a trained model's (at initialisation some backbones give logits
of 1e4, where an absolute 1e-4 is below float32 resolution). For a trained checkpoint use
``pyskl export CKPT --out m.onnx --check --benchmark``. Prints one Markdown table (docs/export.md).
"""

import argparse
import os
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIGS = {
    'stgcn': 'stgcn/stgcn_pyskl_ntu60_xsub_3dkp',
    'stgcn++': 'stgcn++/stgcn++_ntu60_xsub_3dkp',
    'aagcn': 'aagcn/aagcn_pyskl_ntu60_xsub_3dkp',
    'ctrgcn': 'ctrgcn/ctrgcn_pyskl_ntu60_xsub_3dkp',
    'dgstgcn': 'dgstgcn/ntu60_xsub_3dkp',
    'msg3d': 'msg3d/msg3d_pyskl_ntu60_xsub_3dkp',
    'protogcn': 'protogcn/ntu60_xsub_3dkp',
}
SMALL = {'msg3d': 6}  # --small: base_channels (others 8)


def build(name, small):
    import torch

    from pyskl.apis import init_recognizer

    options = {}
    if small:
        width = SMALL.get(name, 8)
        options = {'model.backbone.base_channels': width, 'model.cls_head.in_channels': 4 * width}
    model = init_recognizer(os.path.join(REPO, 'configs', CONFIGS[name], 'j.py'), cfg_options=options)
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(2):
            model(torch.randn(4, 2, 40, 25, 3, generator=g), mode='tensor')
        model.cls_head.fc_cls.weight.normal_(0, model.cls_head.in_channels**-0.5, generator=g)
    return model.eval()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--backbones', nargs='+', choices=sorted(CONFIGS), default=list(CONFIGS))
    parser.add_argument('--small', action='store_true', help='small widths (fast)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--threads', type=int, default=1)
    parser.add_argument('--no-benchmark', action='store_true')
    args = parser.parse_args(argv)
    import torch

    from pyskl.apis.export import benchmark_onnx, check_onnx, export_onnx

    torch.set_num_threads(args.threads)
    print(
        '| backbone | params (M) | M axis | max abs diff over 6 shapes | max abs score | PyTorch ms | ORT ms | '
        'PyTorch/ORT |'
    )
    print('|---|---|---|---|---|---|---|---|')
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.backbones:
            model = build(name, args.small)
            path = os.path.join(tmp, f'{name}.onnx')
            info = export_onnx(model, path, opset=args.opset)
            res = check_onnx(model, path)
            diff = max(r['max_abs_diff'] for r in res)
            score = max(r['max_abs_score'] for r in res)
            failed |= not all(r['ok'] for r in res)
            cells = ['-', '-', '-']
            if not args.no_benchmark:
                b = benchmark_onnx(model, path, (1, 2, 100), repeats=args.repeats, threads=args.threads)
                cells = [f'{b["torch_ms"]:.1f}', f'{b["onnx_ms"]:.1f}', f'{b["speedup"]:.2f}']
            params = sum(p.numel() for p in model.parameters()) / 1e6
            print(
                f'| {name} | {params:.2f} | {info["input"][1][1]} | {diff:.2g} ({len(res)} shapes) | {score:.2g} | '
                + ' | '.join(cells)
                + ' |',
                flush=True,
            )
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
