#!/usr/bin/python3
"""PyTorch reference fixtures for the training engine (issue 4).

Exports small seeded models with torch.onnx.export in TRAINING mode (the first ONNX output is the scalar loss,
the parameters are initializers) and writes the reference loss and gradients from torch autograd, so that
`npm test` can check `defect-studio grad` against PyTorch without Python.

Run with Debian's interpreter (python3-torch, python3-onnx):  /usr/bin/python3 scripts/parity/make_fixtures.py

Reference gradients are computed in float64 from the exact float32 parameter and input values stored in the
fixture, so they are the true gradients of the float32 model; `torch_f32_rel_err` in the manifest records how
far PyTorch's own float32 autograd lands from them, which is the noise floor any float32 engine also sees.

Layout, per case:  test/parity/fixtures/<case>/model.onnx, inputs/<input>.npy, expected/loss.npy,
expected/<percent-encoded initializer name>.npy; test/parity/fixtures/manifest.json lists all cases.
"""
from __future__ import annotations

import copy
import io
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn

sys.dont_write_bytecode = True  # keep __pycache__ out of the working tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from parity_models import CASES  # noqa: E402
from fixture_io import insert_identity, percent_encode, restore_state, write_bad_inputs  # noqa: E402
from convergence import write_convergence  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
FIXTURES = os.path.join(ROOT, 'test', 'parity', 'fixtures')

# Ops the issue promises a VJP rule (or no-gradient handling) for; anything else in an export is "extended".
ISSUE_OPS = set('''Conv ConvTranspose Gemm MatMul Add Sub Mul Div Neg Pow Sqrt Exp Log Abs Relu LeakyRelu Sigmoid
Tanh Erf Clip Softmax LogSoftmax SoftmaxCrossEntropyLoss BatchNormalization InstanceNormalization MaxPool
AveragePool GlobalAveragePool ReduceMean ReduceSum ReduceMax Resize Pad Concat Slice Split Reshape Transpose Flatten
Squeeze Unsqueeze Expand Gather Where Identity Cast Constant Shape ConstantOfShape ReduceProd Greater Less Equal
Range'''.split())


def rel_err(got: np.ndarray, want: np.ndarray) -> float:
    """max|got - want| / max|want| (1e-12 floor) — the definition test/parity uses."""
    scale = max(float(np.max(np.abs(want))) if want.size else 0.0, 1e-12)
    return float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) / scale if want.size else 0.0


def first(out):
    """A case's forward returns the loss, or a tuple whose first element is the loss."""
    return out[0] if isinstance(out, tuple) else out


def export_case(name: str, spec: dict) -> dict:
    torch.manual_seed(spec.get('seed', 0))
    module: nn.Module = spec['build']()
    inputs: dict[str, torch.Tensor] = spec['inputs']()
    opset = spec['opset']
    preserve = spec.get('training') == 'preserve'  # keep each submodule's own train/eval flag
    if not preserve:
        module.train()
    # Export a copy: tracing runs forward passes that update BatchNorm running statistics.
    exported = copy.deepcopy(module)
    names = list(inputs.keys())
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(
            exported, tuple(inputs[n] for n in names), buf, input_names=names,
            output_names=spec.get('output_names', ['loss']), **spec.get('export_kwargs', {}),
            training=torch.onnx.TrainingMode.PRESERVE if preserve else torch.onnx.TrainingMode.TRAINING,
            do_constant_folding=False, opset_version=opset,
        )
    model = onnx.load_from_string(buf.getvalue())
    restore_state(model, module.state_dict())
    if spec.get('insert_identity'):
        insert_identity(model, spec['insert_identity'])
    onnx.checker.check_model(model)
    out0 = model.graph.output[0]
    dims = out0.type.tensor_type.shape.dim
    assert out0.name == 'loss' and len(dims) == 0, f'{name}: first output must be the scalar loss'

    inits = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    buffers = dict(module.named_buffers())
    for pname, p in module.named_parameters():
        assert pname in inits, f'{name}: parameter {pname} is not an ONNX initializer (got {sorted(inits)})'
    for sname, v in module.state_dict().items():
        if sname in inits:
            assert np.array_equal(inits[sname], v.detach().numpy()), f'{name}: initializer {sname} differs'
    float_inits = [n for n, a in inits.items() if a.dtype.kind == 'f']
    others = [n for n in float_inits if n not in dict(module.named_parameters()) and n not in buffers]
    assert not others, f'{name}: float initializers that are neither parameters nor buffers: {others}'

    # float64 reference from the same float32 values. A case's `reference` hook may turn buffers the loss depends
    # on (eval-mode BatchNorm statistics) into parameters, so that they get reference gradients too.
    hook = spec.get('reference', lambda m: m)
    ref = hook(copy.deepcopy(module)).double()
    if not preserve:
        ref.train()
    ref_in = [inputs[n].double() if inputs[n].is_floating_point() else inputs[n] for n in names]
    loss64 = first(ref(*ref_in))
    loss64.backward()
    # float32 autograd, only to record PyTorch's own float32 error.
    f32 = hook(copy.deepcopy(module))
    if not preserve:
        f32.train()
    loss32 = first(f32(*[inputs[n] for n in names]))
    loss32.backward()
    ref_params = dict(ref.named_parameters())
    f32_params = dict(f32.named_parameters())
    params = ref_params
    for pname, p in ref_params.items():
        assert pname in inits and np.array_equal(inits[pname], p.detach().float().numpy()), f'{name}: {pname}'

    case_dir = os.path.join(FIXTURES, name)
    os.makedirs(os.path.join(case_dir, 'inputs'))
    os.makedirs(os.path.join(case_dir, 'expected'))
    with open(os.path.join(case_dir, 'model.onnx'), 'wb') as f:
        f.write(model.SerializeToString())
    input_meta = []
    for n in names:
        arr = inputs[n].detach().numpy()
        arr = arr.astype(np.float32) if arr.dtype.kind == 'f' else arr.astype(np.int64)
        np.save(os.path.join(case_dir, 'inputs', f'{n}.npy'), np.ascontiguousarray(arr))
        input_meta.append({'name': n, 'file': f'inputs/{n}.npy', 'dtype': str(arr.dtype), 'shape': list(arr.shape)})
    np.save(os.path.join(case_dir, 'expected', 'loss.npy'), np.array(loss64.item(), dtype=np.float64).astype(np.float32))
    grads = []
    worst_f32 = 0.0
    for pname in params:
        g = ref_params[pname].grad
        g = torch.zeros_like(ref_params[pname]) if g is None else g
        g64 = g.detach().numpy()
        g32 = f32_params[pname].grad
        g32 = np.zeros(g64.shape, np.float32) if g32 is None else g32.detach().numpy()
        err = rel_err(g32, g64)
        worst_f32 = max(worst_f32, err)
        fname = percent_encode(pname) + '.npy'
        np.save(os.path.join(case_dir, 'expected', fname), g64.astype(np.float32))
        grads.append({'name': pname, 'file': f'expected/{fname}', 'shape': list(g64.shape),
                      'max_abs': float(np.max(np.abs(g64))) if g64.size else 0.0, 'torch_f32_rel_err': err})
    # Buffers (BatchNorm running statistics) do not affect a training-mode loss: a gradient, if written, is 0.
    zero = [{'name': b, 'file': percent_encode(b) + '.npy', 'shape': list(inits[b].shape)}
            for b in buffers if b in inits and inits[b].dtype.kind == 'f' and b not in params]
    ops = sorted({n.op_type for n in model.graph.node})
    return {
        'name': name,
        'description': spec['description'],
        'opset': opset,
        'ops': ops,
        'extended_ops': [o for o in ops if o not in ISSUE_OPS],
        'inputs': input_meta,
        'loss': {'file': 'expected/loss.npy', 'value': float(loss64.item()),
                 'torch_f32_rel_err': abs(float(loss32.item()) - float(loss64.item())) / max(abs(float(loss64.item())), 1e-12)},
        'grads': grads,
        'zero_grads': zero,
        'torch_f32_max_rel_err': worst_f32,
    }


def main() -> None:
    only = set(sys.argv[1:])
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    if os.path.isdir(FIXTURES) and not only:
        shutil.rmtree(FIXTURES)
    os.makedirs(FIXTURES, exist_ok=True)
    manifest_path = os.path.join(FIXTURES, 'manifest.json')
    cases = []
    for name, spec in CASES.items():
        if only and name not in only:
            continue
        shutil.rmtree(os.path.join(FIXTURES, name), ignore_errors=True)
        entry = export_case(name, spec)
        cases.append(entry)
        print(f"{name:32s} opset {entry['opset']}  loss {entry['loss']['value']:.6g}  "
              f"torch f32 err {entry['torch_f32_max_rel_err']:.2e}  extended {entry['extended_ops']}")
    if only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = [c for c in json.load(f)['cases'] if c['name'] not in only]
        cases = old + cases
        cases.sort(key=lambda c: list(CASES).index(c['name']) if c['name'] in CASES else 1_000)
    bad = write_bad_inputs(os.path.join(FIXTURES, '_bad'))
    convergence = write_convergence(os.path.join(FIXTURES, '_convergence'))
    manifest = {
        'generator': 'scripts/parity/make_fixtures.py',
        'torch': torch.__version__,
        'onnx': onnx.__version__,
        'relative_error': 'max|got - expected| / max(max|expected|, 1e-12), per tensor',
        'tolerance': {'grad': 1e-4, 'loss': 1e-5},
        'cases': cases,
        'bad': bad,
        'convergence': convergence,
    }
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(d, fn)) for d, _, fs in os.walk(FIXTURES) for fn in fs)
    print(f'{len(cases)} cases, {total / 1e6:.2f} MB in {os.path.relpath(FIXTURES, ROOT)}')


if __name__ == '__main__':
    main()
