#!/usr/bin/python3
"""PyTorch half of the CoRe pretraining throughput benchmark (bench/core.ts): the same network as
src/main/models/core/network.ts (ResNet-style encoder over [view1; view2; corrupted], projection head + InfoNCE,
light decoder + MSE, AdamW, gradient clipping at 5) rebuilt module for module; times training steps on random
inputs (augmentation is timed separately on our side) and prints one JSON object.

  /usr/bin/python3 scripts/bench/core_torch_throughput.py [--size 128 --batch 16 --steps 5 --warmup 1 --threads 2]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'parity'))
from parity_models import BasicBlock  # noqa: E402


def cbr(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class CoreNet(nn.Module):
    def __init__(self, proj_dim: int = 128):
        super().__init__()
        self.encoder = nn.Sequential(cbr(3, 32, 2), cbr(32, 64, 2), BasicBlock(64, 64, 1), BasicBlock(64, 128, 2), BasicBlock(128, 256, 2))
        self.proj = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, proj_dim))
        widths = [256, 128, 64, 32, 16]
        self.dec = nn.Sequential(*[nn.Sequential(cbr(widths[k], widths[k + 1]), nn.Upsample(scale_factor=2, mode='bilinear', align_corners=False)) for k in range(4)])
        self.out = nn.Conv2d(16, 3, 3, 1, 1)

    def loss(self, v1, v2, cor, orig, temperature=0.2, alpha=5.0):
        b = v1.shape[0]
        x = (torch.cat([v1, v2, cor]) - 0.5) / 0.25
        f = self.encoder(x)
        z = F.normalize(self.proj(f[: 2 * b].mean(dim=(2, 3))), dim=1)
        sim = z @ z.t() / temperature
        sim = sim - 1e4 * torch.eye(2 * b)
        target = (torch.arange(2 * b) + b) % (2 * b)
        con = F.cross_entropy(sim, target)
        res = F.mse_loss(torch.sigmoid(self.out(self.dec(f[2 * b:]))), orig)
        return con + alpha * res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = CoreNet()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=1e-4)
    shape = (a.batch, 3, a.size, a.size)
    feeds = [torch.rand(shape) for _ in range(4)]
    times = []
    for i in range(a.warmup + a.steps):
        t = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = net.loss(*feeds)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        if i >= a.warmup:
            times.append(time.perf_counter() - t)
    med = statistics.median(times)
    print(json.dumps({
        'framework': 'pytorch', 'torch': torch.__version__, 'threads': a.threads, 'size': a.size, 'batch': a.batch,
        'params': sum(p.numel() for p in net.parameters()), 'steps': a.steps,
        'ms_per_step_median': round(med * 1000, 1), 'ms_per_step_min': round(min(times) * 1000, 1),
        'images_per_s': round(a.batch / med, 2),
    }))


if __name__ == '__main__':
    main()
