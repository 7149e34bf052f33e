#!/usr/bin/env python3
"""PyTorch (Debian python3-torch, CPU) reference for the training benchmark; never used by the product.

The same architecture as the default object model's tower (4 x [conv3x3 same, batch norm (bn=1),
ReLU, maxpool 2x2] with 64 filters, flatten, linear to 64, L2-normalise), the same batch (P identities x K
images of 28x28x1) and the same loss (in-batch prototypical, leave-one-out prototypes, temperature
0.1), Adam. Prints one JSON line: {"pairsPerSecond", "imagesPerSecond", "steps", "batch", "threads"}.
"""
import json, os, sys, time
import torch, torch.nn as nn, torch.nn.functional as F

args = dict(a.split('=', 1) for a in sys.argv[1:])
P, K, steps = int(args.get('P', 16)), int(args.get('K', 4)), int(args.get('steps', 20))
bn = args.get('bn', '1') == '1'
torch.manual_seed(0)
torch.set_num_threads(os.cpu_count())  # all cores, as TF.js's backends use
threads = torch.get_num_threads()

def block(i, o):
    if bn:
        return nn.Sequential(nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU(), nn.MaxPool2d(2))
    return nn.Sequential(nn.Conv2d(i, o, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))

net = nn.Sequential(block(1, 64), block(64, 64), block(64, 64), block(64, 64), nn.Flatten(), nn.Linear(64, 64))
opt = torch.optim.Adam(net.parameters(), 1e-3)
labels = torch.arange(P).repeat_interleave(K)
x = torch.randn(P * K, 1, 28, 28)

def step():
    e = F.normalize(net(x), dim=1)
    member = F.one_hot(labels, P).float().t() / K            # [P, n]
    proto = member @ e                                        # [P, d]
    d2 = torch.cdist(e, proto) ** 2                           # [n, P]
    own = torch.ones_like(d2)
    own[torch.arange(P * K), labels] = (K / (K - 1)) ** 2     # leave-one-out own prototype
    loss = F.cross_entropy(-(d2 * own) / 0.1, labels)
    opt.zero_grad(); loss.backward(); opt.step()

for _ in range(3):
    step()
t = time.perf_counter()
for _ in range(steps):
    step()
secs = time.perf_counter() - t
images = steps * P * K
print(json.dumps({'pairsPerSecond': images / 2 / secs, 'imagesPerSecond': images / secs, 'steps': steps, 'batch': P * K, 'threads': threads, 'torch': torch.__version__}))
