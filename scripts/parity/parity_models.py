"""The PyTorch modules behind each parity case. Every module's forward takes the graph inputs and returns the
scalar loss, so the exported ONNX's first (only) output is the loss and its parameters are initializers.

Shapes are small and often odd on purpose (boundary handling in pools, pads, strides); losses avoid
`F.mse_loss` (not exportable in torch 1.13) and write MSE as mean((a - b)^2).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def mse(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return ((a - b) ** 2).mean()


# ---------------------------------------------------------------------------------------------- ResNet-ish + BN + CE
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


class ResNetish(nn.Module):
    def __init__(self, classes: int = 5):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, 1, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.layer1 = BasicBlock(8, 8, 1)
        self.layer2 = BasicBlock(8, 16, 2)
        self.fc = nn.Linear(16, classes)

    def forward(self, x, target):
        y = self.layer2(self.layer1(self.stem(x)))
        y = torch.flatten(F.adaptive_avg_pool2d(y, 1), 1)
        return F.cross_entropy(self.fc(y), target)


# ---------------------------------------------------------------------------------------------- U-Net
class UNet(nn.Module):
    """Two-level U-Net: ConvTranspose up path, a bilinear Resize side path, skip concat, MSE to a target."""

    def __init__(self, align_corners: bool):
        super().__init__()
        self.align_corners = align_corners
        self.enc1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU())
        self.enc2 = nn.Sequential(nn.Conv2d(8, 16, 3, padding=1), nn.ReLU())
        self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
        self.side = nn.Conv2d(16, 8, 1)
        self.dec = nn.Sequential(nn.Conv2d(16, 8, 3, padding=1), nn.ReLU())
        self.head = nn.Conv2d(8, 3, 1)

    def forward(self, x, target):
        e1 = self.enc1(x)
        e2 = self.enc2(F.max_pool2d(e1, 2))
        up = self.up(e2) + self.side(F.interpolate(e2, scale_factor=2, mode='bilinear',
                                                   align_corners=self.align_corners))
        y = self.head(self.dec(torch.cat([up, e1], dim=1)))
        return mse(torch.sigmoid(y), target)


class UNetStridedTranspose(nn.Module):
    """ConvTranspose with k3 s2 p1 output_padding 1 and groups, plus a bilinear Resize to an odd size."""

    def __init__(self):
        super().__init__()
        self.down = nn.Conv2d(4, 8, 3, stride=2, padding=1)
        self.up = nn.ConvTranspose2d(8, 4, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.up2 = nn.ConvTranspose2d(4, 2, 3, stride=1, padding=0, dilation=2)

    def forward(self, x):
        y = F.relu(self.down(x))
        y = self.up(y)
        y = self.up2(y)
        y = F.interpolate(y, size=(7, 9), mode='bilinear', align_corners=False)
        return (y ** 2).mean()


# ---------------------------------------------------------------------------------------------- depthwise / dilated
class DepthwiseDilated(nn.Module):
    def __init__(self):
        super().__init__()
        self.pw = nn.Conv2d(3, 12, 1)
        self.dw = nn.Conv2d(12, 12, 3, padding=2, dilation=2, groups=12)
        self.dil = nn.Conv2d(12, 6, 3, stride=2, padding=1, dilation=3)
        self.grouped = nn.Conv2d(6, 6, (3, 2), stride=(1, 2), padding=(1, 0), groups=3)

    def forward(self, x):
        y = F.relu(self.pw(x))
        y = F.relu(self.dw(y))
        y = torch.tanh(self.dil(y))
        y = self.grouped(y)
        return (y ** 2).mean()


# ---------------------------------------------------------------------------------------------- distillation
class Student(nn.Module):
    def __init__(self):
        super().__init__()
        self.s1 = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU())
        self.s2 = nn.Sequential(nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())


class CosineDistill(nn.Module):
    """Sum over depths of mean over positions of (1 - cos) along channels, written with the ops of the issue."""

    def __init__(self, builtin: bool):
        super().__init__()
        self.builtin = builtin
        self.student = Student()

    def cos_dist(self, s, t):
        if self.builtin:  # exports Max (clamping the norm product at eps) — an op outside the list
            return (1 - F.cosine_similarity(s, t, dim=1)).mean()
        dot = (s * t).sum(dim=1)
        norm = torch.sqrt((s * s).sum(dim=1) + 1e-8) * torch.sqrt((t * t).sum(dim=1) + 1e-8)
        return (1 - dot / norm).mean()

    def forward(self, x, t1, t2):
        f1 = self.student.s1(x)
        f2 = self.student.s2(f1)
        return self.cos_dist(f1, t1) + self.cos_dist(f2, t2)


# ---------------------------------------------------------------------------------------------- InfoNCE
class InfoNCE(nn.Module):
    """CoRe-style contrastive loss: encoder + projection, L2-normalised embeddings, similarity / temperature,
    symmetric cross-entropy with the matching view as the positive."""

    def __init__(self, builtin_normalize: bool, temperature: float = 0.15):
        super().__init__()
        self.builtin = builtin_normalize
        self.t = temperature
        self.enc = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1),
                                 nn.ReLU())
        self.proj = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 8))

    def embed(self, x):
        z = self.proj(self.enc(x).mean(dim=(2, 3)))
        if self.builtin:  # exports ReduceL2 + Clip + Expand
            return F.normalize(z, dim=1)
        return z / torch.sqrt((z * z).sum(dim=1, keepdim=True) + 1e-12)

    def forward(self, v1, v2, labels):
        z1, z2 = self.embed(v1), self.embed(v2)
        logits = torch.matmul(z1, z2.t()) / self.t
        return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))


# ---------------------------------------------------------------------------------------------- SimAM / SSPCAB
def simam(x: torch.Tensor, lam: float = 1e-4) -> torch.Tensor:
    n = x.shape[2] * x.shape[3] - 1
    d = (x - x.mean(dim=(2, 3), keepdim=True)) ** 2
    v = d.sum(dim=(2, 3), keepdim=True) / n
    return x * torch.sigmoid(d / (4 * (v + lam)) + 0.5)


class SimAMNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 8, 3, padding=1)
        self.c2 = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, x, target):
        return mse(self.c2(simam(F.relu(self.c1(x)))), target)


class SSPCAB(nn.Module):
    """Masked convolution (four k x k kernels at the corners of a (2k + 2d + 1) window, centre hidden) followed by
    squeeze-and-excitation; trained with MSE between output and input (Ristea et al., CVPR 2022)."""

    def __init__(self, channels: int, kernel: int = 1, dilation: int = 1, reduction: int = 8):
        super().__init__()
        self.pad = kernel + dilation
        self.border = kernel + 2 * dilation + 1
        self.conv1 = nn.Conv2d(channels, channels, kernel)
        self.conv2 = nn.Conv2d(channels, channels, kernel)
        self.conv3 = nn.Conv2d(channels, channels, kernel)
        self.conv4 = nn.Conv2d(channels, channels, kernel)
        self.fc1 = nn.Linear(channels, channels // reduction)
        self.fc2 = nn.Linear(channels // reduction, channels)

    def forward(self, x):
        p, b = self.pad, self.border
        y = F.pad(x, (p, p, p, p))
        y = F.relu(self.conv1(y[:, :, :-b, :-b]) + self.conv2(y[:, :, b:, :-b]) + self.conv3(y[:, :, :-b, b:])
                   + self.conv4(y[:, :, b:, b:]))
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(y.mean(dim=(2, 3))))))
        return y * s[:, :, None, None]


class SSPCABNet(nn.Module):
    def __init__(self, kernel: int, dilation: int):
        super().__init__()
        self.block = SSPCAB(16, kernel, dilation, 8)

    def forward(self, x):
        return mse(self.block(x), x)


# ---------------------------------------------------------------------------------------------- op-level cases
class Pools(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 4, 3, padding=1)

    def forward(self, x):
        y = self.c(x)
        a = F.max_pool2d(y, 3, stride=2, padding=1)
        b = F.max_pool2d(y, 2, stride=2, ceil_mode=True)
        c = F.avg_pool2d(y, 3, stride=1, padding=1, count_include_pad=True)
        d = F.avg_pool2d(y, 3, stride=2, padding=1, count_include_pad=False)
        return (a ** 2).mean() + (b * b).mean() + (c ** 2).mean() + d.abs().mean()


class PadSliceConcatSplit(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 6, 3)
        self.register_buffer('idx', torch.tensor([4, 0, 2, 2], dtype=torch.int64), persistent=False)

    def forward(self, x):
        y = self.c(F.pad(x, (1, 2, 1, 1), mode='reflect'))
        y = F.pad(y, (0, 1, 2, 0), value=0.5)
        a, b, c = torch.split(y, [1, 2, 3], dim=1)
        z = torch.cat([c, a * 2, b], dim=1)
        z = z[:, 1:5, ::2, 1:-1]
        g = torch.index_select(z, 1, torch.tensor([3, 0, 2, 2]))
        h = z[:, :, 0]  # Gather with a scalar index
        return (g ** 2).mean() + (h * torch.sigmoid(h)).mean()


class Activations(nn.Module):
    """LeakyRelu, GELU (Erf), Clip, Where, Sigmoid, Tanh, Abs, Neg; one module name needs percent-encoding."""

    def __init__(self):
        super().__init__()
        self.add_module('enc:1 (é)', nn.Conv2d(2, 4, 3, padding=1))
        self.lin = nn.Linear(5, 3)

    def forward(self, x):
        y = getattr(self, 'enc:1 (é)')(x)
        y = F.leaky_relu(y, 0.2) + F.gelu(y)
        y = torch.clamp(y, -0.6, 0.9) + torch.where(y > 0.1, y * 1.5, -y * 0.3)
        y = torch.tanh(self.lin(y)) + torch.sigmoid(-y[..., :3]).abs()
        return (y ** 2).mean()


class SoftmaxOps(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 5, 1)

    def forward(self, x, target):
        y = self.c(x)
        p = torch.softmax(y, dim=1)
        lp = torch.log_softmax(y, dim=2)
        ent = -(p * lp).sum(dim=1).mean()
        ce = F.cross_entropy(y, target)  # 4-D input: SoftmaxCrossEntropyLoss over the spatial positions too
        lse = torch.log(torch.exp(y).sum(dim=1) + 1.0).mean()
        return ent + lse + ce


class NormPow(nn.Module):
    """InstanceNormalization with affine, Pow with a learned exponent, Sqrt, Div, Max-reduction."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, bias=False)  # a bias before InstanceNorm has zero gradient
        self.inorm = nn.InstanceNorm2d(4, affine=True)
        self.p = nn.Parameter(torch.tensor(1.7))

    def forward(self, x):
        y = self.inorm(self.c(x))
        y = torch.pow(torch.sigmoid(y) + 0.5, self.p)
        y = y / torch.sqrt(y.amax(dim=1, keepdim=True) + 1.0)
        return y.mean() + y.sum(dim=(2, 3)).amax(dim=0).mean() * 0.01


class ShapeOps(nn.Module):
    """Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Expand, MatMul with batch broadcasting, Gemm."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(3, 6) * 0.3)
        self.b = nn.Parameter(torch.randn(1, 1, 6) * 0.1)
        self.fc = nn.Linear(12, 2)

    def forward(self, x):
        y = x.reshape(2, 3, 4).permute(0, 2, 1)            # [2, 4, 3]
        y = torch.matmul(torch.tanh(y), self.w) + self.b    # [2, 4, 6], bias broadcast over batch and rows
        y = y.unsqueeze(1).expand(2, 2, 4, 6)
        y = y.squeeze(0) if y.shape[0] == 1 else y
        z = torch.flatten(y[:, 0, 1:3, :], 1)            # [2, 12]
        return (self.fc(z) ** 2).mean() + (y * y).mean()


class ResizeNearest(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x):
        y = self.c(x)
        a = F.interpolate(y, scale_factor=2, mode='nearest')
        return (a ** 2).mean() + (a[:, :, 1:, :-1] * a[:, :, :-1, 1:]).mean()


def _rand(*shape):
    return torch.randn(*shape)


CASES = {
    'resnet_bn_ce': dict(
        opset=17, description='ResNet-ish: conv/BN(training)/ReLU/MaxPool stem, two basic blocks (1x1 strided '
                              'downsample), GlobalAveragePool, Flatten, Gemm, SoftmaxCrossEntropyLoss',
        build=lambda: ResNetish(5), inputs=lambda: {'x': _rand(4, 3, 16, 16), 'target': torch.tensor([0, 3, 4, 1])}),
    'unet_bilinear': dict(
        opset=17, description='U-Net: BN, MaxPool, ConvTranspose k2 s2, bilinear Resize align_corners=False '
                              '(half_pixel), Concat skip, Sigmoid, MSE',
        build=lambda: UNet(False), inputs=lambda: {'x': _rand(2, 3, 12, 12), 'target': torch.rand(2, 3, 12, 12)}),
    'unet_bilinear_align_corners': dict(
        opset=13, description='U-Net as above with bilinear Resize align_corners=True, exported at opset 13',
        build=lambda: UNet(True), inputs=lambda: {'x': _rand(2, 3, 10, 10), 'target': torch.rand(2, 3, 10, 10)}),
    'convtranspose_strided': dict(
        opset=17, description='ConvTranspose k3 s2 p1 output_padding=1 groups=2, ConvTranspose dilation 2, '
                              'bilinear Resize to an odd size (7x9)',
        build=UNetStridedTranspose, inputs=lambda: {'x': _rand(2, 4, 9, 7)}),
    'depthwise_dilated': dict(
        opset=14, description='Pointwise conv, depthwise 3x3 dilation 2, strided conv dilation 3, grouped (3x2) '
                              'conv stride (1,2), odd input 13x11',
        build=DepthwiseDilated, inputs=lambda: {'x': _rand(2, 3, 13, 11)}),
    'cosine_distill': dict(
        opset=17, description='Student features at two depths vs teacher features (inputs); loss = sum of '
                              'mean(1 - cos along channels), cos written as dot / (sqrt(.)*sqrt(.))',
        build=lambda: CosineDistill(False),
        inputs=lambda: {'x': _rand(2, 3, 12, 12), 't1': _rand(2, 8, 12, 12), 't2': _rand(2, 16, 6, 6)}),
    'cosine_distill_builtin': dict(
        opset=17, description='The same distillation loss through F.cosine_similarity (exports Max)',
        build=lambda: CosineDistill(True),
        inputs=lambda: {'x': _rand(2, 3, 12, 12), 't1': _rand(2, 8, 12, 12), 't2': _rand(2, 16, 6, 6)}),
    'infonce': dict(
        opset=17, description='InfoNCE: conv encoder, mean pool, MLP projection, L2 normalisation, MatMul of '
                              'the two views / temperature 0.15, symmetric cross-entropy with arange labels',
        build=lambda: InfoNCE(False),
        inputs=lambda: {'v1': _rand(4, 3, 8, 8), 'v2': _rand(4, 3, 8, 8), 'labels': torch.arange(4)}),
    'infonce_builtin_normalize': dict(
        opset=17, description='InfoNCE with F.normalize (exports ReduceL2, Clip, Expand)',
        build=lambda: InfoNCE(True),
        inputs=lambda: {'v1': _rand(4, 3, 8, 8), 'v2': _rand(4, 3, 8, 8), 'labels': torch.arange(4)}),
    'simam': dict(
        opset=17, description='SimAM: x*sigmoid((x-mu)^2/(4*(sum((x-mu)^2)/(HW-1)+1e-4))+0.5) between two '
                              'convs, MSE',
        build=SimAMNet, inputs=lambda: {'x': _rand(2, 3, 9, 10), 'target': _rand(2, 3, 9, 10)}),
    'sspcab': dict(
        opset=17, description="SSPCAB k'=1 d=1: zero Pad, four corner Slices + 1x1 convs, ReLU, squeeze-"
                              'excitation (reduction 8), MSE(output, input)',
        seed=3, build=lambda: SSPCABNet(1, 1), inputs=lambda: {'x': _rand(2, 16, 8, 8)}),
    'sspcab_k3_d2': dict(
        opset=13, description="SSPCAB k'=3 d=2 at opset 13", build=lambda: SSPCABNet(3, 2),
        inputs=lambda: {'x': _rand(2, 16, 7, 9)}),
    'ops_pools': dict(
        opset=17, description='MaxPool k3 s2 p1, MaxPool k2 ceil_mode, AveragePool count_include_pad 1 and 0, Abs',
        build=Pools, inputs=lambda: {'x': _rand(2, 2, 9, 11)}),
    'ops_pad_slice_concat_split': dict(
        opset=13, description='Pad reflect (shape subgraph), Pad constant 0.5, Split, Concat, Slice with steps '
                              'and negative ends, Gather (index tensor and scalar index)',
        build=PadSliceConcatSplit, inputs=lambda: {'x': _rand(2, 3, 8, 9)}),
    'ops_activations': dict(
        opset=17, description='LeakyRelu, GELU (Erf), Clip, Where(Greater), Sigmoid, Tanh, Abs, Neg, MatMul; '
                              'an initializer name that needs percent-encoding',
        build=Activations, inputs=lambda: {'x': _rand(2, 2, 4, 5)}),
    'ops_softmax': dict(
        opset=17, description='Softmax, LogSoftmax (axis 1 and 2), Exp, Log, 4-D SoftmaxCrossEntropyLoss',
        build=SoftmaxOps,
        inputs=lambda: {'x': _rand(2, 3, 4, 4), 'target': torch.randint(0, 5, (2, 4, 4))}),
    'ops_norm_pow': dict(
        opset=17, description='InstanceNormalization (affine), Pow with a learned exponent, Sqrt, Div, '
                              'ReduceMax',
        build=NormPow, inputs=lambda: {'x': _rand(3, 3, 6, 7)}),
    'ops_shape': dict(
        opset=17, description='Reshape, Transpose, MatMul with broadcast batch, Unsqueeze, Expand, Slice, '
                              'Flatten, Gemm',
        build=ShapeOps, inputs=lambda: {'x': _rand(2, 12)}),
    'resize_nearest': dict(
        opset=13, description='Resize nearest x2 (asymmetric, floor), Slice',
        build=ResizeNearest, inputs=lambda: {'x': _rand(2, 2, 5, 6)}),
}


# ---------------------------------------------------------------------------------------------- edge cases
class MaxPoolTies(nn.Module):
    """Nearest upsampling makes exact ties inside every 2x2 window; PyTorch sends a window's gradient to the first
    maximum in row-major order, so splitting it over ties (or doubling it) shows up in the conv gradient."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x, r):
        y = F.interpolate(self.c(x), scale_factor=2, mode='nearest')
        return (F.max_pool2d(y, 2, stride=1) * r).mean() + (F.max_pool2d(y, 3, stride=2, dilation=2) ** 2).mean()


class WeightedCE(nn.Module):
    """SoftmaxCrossEntropyLoss with class weights and ignore_index (weighted mean over non-ignored pixels),
    and a sum-reduced term."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)
        self.register_buffer('w', torch.tensor([0.2, 1.0, 2.5, 0.7]), persistent=False)

    def forward(self, x, target):
        y = self.c(x)
        return (F.cross_entropy(y, target, weight=self.w, ignore_index=-100)
                + 0.01 * F.cross_entropy(y, target.clamp(min=0), reduction='sum'))


class BCEDice(nn.Module):
    """Segmentation head loss: BCE-with-logits (exported as Sigmoid/Log chain) + soft Dice."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 6, 3, padding=1)
        self.c2 = nn.Conv2d(6, 1, 1)

    def forward(self, x, mask):
        logit = self.c2(F.relu(self.c1(x)))
        p = torch.sigmoid(logit)
        dice = 1 - (2 * (p * mask).sum() + 1) / (p.sum() + mask.sum() + 1)
        return F.binary_cross_entropy_with_logits(logit, mask) + dice


class EmbeddingRepeat(nn.Module):
    """Gather from a parameter with repeated indices: the gradient must accumulate, not overwrite."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(7, 4)
        self.fc = nn.Linear(4, 2)

    def forward(self, idx):
        return (torch.tanh(self.fc(self.emb(idx))) ** 2).mean()


class MatMulEdge(nn.Module):
    """MatMul with 1-D operands and broadcast batch dims; Gemm with alpha/beta from torch.addmm."""

    def __init__(self):
        super().__init__()
        self.v = nn.Parameter(torch.randn(4) * 0.5)
        self.u = nn.Parameter(torch.randn(3) * 0.5)
        self.w4 = nn.Parameter(torch.randn(1, 3, 4, 5) * 0.5)
        self.m = nn.Parameter(torch.randn(4, 3) * 0.5)
        self.bias = nn.Parameter(torch.randn(2, 3) * 0.5)

    def forward(self, x):  # x: [2, 1, 3, 4]
        a = torch.matmul(x, self.v)                      # [2, 1, 3]   (1-D second operand)
        b = torch.matmul(self.u, x)                      # [2, 1, 4]   (1-D first operand)
        c = torch.matmul(x, self.w4)                     # [2, 3, 3, 5] (broadcast batch)
        d = torch.addmm(self.bias, x[:, 0, 0, :], self.m, beta=0.5, alpha=2.0)  # Gemm alpha/beta
        return (a ** 2).mean() + (b ** 2).mean() + (c ** 2).mean() + (d ** 2).mean()


class Conv1dGroupNorm(nn.Module):
    """Conv on 3-D tensors (Conv1d) and GroupNorm (exported as Reshape + InstanceNormalization + affine)."""

    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv1d(3, 8, 3, padding=1, stride=2)
        self.c2 = nn.Conv2d(3, 8, 3, padding=1)
        self.gn = nn.GroupNorm(2, 8)

    def forward(self, x):  # x: [2, 3, 6, 7]
        a = self.c1(torch.flatten(x, 2))
        b = self.gn(self.c2(x))
        return (torch.sigmoid(a) ** 2).mean() + (b * torch.tanh(b)).mean()


class FlipSplitCast(nn.Module):
    """Slice with step -1 (flip), a Split output nobody uses, Cast to double and back."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, x):
        y = self.c(x).flip(3)
        a, _unused, c = torch.split(y, [2, 3, 1], dim=1)
        z = (a * a).double().mean().float()
        return z + (c * y[:, :1]).mean()


class Teacher(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)


class EvalBNTeacher(nn.Module):
    """KD with a teacher in eval mode, exported with TrainingMode.PRESERVE: the teacher's BatchNormalization uses
    its running statistics (training_mode 0), so the loss depends on them and they get real gradients; the student
    BatchNorm stays in training mode."""

    def __init__(self):
        super().__init__()
        self.teacher = Teacher()
        self.s_conv = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.s_bn = nn.BatchNorm2d(8)
        with torch.no_grad():
            self.teacher.bn.running_mean.uniform_(-0.5, 0.5)
            self.teacher.bn.running_var.uniform_(0.5, 2.0)
        self.teacher.eval()
        self.manual_teacher_bn = False  # the float64 reference differentiates the eval formula by hand

    def teacher_bn(self, y):
        bn = self.teacher.bn
        if not self.manual_teacher_bn:
            return bn(y)
        shape = (1, -1, 1, 1)
        return ((y - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + bn.eps)
                * bn.weight.view(shape) + bn.bias.view(shape))

    def forward(self, x):
        t = F.relu(self.teacher_bn(self.teacher.conv(x)))
        s = F.relu(self.s_bn(self.s_conv(x)))
        dot = (s * t).sum(dim=1)
        cos = dot / (torch.sqrt((s * s).sum(dim=1) + 1e-8) * torch.sqrt((t * t).sum(dim=1) + 1e-8))
        return (1 - cos).mean()


def eval_bn_reference(module: EvalBNTeacher) -> EvalBNTeacher:
    """Turn the teacher's running statistics into parameters and use the explicit eval-mode formula."""
    bn = module.teacher.bn
    rm, rv = bn.running_mean.detach().clone(), bn.running_var.detach().clone()
    del bn.running_mean, bn.running_var
    bn.running_mean = nn.Parameter(rm)
    bn.running_var = nn.Parameter(rv)
    module.manual_teacher_bn = True
    return module


class ResizeDownOdd(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 3, 3, padding=1)

    def forward(self, x):  # [2, 2, 9, 11]
        y = self.c(x)
        a = F.interpolate(y, scale_factor=0.5, mode='bilinear', align_corners=False)
        b = F.interpolate(y, size=(5, 7), mode='nearest')
        c = F.interpolate(y, size=(13, 6), mode='bilinear', align_corners=True)
        return (a ** 2).mean() + (b * b.flip(2)).mean() + (c ** 2).mean()


class AvgPoolCeil(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(2, 3, 3)

    def forward(self, x):  # [1, 2, 10, 9]: batch of one also exercises BatchNorm-free reductions
        y = self.c(x)
        a = F.avg_pool2d(y, 3, stride=2, padding=1, ceil_mode=True, count_include_pad=False)
        b = F.avg_pool2d(y, 2, stride=2, ceil_mode=True)
        c = F.max_pool2d(y, 3, stride=2, padding=1, ceil_mode=True)
        return (a ** 2).mean() + (b ** 2).mean() + (c ** 2).mean()


class BatchOneBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, bias=False)
        self.bn = nn.BatchNorm2d(4)

    def forward(self, x, target):  # N = 1: statistics over H*W only
        return ((torch.sigmoid(self.bn(self.c(x))) - target) ** 2).mean()


class ExtLayerNorm(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3, padding=1)
        self.ln = nn.LayerNorm(5)

    def forward(self, x):
        return (self.ln(self.c(x)) * torch.sigmoid(self.c(x))).mean()


class ExtUnary(nn.Module):
    def __init__(self, kind: str):
        super().__init__()
        self.kind = kind
        self.c = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x):
        y = self.c(x)
        if self.kind == 'softplus':
            y = F.softplus(y)
        elif self.kind == 'hardswish':
            y = F.hardswish(y)
        elif self.kind == 'reciprocal':
            y = 1 / (y * y + 1)
        elif self.kind == 'tile':
            y = y.repeat(1, 2, 1, 2)
        elif self.kind == 'depth_to_space':
            y = F.pixel_shuffle(y, 2)
        elif self.kind == 'min_max':
            y = torch.maximum(y, y.flip(3)) + torch.minimum(y, 0.3 * y.flip(2))
        return (y * torch.tanh(y)).mean()


EDGE_CASES = {
    'maxpool_ties': dict(
        opset=17, description='MaxPool over exact ties (after nearest upsampling) and MaxPool dilation 2',
        build=MaxPoolTies, inputs=lambda: {'x': _rand(2, 2, 4, 5), 'r': _rand(2, 3, 7, 9)}),
    'ce_weighted_ignore': dict(
        opset=17, description='SoftmaxCrossEntropyLoss with class weights, ignore_index -100 (weighted mean) '
                              'and reduction sum',
        build=WeightedCE,
        inputs=lambda: {'x': _rand(2, 3, 5, 6),
                        'target': torch.where(torch.rand(2, 5, 6) < 0.2, torch.tensor(-100),
                                              torch.randint(0, 4, (2, 5, 6)))}),
    'bce_dice': dict(
        opset=17, description='BCE-with-logits (Sigmoid/Log chain) + soft Dice on a segmentation head',
        build=BCEDice, inputs=lambda: {'x': _rand(2, 3, 8, 8), 'mask': (torch.rand(2, 1, 8, 8) < 0.3).float()}),
    'embedding_repeat': dict(
        opset=17, description='Gather from a parameter (nn.Embedding) with repeated indices',
        build=EmbeddingRepeat, inputs=lambda: {'idx': torch.tensor([[1, 3, 1, 6], [3, 3, 0, 1]])}),
    'matmul_edge': dict(
        opset=17, description='MatMul with 1-D operands and broadcast batch dims, Gemm alpha=2 beta=0.5',
        build=MatMulEdge, inputs=lambda: {'x': _rand(2, 1, 3, 4)}),
    'conv1d_groupnorm': dict(
        opset=17, description='Conv1d (3-D Conv) stride 2, GroupNorm (Reshape + InstanceNormalization + affine)',
        build=Conv1dGroupNorm, inputs=lambda: {'x': _rand(2, 3, 6, 7)}),
    'flip_split_cast': dict(
        opset=17, description='Slice step -1 (flip), an unused Split output, Cast to double and back',
        build=FlipSplitCast, inputs=lambda: {'x': _rand(2, 3, 5, 6)}),
    'bn_eval_teacher': dict(
        opset=17, training='preserve',
        description='Teacher BatchNormalization in eval mode (training_mode 0, running statistics get gradients) '
                    'next to a training-mode student BatchNorm; cosine distillation',
        build=EvalBNTeacher, reference=eval_bn_reference, inputs=lambda: {'x': _rand(2, 3, 6, 6)}),
    'resize_down_odd': dict(
        opset=17, description='Bilinear downsampling x0.5 from 9x11, nearest to 5x7, align_corners to 13x6',
        build=ResizeDownOdd, inputs=lambda: {'x': _rand(2, 2, 9, 11)}),
    'avgpool_ceil': dict(
        opset=17, description='AveragePool ceil_mode with/without pads, count_include_pad 0; MaxPool ceil_mode '
                              'with pads; batch of one',
        build=AvgPoolCeil, inputs=lambda: {'x': _rand(1, 2, 10, 9)}),
    'bn_batch_one': dict(
        opset=15, description='Training-mode BatchNormalization with N = 1, opset 15',
        build=BatchOneBN, inputs=lambda: {'x': _rand(1, 3, 7, 6), 'target': torch.rand(1, 4, 5, 4)}),
    'ext_layernorm': dict(opset=17, description='LayerNormalization (nn.LayerNorm, opset 17)', build=ExtLayerNorm,
                          inputs=lambda: {'x': _rand(2, 3, 4, 5)}),
    'ext_softplus': dict(opset=17, description='Softplus', build=lambda: ExtUnary('softplus'),
                         inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
    'ext_hardswish': dict(opset=17, description='HardSwish', build=lambda: ExtUnary('hardswish'),
                          inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
    'ext_reciprocal': dict(opset=17, description='Reciprocal', build=lambda: ExtUnary('reciprocal'),
                           inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
    'ext_tile': dict(opset=17, description='Tile (Tensor.repeat)', build=lambda: ExtUnary('tile'),
                     inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
    'ext_depth_to_space': dict(opset=17, description='DepthToSpace (pixel_shuffle)',
                               build=lambda: ExtUnary('depth_to_space'), inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
    'ext_min_max': dict(opset=17, description='Elementwise Max and Min (torch.maximum/minimum)',
                        build=lambda: ExtUnary('min_max'), inputs=lambda: {'x': _rand(2, 4, 4, 5)}),
}
CASES.update(EDGE_CASES)


class SqueezeIdentity(nn.Module):
    """Squeeze with explicit axes (an input at opset 13) and without axes, Unsqueeze."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(5, 1)

    def forward(self, x):  # [2, 3, 3, 7] -> conv -> [2, 4, 1, 5]
        y = self.c(x).squeeze(2)                  # [2, 4, 5]
        z = self.fc(y).squeeze()                  # [2, 4]: Squeeze without axes
        return (z ** 2).mean() + (y.unsqueeze(-1) * torch.sigmoid(y).unsqueeze(-1)).mean()


CASES['ops_squeeze_identity'] = dict(
    opset=13, description='Squeeze with axes input (opset 13) and without axes, Unsqueeze, Identity (spliced in '
                          'after the Conv, as PyTorch drops clones)',
    insert_identity='Conv', build=SqueezeIdentity, inputs=lambda: {'x': _rand(2, 3, 3, 7)})


class MultiOutput(nn.Module):
    """The loss first, then the logits and a feature map as extra outputs that the grad CLI must ignore."""

    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(3, 6, 3, padding=1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x, target):
        f = F.relu(self.c(x))
        logits = self.fc(f.mean(dim=(2, 3)))
        return F.cross_entropy(logits, target), logits, f


CASES['dynamic_batch_bn'] = dict(
    opset=17, description='ResNet-ish with a dynamic batch axis (dim_param N on the inputs)',
    export_kwargs={'dynamic_axes': {'x': {0: 'N'}, 'target': {0: 'N'}}},
    build=lambda: ResNetish(5), inputs=lambda: {'x': _rand(3, 3, 12, 12), 'target': torch.tensor([4, 0, 2])})
CASES['dynamic_shapes'] = dict(
    opset=13, description='Reflect Pad / Split / Slice / Gather model with dynamic N, H, W: every shape comes from '
                          'Shape chains evaluated at run time',
    export_kwargs={'dynamic_axes': {'x': {0: 'N', 2: 'H', 3: 'W'}}},
    build=PadSliceConcatSplit, inputs=lambda: {'x': _rand(3, 3, 7, 10)})
CASES['initializers_as_inputs'] = dict(
    opset=13, description='keep_initializers_as_inputs=True: every parameter is also listed as a graph input '
                          '(with its initializer as default), so it must not be demanded as --input',
    export_kwargs={'keep_initializers_as_inputs': True},
    build=SimAMNet, inputs=lambda: {'x': _rand(2, 3, 6, 5), 'target': _rand(2, 3, 6, 5)})
CASES['multi_output'] = dict(
    opset=17, description='Outputs (loss, logits, features): only the first is the loss',
    output_names=['loss', 'logits', 'features'],
    build=MultiOutput, inputs=lambda: {'x': _rand(2, 3, 5, 5), 'target': torch.tensor([2, 0])})
