# Made by hand with Debian's python3-torch (1.13.1); the tests only read the output files and never need Python.
# A dense conv + BatchNorm + linear network in PyTorch's own key naming, after three training-mode forward passes
# (non-trivial running statistics, num_batches_tracked = 3), plus a probe input and the eval-mode output under "probe.".
# Writes pytorch_small_cnn.pt (torch.save) and pytorch_small_cnn.safetensors (the format written with json + struct,
# with a __metadata__ entry as Hugging Face's writer adds).
import json
import struct

import torch
from torch import nn

torch.manual_seed(3)
net = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 5))
net.train()
with torch.no_grad():
    for _ in range(3):
        net(torch.randn(8, 3, 6, 6) * 2 + 0.5)
net.eval()
probe = torch.randn(2, 3, 6, 6)
with torch.no_grad():
    output = net(probe)

state = net.state_dict()
state["probe.input"] = probe
state["probe.output"] = output
torch.save(state, "pytorch_small_cnn.pt")

names = {torch.float32: "F32", torch.int64: "I64"}
header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
for key, tensor in state.items():
    data = tensor.contiguous().numpy().tobytes()
    header[key] = {"dtype": names[tensor.dtype], "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open("pytorch_small_cnn.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
print({k: (tuple(v.shape), str(v.dtype)) for k, v in state.items()})
