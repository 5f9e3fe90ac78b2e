"""CCNet's head (Huang et al., ICCV 2019) in PyTorch, written from the paper and the official repository's
RCCAModule (speedinghzl/CCNet), as the reference for ContextNets' ccnet_<backbone> segmenters.

- CrissCrossAttention: q, k = 1x1 convs to C // 8, v = 1x1 conv to C (all with bias), gamma (a scalar). Every
  position (i, j) attends over its column and its row with ONE softmax over both; the position itself lies on both,
  and, as the official code does, its column energy is -inf so that it counts once. y = gamma * aggregate + x.
  Written here with einsum over the column and row energies (the official code's bmm/permutes, same math).
- ABN: inplace_abn's InPlaceABNSync as the official head builds it, BatchNorm2d then leaky ReLU with slope 0.01.
- RCCAModule(in, 512, classes): conva (3x3 conv to in // 4, ABN), cca applied `recurrence` (2) times with the same
  weights, convb (3x3 conv, ABN), bottleneck over cat(x, convb) (3x3 conv to 512, ABN, Dropout2d(0.1), 1x1 conv).
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class CrissCrossAttention(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.query_conv = nn.Conv2d(channels, channels // 8, 1)
        self.key_conv = nn.Conv2d(channels, channels // 8, 1)
        self.value_conv = nn.Conv2d(channels, channels, 1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        n, _, h, w = x.shape
        q, k, v = self.query_conv(x), self.key_conv(x), self.value_conv(x)
        # energy_col[n, i, j, a] = q(i, j) . k(a, j); energy_row[n, i, j, b] = q(i, j) . k(i, b)
        energy_col = torch.einsum("ncij,ncaj->nija", q, k)
        self_mask = torch.diag(torch.full((h,), float("-inf"), dtype=x.dtype))  # -inf where a == i
        energy_col = energy_col + self_mask.view(1, h, 1, h)
        energy_row = torch.einsum("ncij,ncib->nijb", q, k)
        attention = torch.softmax(torch.cat([energy_col, energy_row], 3), 3)
        att_col, att_row = attention[..., :h], attention[..., h:]
        out = torch.einsum("nija,ncaj->ncij", att_col, v) + torch.einsum("nijb,ncib->ncij", att_row, v)
        return self.gamma * out + x


class ABN(nn.BatchNorm2d):
    def forward(self, x):
        return F.leaky_relu(super().forward(x), 0.01)


class RCCAModule(nn.Module):
    def __init__(self, in_channels, out_channels, num_classes, recurrence=2):
        super().__init__()
        inter = in_channels // 4
        self.recurrence = recurrence
        self.conva = nn.Sequential(nn.Conv2d(in_channels, inter, 3, padding=1, bias=False), ABN(inter))
        self.cca = CrissCrossAttention(inter)
        self.convb = nn.Sequential(nn.Conv2d(inter, inter, 3, padding=1, bias=False), ABN(inter))
        self.bottleneck = nn.Sequential(
            nn.Conv2d(in_channels + inter, out_channels, 3, padding=1, bias=False), ABN(out_channels),
            nn.Dropout2d(0.1), nn.Conv2d(out_channels, num_classes, 1))

    def forward(self, x):
        out = self.conva(x)
        for _ in range(self.recurrence):
            out = self.cca(out)
        out = self.convb(out)
        return self.bottleneck(torch.cat([x, out], 1))
