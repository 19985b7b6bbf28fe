"""File naming shared with the grad CLI, and the hand-built ONNX files for the bad-input tests."""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SAFE = set(b'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-')


def percent_encode(name: str) -> str:
    """Every UTF-8 byte outside [A-Za-z0-9._-] becomes %XX (upper-case hex), as `grad` names its output files."""
    return ''.join(chr(b) if b in SAFE else f'%{b:02X}' for b in name.encode('utf-8'))


def restore_state(model: onnx.ModelProto, state: dict) -> None:
    """Tracing in torch.onnx.export runs training-mode forwards that update BatchNorm running statistics in the
    exported module, and those updated values become initializers. Put back the values from before the export, so
    that the ONNX file starts exactly where the PyTorch reference starts."""
    for i, t in enumerate(model.graph.initializer):
        if t.name in state:
            want = state[t.name].detach().cpu().numpy()
            model.graph.initializer[i].CopyFrom(numpy_helper.from_array(want.astype(numpy_helper.to_array(t).dtype), t.name))


def insert_identity(model: onnx.ModelProto, op_type: str) -> None:
    """PyTorch drops no-op clones, so an Identity node is spliced in after the first `op_type` node by hand: the
    function is unchanged (so are the reference gradients) and the graph now exercises Identity."""
    node = next(n for n in model.graph.node if n.op_type == op_type)
    src = node.output[0]
    dst = src + '/identity'
    for n in model.graph.node:
        for i, name in enumerate(n.input):
            if name == src:
                n.input[i] = dst
    idx = list(model.graph.node).index(node)
    model.graph.node.insert(idx + 1, helper.make_node('Identity', [src], [dst], name=node.name + '/Identity'))


def _model(nodes, outputs, opset_imports, w: np.ndarray) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, 'bad_input_case',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [3, 3])],
        outputs,
        [numpy_helper.from_array(w, 'W')],
    )
    return helper.make_model(graph, opset_imports=opset_imports, producer_name='defect-studio-parity')


def write_bad_inputs(out_dir: str) -> dict:
    """Small models for the CLI's error paths, plus a valid control model so a failing CLI can't pass them."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3)).astype(np.float32)
    np.save(os.path.join(out_dir, 'x.npy'), x)
    np.save(os.path.join(out_dir, 'x_wrong_shape.npy'), rng.standard_normal((2, 5)).astype(np.float32))
    std = [helper.make_opsetid('', 17)]
    scalar_loss = [helper.make_tensor_value_info('loss', TensorProto.FLOAT, [])]

    # Valid control: loss = sum((x @ W)^2); dloss/dW = 2 x^T (x W).
    ok = _model([
        helper.make_node('MatMul', ['x', 'W'], ['y']),
        helper.make_node('Mul', ['y', 'y'], ['y2']),
        helper.make_node('ReduceSum', ['y2'], ['loss'], keepdims=0),
    ], scalar_loss, std, w)
    onnx.checker.check_model(ok)
    onnx.save(ok, os.path.join(out_dir, 'ok.onnx'))
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    y = x64 @ w64
    np.save(os.path.join(out_dir, 'ok_loss.npy'), np.array(np.sum(y * y), dtype=np.float32))
    np.save(os.path.join(out_dir, 'ok_W.npy'), (2 * x64.T @ y).astype(np.float32))

    # Det has no VJP rule in the list.
    det = _model([
        helper.make_node('MatMul', ['x', 'W'], ['y']),
        helper.make_node('Det', ['y'], ['loss']),
    ], scalar_loss, std, w)
    onnx.checker.check_model(det)
    onnx.save(det, os.path.join(out_dir, 'unsupported_det.onnx'))

    # An op from a custom domain that neither ORT nor the autodiff knows.
    custom = _model([
        helper.make_node('MatMul', ['x', 'W'], ['y']),
        helper.make_node('Frobnicate', ['y'], ['z'], domain='com.example'),
        helper.make_node('ReduceSum', ['z'], ['loss'], keepdims=0),
    ], scalar_loss, std + [helper.make_opsetid('com.example', 1)], w)
    onnx.save(custom, os.path.join(out_dir, 'custom_domain.onnx'))

    # First output is a [3, 3] tensor, not a scalar loss (a scalar second output must not be picked instead).
    nonscalar = _model([
        helper.make_node('MatMul', ['x', 'W'], ['y']),
        helper.make_node('ReduceSum', ['y'], ['s'], keepdims=0),
    ], [helper.make_tensor_value_info('y', TensorProto.FLOAT, [3, 3]),
        helper.make_tensor_value_info('s', TensorProto.FLOAT, [])], std, w)
    onnx.checker.check_model(nonscalar)
    onnx.save(nonscalar, os.path.join(out_dir, 'nonscalar_loss.onnx'))

    with open(os.path.join(out_dir, 'not_onnx.onnx'), 'wb') as f:
        f.write(b'This is a text file, not an ONNX model.\n' * 4)
    return {
        'dir': '_bad',
        'input': 'x',
        'x': 'x.npy',
        'x_wrong_shape': 'x_wrong_shape.npy',
        'ok': {'model': 'ok.onnx', 'loss': 'ok_loss.npy', 'grads': {'W': 'ok_W.npy'}},
        'unsupported_op': {'model': 'unsupported_det.onnx', 'op': 'Det'},
        'custom_domain': {'model': 'custom_domain.onnx', 'op': 'Frobnicate'},
        'nonscalar_loss': {'model': 'nonscalar_loss.onnx'},
        'not_onnx': {'model': 'not_onnx.onnx'},
    }
