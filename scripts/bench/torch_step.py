#!/usr/bin/python3
"""PyTorch half of the engine benchmark (issue 4): median time of one training step (forward + backward + Adam)
and peak RSS, for the same networks the engine benchmark builds (src/main/engine/zoo/).

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

import torch
import torch.nn as nn
import torch.nn.functional as F


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux reports KiB


# ----------------------------------------------------------------------------------------------- ResNet-18
class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    """torchvision's resnet18 layout: 7x7/2 stem + BN + ReLU + 3x3/2 max-pool, stages of two basic blocks at
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


class UNet(nn.Module):
    """Encoder of double 3x3 convs with 2x2 max-pool between levels; decoder of 2x2/2 ConvTranspose (or bilinear
    Resize + 1x1 conv), skip concat, double conv; 1x1 head back to the input channels; loss = MSE to the input
    (the reconstruction task EAR and CoRe's restorative branch train)."""

    def __init__(self, widths, norm: bool, up: str, cin: int = 3):
        super().__init__()
        self.downs = nn.ModuleList()
        c = cin
        for w in widths:
            self.downs.append(double_conv(c, w, norm))
            c = w
        self.ups = nn.ModuleList()
        self.decs = nn.ModuleList()
        self.up_mode = up
        for w in reversed(widths[:-1]):
            if up == 'convtranspose':
                self.ups.append(nn.ConvTranspose2d(c, w, 2, stride=2))
            else:
                self.ups.append(nn.Conv2d(c, w, 1))
            self.decs.append(double_conv(2 * w, w, norm))
            c = w
        self.head = nn.Conv2d(c, cin, 1)

    def forward(self, x):
        skips = []
        y = x
        for i, d in enumerate(self.downs):
            y = d(y if i == 0 else F.max_pool2d(y, 2))
            skips.append(y)
        for up, dec, skip in zip(self.ups, self.decs, reversed(skips[:-1])):
            if self.up_mode == 'convtranspose':
                y = up(y)
            else:
                y = up(F.interpolate(y, scale_factor=2, mode='bilinear', align_corners=False))
            y = dec(torch.cat([y, skip], dim=1))
        return ((self.head(y) - x) ** 2).mean()


# ----------------------------------------------------------------------------------------------- timing
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--model', choices=['resnet18', 'unet'], required=True)
    ap.add_argument('--batch', type=int)
    ap.add_argument('--size', type=int)
    ap.add_argument('--classes', type=int, default=10)
    ap.add_argument('--unet-widths', default='16,32,64,128')
    ap.add_argument('--unet-norm', choices=['bn', 'none'], default='bn')
    ap.add_argument('--unet-up', choices=['convtranspose', 'bilinear'], default='convtranspose')
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
        widths = [int(w) for w in a.unet_widths.split(',')]
        model = UNet(widths, a.unet_norm == 'bn', a.unet_up)
        feeds = (torch.randn(batch, 3, size, size),)
        arch = {'widths': widths, 'norm': a.unet_norm, 'up': a.unet_up, 'loss': 'mse_to_input'}
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    params = sum(p.numel() for p in model.parameters())

    times = []
    losses = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = model(*feeds)
        loss.backward()
        opt.step()
        dt = (time.perf_counter() - t0) * 1000.0
        losses.append(float(loss.item()))
        if i >= a.warmup:
            times.append(dt)
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
        'peak_rss_mb': rss_mb(),
        'rss_after_import_mb': rss_import,
        'loss_first': losses[0],
        'loss_last': losses[-1],
    }))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
