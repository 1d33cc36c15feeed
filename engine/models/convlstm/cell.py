"""The ConvLSTM cell (Shi et al., NeurIPS 2015): an LSTM whose products are convolutions.

    [i, f, o, g] = conv([x, h])        i, f, o gates (sigmoid), g candidate (tanh)
    c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h' = sigmoid(o) * tanh(c')

Without peephole connections (as in most re-implementations). A cell may have no input
(``in_channels = 0``): the top forecaster level only evolves its state.
"""
from __future__ import annotations

import torch
from torch import nn


class ConvLSTMCell(nn.Module):
    """One ConvLSTM layer on (B, C, H, W) maps; states are (h, c), each (B, hidden, H, W)."""

    def __init__(self, in_channels: int, hidden_channels: int, kernel_size: int = 3) -> None:
        super().__init__()
        self.in_channels, self.hidden_channels = in_channels, hidden_channels
        self.gates = nn.Conv2d(in_channels + hidden_channels, 4 * hidden_channels, kernel_size,
                               padding=kernel_size // 2)
        nn.init.xavier_uniform_(self.gates.weight)
        nn.init.zeros_(self.gates.bias)
        with torch.no_grad():  # forget-gate bias 1: remember by default early in training
            self.gates.bias[hidden_channels:2 * hidden_channels].fill_(1.0)

    def zero_state(self, like: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = like.new_zeros(like.shape[0], self.hidden_channels, height, width)
        return zeros, zeros

    def forward(self, x: torch.Tensor | None,
                state: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """x (B, in_channels, H, W) or None when in_channels = 0; returns the new (h, c)."""
        h, c = state
        z = self.gates(h if x is None else torch.cat([x, h], dim=1))
        i, f, o, g = torch.chunk(z, 4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
