"""Convergence reference: a small CNN, fixed data and initial weights, and PyTorch's loss curve for 50 optimizer
steps on that full batch. The engine trains the same exported model (the initializers are the initial weights)
and must follow the curve (test/parity/convergence.test.ts).

curve[t] is the loss computed at step t, before its update (t = 0..49); curve[50] is the loss after 50 updates.
Curves are computed in float32 (what both frameworks run); the float64 curve's distance is recorded as the noise.
"""
from __future__ import annotations

import copy
import io
import os
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

from fixture_io import restore_state

STEPS = 50


class SmallCNN(nn.Module):
    def __init__(self, classes: int = 4):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(16, 16, 3, padding=1)
        self.fc = nn.Linear(16, classes)

    def forward(self, x, target):
        y = F.relu(self.conv1(x))
        y = F.relu(self.conv2(y))
        y = F.relu(self.conv3(y))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return F.cross_entropy(self.fc(y), target)


class SmallBNCNN(SmallCNN):
    """The same CNN with training-mode BatchNorm after the first two convs: the running statistics are optimizer
    state too, and PyTorch updates running_var with the unbiased batch variance (momentum 0.1). The convs before
    BatchNorm have no bias: its true gradient is 0, so Adam would move it by +-lr on float noise alone, shifting
    the running means differently in every framework."""

    def __init__(self, classes: int = 4):
        super().__init__(classes)
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.bn2 = nn.BatchNorm2d(16)

    def forward(self, x, target):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = F.relu(self.conv3(y))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return F.cross_entropy(self.fc(y), target)


class TinyBN(nn.Module):
    """BatchNorm over only N*H*W = 16 values per channel, where the unbiased running variance PyTorch keeps is
    16/15 of the biased one: 0.7% apart after a single update from running_var = 1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 1, bias=False)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)

    def forward(self, x, target):
        y = F.relu(self.bn(self.conv(x)))
        return F.cross_entropy(self.fc(y.mean(dim=(2, 3))), target)


def write_running_stats(out_dir: str) -> dict:
    """TinyBN exported with its fresh statistics, and the statistics after one training-mode forward."""
    torch.manual_seed(9)
    model = TinyBN().train()
    x = torch.randn(4, 3, 2, 2)
    target = torch.tensor([0, 1, 1, 0])
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(copy.deepcopy(model), (x, target), buf, input_names=['x', 'target'], output_names=['loss'],
                          training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False, opset_version=17)
    onnx_model = onnx.load_from_string(buf.getvalue())
    restore_state(onnx_model, model.state_dict())
    onnx.checker.check_model(onnx_model)
    with open(os.path.join(out_dir, 'tiny_bn.onnx'), 'wb') as f:
        f.write(onnx_model.SerializeToString())
    np.save(os.path.join(out_dir, 'inputs', 'tiny_x.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, 'inputs', 'tiny_target.npy'), target.numpy().astype(np.int64))
    with torch.no_grad():
        model(x, target)
    files = {}
    for name in ('bn.running_mean', 'bn.running_var'):
        f = f'expected/tiny_bn_after_one_step_{name}.npy'
        np.save(os.path.join(out_dir, f), dict(model.named_buffers())[name].numpy().astype(np.float32))
        files[name] = f
    return {
        'model': 'tiny_bn.onnx',
        'inputs': [{'name': 'x', 'file': 'inputs/tiny_x.npy'}, {'name': 'target', 'file': 'inputs/tiny_target.npy'}],
        'after_one_step': files,
        'note': 'running_var = 0.9 * 1 + 0.1 * unbiased batch variance (N*H*W = 16)',
    }


def make_data(n: int = 16, classes: int = 4, size: int = 16) -> tuple[torch.Tensor, torch.Tensor]:
    """Images whose class is a coloured blob in one quadrant plus noise: learnable in a few dozen steps."""
    g = torch.Generator().manual_seed(11)
    target = torch.arange(n) % classes
    x = 0.5 * torch.randn(n, 3, size, size, generator=g)
    h = size // 2
    for i in range(n):
        c = int(target[i])
        r0, c0 = (c // 2) * h, (c % 2) * h
        x[i, c % 3, r0:r0 + h, c0:c0 + h] += 1.5
    return x, target


OPTIMIZERS = {
    'adam': dict(kind='adam', lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    'adamw': dict(kind='adamw', lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.05),
    'sgd_nesterov': dict(kind='sgd', lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-4),
}

MODELS = {'cnn': SmallCNN, 'cnn_bn': SmallBNCNN}

# name -> model, optimizer, and the options the engine must reproduce (global-norm clipping, frozen parameters).
RUNS = {
    'adam': dict(model='cnn', optimizer='adam'),
    'adamw': dict(model='cnn', optimizer='adamw'),
    'sgd_nesterov': dict(model='cnn', optimizer='sgd_nesterov'),
    'adam_bn': dict(model='cnn_bn', optimizer='adam'),
    'adam_clip_frozen': dict(model='cnn', optimizer='adam', clip_grad_norm=0.05, frozen=['conv1.weight', 'conv1.bias']),
}


def _optimizer(cfg: dict, params):
    if cfg['kind'] == 'adam':
        return torch.optim.Adam(params, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'],
                                weight_decay=cfg['weight_decay'])
    if cfg['kind'] == 'adamw':
        return torch.optim.AdamW(params, lr=cfg['lr'], betas=(cfg['beta1'], cfg['beta2']), eps=cfg['eps'],
                                 weight_decay=cfg['weight_decay'])
    return torch.optim.SGD(params, lr=cfg['lr'], momentum=cfg['momentum'], nesterov=cfg['nesterov'],
                           weight_decay=cfg['weight_decay'])


def curve(model: nn.Module, run: dict, x, target) -> tuple[np.ndarray, dict, int]:
    """Loss curve, final BatchNorm running statistics, and how many steps the clipping was active."""
    m = copy.deepcopy(model)
    frozen = set(run.get('frozen', []))
    for n, p in m.named_parameters():
        p.requires_grad_(n not in frozen)
    trainable = [p for n, p in m.named_parameters() if n not in frozen]
    opt = _optimizer(OPTIMIZERS[run['optimizer']], trainable)
    out, clipped = [], 0
    for _ in range(STEPS):
        opt.zero_grad()
        loss = m(x, target)
        out.append(loss.item())
        loss.backward()
        if 'clip_grad_norm' in run:
            norm = torch.nn.utils.clip_grad_norm_(trainable, run['clip_grad_norm'])
            clipped += int(norm > run['clip_grad_norm'])
        opt.step()
    with torch.no_grad():  # train mode: this forward updates running statistics once more, as the engine's lr=0 step does
        out.append(m(x, target).item())
    running = {n: b.detach().double().numpy().copy() for n, b in m.named_buffers() if b.dtype.is_floating_point}
    return np.array(out, dtype=np.float64), running, clipped


def write_convergence(out_dir: str) -> dict:
    x, target = make_data()
    os.makedirs(os.path.join(out_dir, 'inputs'), exist_ok=True)
    os.makedirs(os.path.join(out_dir, 'expected'), exist_ok=True)
    np.save(os.path.join(out_dir, 'inputs', 'x.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, 'inputs', 'target.npy'), target.numpy().astype(np.int64))
    models = {}
    for key, cls in MODELS.items():
        torch.manual_seed(5)
        models[key] = cls().train()
        buf = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            torch.onnx.export(copy.deepcopy(models[key]), (x, target), buf, input_names=['x', 'target'],
                              output_names=['loss'], training=torch.onnx.TrainingMode.TRAINING,
                              do_constant_folding=False, opset_version=17)
        onnx_model = onnx.load_from_string(buf.getvalue())
        restore_state(onnx_model, models[key].state_dict())
        onnx.checker.check_model(onnx_model)
        with open(os.path.join(out_dir, f'{key}.onnx'), 'wb') as f:
            f.write(onnx_model.SerializeToString())
    runs = {}
    for name, run in RUNS.items():
        model = models[run['model']]
        c32, running, clipped = curve(model, run, x, target)
        c64, _, _ = curve(copy.deepcopy(model).double(), run, x.double(), target)
        np.save(os.path.join(out_dir, 'expected', f'curve_{name}.npy'), c32)
        running_files = {}
        for b, v in running.items():
            f = f'expected/running_{name}_{b}.npy'
            np.save(os.path.join(out_dir, f), v.astype(np.float32))
            running_files[b] = f
        runs[name] = {
            'model': f"{run['model']}.onnx",
            'optimizer': OPTIMIZERS[run['optimizer']],
            'clip_grad_norm': run.get('clip_grad_norm'),
            'frozen': run.get('frozen', []),
            'steps_clipped': clipped,
            'file': f'expected/curve_{name}.npy',
            'running': running_files,
            'first': float(c32[0]), 'last': float(c32[-1]),
            'float64_max_rel_dev': float(np.max(np.abs(c32 - c64) / np.abs(c64))),
        }
        print(f"convergence {name:17s} loss {c32[0]:.4f} -> {c32[-1]:.4f}  f32 vs f64 "
              f"{runs[name]['float64_max_rel_dev']:.1e}  clipped {clipped}/{STEPS}")
    return {
        'dir': os.path.basename(out_dir),
        'running_stats': write_running_stats(out_dir),
        'inputs': [{'name': 'x', 'file': 'inputs/x.npy'}, {'name': 'target', 'file': 'inputs/target.npy'}],
        'steps': STEPS,
        'curve_definition': 'curve[t] = loss at step t before its update (t < steps); curve[steps] = loss after all',
        'runs': runs,
    }
