#!/usr/bin/python3
"""PyTorch half of the engine benchmark (issue 4): median time of one training step (forward + backward + Adam)
and peak RSS, for the same networks the engine benchmark builds (src/main/engine/zoo/index.ts: resnet18,
smallUnet), rebuilt module for module.

  /usr/bin/python3 scripts/bench/torch_step.py --model resnet18 [--steps 10 --warmup 3 --threads 2]
  /usr/bin/python3 scripts/bench/torch_step.py --model unet

Prints one JSON object on stdout. Run one model per process so that peak RSS belongs to that model alone.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

# The basic residual block is the parity fixtures' (same layer order and init), so both scripts build one thing.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'parity'))
from parity_models import BasicBlock  # noqa: E402


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


# ----------------------------------------------------------------------------------------------- ResNet-18
class ResNet18(nn.Module):
    """zoo resnet18 = torchvision's resnet18 layout: 7x7/2 stem + BN + ReLU + 3x3/2 max-pool, stages of two basic blocks at
    64/128/256/512 channels, global average pool, linear classifier; loss = cross-entropy."""

    def __init__(self, classes: int, widths=(64, 128, 256, 512)):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, widths[0], 7, 2, 3, bias=False), nn.BatchNorm2d(widths[0]),
                                  nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
        blocks, cin = [], widths[0]
        for i, w in enumerate(widths):
            blocks += [BasicBlock(cin, w, 1 if i == 0 else 2), BasicBlock(w, w, 1)]
            cin = w
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x, target):
        y = self.blocks(self.stem(x))
        return F.cross_entropy(self.fc(torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)), target)


# ----------------------------------------------------------------------------------------------- U-Net
def double_conv(cin: int, cout: int, norm: bool) -> nn.Sequential:
    layers = []
    for a, b in ((cin, cout), (cout, cout)):
        layers += [nn.Conv2d(a, b, 3, padding=1, bias=not norm)]
        if norm:
            layers += [nn.BatchNorm2d(b)]
        layers += [nn.ReLU(inplace=True)]
    return nn.Sequential(*layers)


class SmallUNet(nn.Module):
    """src/main/engine/zoo smallUnet, layer for layer (widths 16-32-64-128, convs without bias before BN):
    enc1 DoubleConv(3,16)@S; enc2 MaxPool+DoubleConv(16,32)@S/2; enc3 MaxPool+DoubleConv(32,64)@S/4;
    bottleneck MaxPool+DoubleConv(64,128)@S/8; up3 ConvTranspose(128,64,k2,s2) ++ enc3 -> DoubleConv(128,64);
    up2 bilinear x2 ++ enc2 -> DoubleConv(96,32); up1 bilinear x2 ++ enc1 -> DoubleConv(48,16); head 1x1 (16,3)
    with bias; loss mean((out - target)^2)."""

    def __init__(self):
        super().__init__()
        self.enc1 = double_conv(3, 16, True)
        self.enc2 = double_conv(16, 32, True)
        self.enc3 = double_conv(32, 64, True)
        self.bottleneck = double_conv(64, 128, True)
        self.up3 = nn.ConvTranspose2d(128, 64, 2, stride=2)
        self.dec3 = double_conv(128, 64, True)
        self.dec2 = double_conv(96, 32, True)
        self.dec1 = double_conv(48, 16, True)
        self.head = nn.Conv2d(16, 3, 1)

    def forward(self, x, target):
        up = lambda t: F.interpolate(t, scale_factor=2, mode='bilinear', align_corners=False)  # noqa: E731
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        e3 = self.enc3(F.max_pool2d(e2, 2))
        b = self.bottleneck(F.max_pool2d(e3, 2))
        d3 = self.dec3(torch.cat([self.up3(b), e3], dim=1))
        d2 = self.dec2(torch.cat([up(d3), e2], dim=1))
        d1 = self.dec1(torch.cat([up(d2), e1], dim=1))
        return ((self.head(d1) - target) ** 2).mean()


# ----------------------------------------------------------------------------------------------- timing
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--model', choices=['resnet18', 'unet'], required=True)
    ap.add_argument('--batch', type=int)
    ap.add_argument('--size', type=int)
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--lr', type=float, default=1e-3)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    rss_import = rss_mb()
    if a.model == 'resnet18':
        batch, size = a.batch or 16, a.size or 128
        model = ResNet18(a.classes)
        x = torch.randn(batch, 3, size, size)
        feeds = (x, torch.randint(0, a.classes, (batch,)))
        arch = {'classes': a.classes, 'widths': [64, 128, 256, 512], 'loss': 'cross_entropy'}
    else:
        batch, size = a.batch or 8, a.size or 256
        model = SmallUNet()
        feeds = (torch.randn(batch, 3, size, size), torch.rand(batch, 3, size, size))
        arch = {'widths': [16, 32, 64, 128], 'up': 'convtranspose(up3) + bilinear(up2, up1)', 'loss': 'mse_to_target'}
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    params = sum(p.numel() for p in model.parameters())

    times, cpu_times = [], []
    losses = []
    for i in range(a.warmup + a.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        opt.zero_grad(set_to_none=True)
        loss = model(*feeds)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000.0
        # CPU time of all threads: on a shared machine it moves much less than wall time under contention.
        dc = (time.process_time() - c0) * 1000.0
        losses.append(float(loss.item()))
        if i >= a.warmup:
            times.append(dt)
            cpu_times.append(dc)
    print(json.dumps({
        'framework': 'pytorch',
        'torch': torch.__version__,
        'model': a.model,
        'batch': batch,
        'size': size,
        'threads': a.threads,
        'arch': arch,
        'params': params,
        'steps': a.steps,
        'warmup': a.warmup,
        'ms_per_step_median': statistics.median(times),
        'ms_per_step_min': min(times),
        'ms_per_step_max': max(times),
        'cpu_ms_per_step_median': statistics.median(cpu_times),
        'peak_rss_mb': rss_mb(),
        'rss_after_import_mb': rss_import,
        'loss_first': losses[0],
        'loss_last': losses[-1],
    }))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
