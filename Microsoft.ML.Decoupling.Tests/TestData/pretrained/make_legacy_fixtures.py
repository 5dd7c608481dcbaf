# Made by hand with Debian's python3-torch (1.13.1): /usr/bin/python3 make_legacy_fixtures.py (in this folder, after
# make_pytorch_small_cnn.py). The tests only read the output files and never need Python.
# - legacy_small_cnn.pth: pytorch_small_cnn.pt re-saved in PyTorch's legacy (pre-1.6, non-zip) container.
# - legacy_checkpoint.pth / zip_checkpoint.pt: a training checkpoint as CIFAR projects publish it:
#   {"epoch", "best_prec1" (a numpy float64), "args" (an argparse.Namespace), "state_dict" with DataParallel's "module."
#   prefix, "optimizer" (momentum tensors, not needed)}, in the legacy and the zip container.
# - legacy_views.pth: tensors that are strided or offset windows on one shared storage, and a bfloat16/int32/bool tensor.
# - authors_gated_resnet8.pth: a gated CIFAR ResNet-8 (one block per stage) named as the authors' release names its
#   gated ResNets (layer{s}.{b}.ad_block{1,2}.fc1/fc2/fc_class, a gate on every conv but the stem, the last one included),
#   random values, 10 classes, legacy container (their resnet56.pth is one).
# - legacy_module.pth: torch.save(nn.Linear(2, 2)), a pickled module rather than a state dictionary.
import argparse

import numpy as np
import torch

torch.manual_seed(11)
small = torch.load("pytorch_small_cnn.pt")
torch.save(small, "legacy_small_cnn.pth", _use_new_zipfile_serialization=False)

momentum = {i: {"momentum_buffer": torch.randn(v.shape)} for i, (k, v) in enumerate(small.items()) if v.dtype == torch.float32}
checkpoint = {
    "epoch": 5,
    "best_prec1": np.float64(91.25),
    "args": argparse.Namespace(lr=0.1, arch="small"),
    "state_dict": {"module." + k: v for k, v in small.items()},
    "optimizer": {"state": momentum, "param_groups": [{"lr": 0.1, "momentum": 0.9, "params": list(momentum)}]},
}
torch.save(checkpoint, "legacy_checkpoint.pth", _use_new_zipfile_serialization=False)
torch.save(checkpoint, "zip_checkpoint.pt")

base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = {
    "row": base[1],                 # storage offset 6
    "transposed": base.t(),         # strides (1, 6)
    "columns": base[:, 2:5],        # offset 2, strides (6, 1)
    "half": torch.tensor([1.5, -2.25, 3.0], dtype=torch.bfloat16),
    "ints": torch.tensor([[7, -8], [9, 10]], dtype=torch.int32),
    "flags": torch.tensor([True, False, True]),
    "scalar": torch.tensor(42, dtype=torch.int64),
}
torch.save(views, "legacy_views.pth", _use_new_zipfile_serialization=False)


def bn(prefix, n, state):
    state[prefix + ".weight"] = torch.rand(n) + 0.5
    state[prefix + ".bias"] = torch.randn(n) * 0.1
    state[prefix + ".running_mean"] = torch.randn(n) * 0.1
    state[prefix + ".running_var"] = torch.rand(n) + 0.5
    state[prefix + ".num_batches_tracked"] = torch.tensor(7)


def gate(prefix, inputs, filters, classes, state):
    hidden = inputs // 4
    state[prefix + ".fc1.weight"] = torch.randn(hidden, inputs) * 0.1
    state[prefix + ".fc1.bias"] = torch.randn(hidden) * 0.1 + 1
    state[prefix + ".fc2.weight"] = torch.randn(filters, hidden) * 0.1
    state[prefix + ".fc2.bias"] = torch.randn(filters) * 0.1 + 1
    state[prefix + ".fc_class.weight"] = torch.randn(classes, filters) * 0.1


classes = 10
state = {"conv1.weight": torch.randn(16, 3, 3, 3) * 0.1}
bn("bn1", 16, state)
inputs = 16
for stage, width in enumerate([16, 32, 64], start=1):
    prefix = f"layer{stage}.0"
    gate(prefix + ".ad_block1", inputs, width, classes, state)
    state[prefix + ".conv1.weight"] = torch.randn(width, inputs, 3, 3) * 0.1
    bn(prefix + ".bn1", width, state)
    gate(prefix + ".ad_block2", width, width, classes, state)
    state[prefix + ".conv2.weight"] = torch.randn(width, width, 3, 3) * 0.1
    bn(prefix + ".bn2", width, state)
    inputs = width
state["linear.weight"] = torch.randn(classes, 64) * 0.1
state["linear.bias"] = torch.randn(classes) * 0.1
torch.save(state, "authors_gated_resnet8.pth", _use_new_zipfile_serialization=False)

torch.save(torch.nn.Linear(2, 2), "legacy_module.pth", _use_new_zipfile_serialization=False)  # a whole module, refused

for name in ["legacy_small_cnn.pth", "legacy_checkpoint.pth", "zip_checkpoint.pt", "legacy_views.pth", "authors_gated_resnet8.pth"]:
    print(name, len(torch.load(name)))
