#!/usr/bin/python3
"""Real-model exports with torch.onnx.export (Debian's python3-torch 1.13, python3-torchvision 0.14).

    /usr/bin/python3 tests/models/make_real_models.py OUT_DIR [--models vit,swin,...]

Each model is built from seeded random weights (torch.manual_seed(0)) and exported the way users export
theirs, so the ONNX graphs carry the exporter's shape arithmetic (Shape -> Gather -> Concat -> Reshape,
Expand, Pad, ...). Writes OUT_DIR/NAME.onnx and OUT_DIR/NAME.json (the input shapes and dtypes the test
feeds, and the symbolic dimensions with the sizes to run them at). No model binaries live in the repo.

Models:
  vit         torchvision VisionTransformer (patch embedding, class token Expand, position embedding, 4 layers)
  swin        two torchvision SwinTransformerBlocks (window 4, shift 0 then 2) on a 10x10 map that needs padding
  vad         a voice-activity detector of the common exported shape: an If on the sample rate whose branches give
              different shapes (a scripted function), reflect padding to a length computed from the input, a
              Conv-based STFT, a conv encoder, a 2-layer LSTM with its state in and out, a sigmoid head
  cnn_dyn     a small CNN exported with a symbolic batch dimension
  bert_dyn    a BERT-style encoder exported with symbolic batch and sequence dimensions
  fp16_cast   an fp16 model with Cast after the input and before the output, nodes listed out of order
  lstm        a 2-layer bidirectional LSTM over 100 steps with its state in and out, and a sigmoid head
  idioms      shape idioms torch writes as ops: interpolate to another tensor's size (Resize with computed sizes),
              arange(...).expand_as (Range, Expand), new_zeros (ConstantOfShape), repeat (Tile), flatten
  ssd         an SSD-style detector with its post-processing (score threshold by boolean indexing, NMS, top 10,
              boxes scaled to pixels and concatenated with scores and labels): the number of boxes depends on the input
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision  # imported before tracing: importing it inside forward traces a CUDA version query

OPSET = 17


def export(model, args, path, input_names, output_names, dynamic_axes=None):
    # Gradients stay enabled: under no_grad, eval-mode attention takes PyTorch's fused fast path
    # (aten::_native_multi_head_attention), which has no ONNX export.
    model.eval()
    torch.onnx.export(model, args, path, opset_version=OPSET, input_names=input_names,
                      output_names=output_names, dynamic_axes=dynamic_axes, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def make_vit(out):
    from torchvision.models.vision_transformer import VisionTransformer
    m = VisionTransformer(image_size=32, patch_size=8, num_layers=4, num_heads=4, hidden_dim=64,
                          mlp_dim=128, num_classes=10)
    nn.init.normal_(m.heads.head.weight, std=0.2)  # torchvision starts the head at zero: the output would be too
    x = torch.randn(2, 3, 32, 32)
    export(m, (x,), os.path.join(out, "vit.onnx"), ["image"], ["logits"])
    return {"inputs": {"image": {"shape": [2, 3, 32, 32], "dtype": "float32"}}}


class SwinStage(nn.Module):
    def __init__(self):
        super().__init__()
        from torchvision.models.swin_transformer import SwinTransformerBlock
        self.blocks = nn.Sequential(SwinTransformerBlock(32, 4, [4, 4], [0, 0]),
                                    SwinTransformerBlock(32, 4, [4, 4], [2, 2]))
        self.head = nn.Linear(32, 10)

    def forward(self, x):
        return self.head(self.blocks(x).mean(dim=(1, 2)))


def make_swin(out):
    m = SwinStage()
    x = torch.randn(1, 10, 10, 32)
    export(m, (x,), os.path.join(out, "swin.onnx"), ["x"], ["logits"])
    return {"inputs": {"x": {"shape": [1, 10, 10, 32], "dtype": "float32"}}}


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(3, 16, 3, padding=1)
        self.b1 = nn.BatchNorm2d(16)
        self.c2 = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        x = F.relu(self.c2(x))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return self.fc(x)


def make_cnn_dyn(out):
    m = SmallCNN()
    x = torch.randn(2, 3, 16, 16)
    export(m, (x,), os.path.join(out, "cnn_dyn.onnx"), ["x"], ["y"], {"x": {0: "batch"}, "y": {0: "batch"}})
    return {"inputs": {"x": {"shape": ["batch", 3, 16, 16], "dtype": "float32"}},
            "sizes": [{"batch": 1}, {"batch": 3}, {"batch": 8}]}


class Encoder(nn.Module):
    """BERT-style: embeddings, 2 post-norm layers with hand-written attention (as HF exports it)."""

    def __init__(self, vocab=100, dim=64, heads=4, layers=2):
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.pos = nn.Embedding(64, dim)
        self.ln = nn.LayerNorm(dim)
        self.heads = heads
        self.qkv = nn.ModuleList(nn.Linear(dim, 3 * dim) for _ in range(layers))
        self.proj = nn.ModuleList(nn.Linear(dim, dim) for _ in range(layers))
        self.ln1 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(layers))
        self.ff1 = nn.ModuleList(nn.Linear(dim, 2 * dim) for _ in range(layers))
        self.ff2 = nn.ModuleList(nn.Linear(2 * dim, dim) for _ in range(layers))
        self.ln2 = nn.ModuleList(nn.LayerNorm(dim) for _ in range(layers))

    def forward(self, ids):
        b, s = ids.shape
        pos = torch.arange(s, device=ids.device).unsqueeze(0).expand(b, s)
        x = self.ln(self.tok(ids) + self.pos(pos))
        d = x.shape[-1]
        hd = d // self.heads
        for i in range(len(self.qkv)):
            q, k, v = self.qkv[i](x).split(d, dim=-1)
            q = q.view(b, s, self.heads, hd).transpose(1, 2)
            k = k.view(b, s, self.heads, hd).transpose(1, 2)
            v = v.view(b, s, self.heads, hd).transpose(1, 2)
            a = torch.softmax(q @ k.transpose(-1, -2) / (hd ** 0.5), dim=-1)
            o = (a @ v).transpose(1, 2).reshape(b, s, d)
            x = self.ln1[i](x + self.proj[i](o))
            x = self.ln2[i](x + self.ff2[i](F.gelu(self.ff1[i](x))))
        return x


def make_bert_dyn(out):
    m = Encoder()
    ids = torch.randint(0, 100, (2, 16))
    export(m, (ids,), os.path.join(out, "bert_dyn.onnx"), ["ids"], ["hidden"],
           {"ids": {0: "batch", 1: "seq"}, "hidden": {0: "batch", 1: "seq"}})
    return {"inputs": {"ids": {"shape": ["batch", "seq"], "dtype": "int64", "high": 100}},
            "sizes": [{"batch": 1, "seq": 8}, {"batch": 2, "seq": 16}, {"batch": 3, "seq": 33}]}


class HalfNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(4, 8, 3, padding=1)
        self.fc = nn.Linear(8 * 6 * 6, 5)

    def forward(self, x):
        x = x.half()  # fp32 in, fp16 inside: Cast after the graph input
        x = F.relu(self.c(x))
        return self.fc(x.flatten(1)).float()  # Cast before the graph output


def make_fp16_cast(out):
    m = HalfNet().half()
    x = torch.randn(1, 4, 6, 6)
    path = os.path.join(out, "fp16_cast.onnx")
    export_half(path, m)
    return {"inputs": {"x": {"shape": [1, 4, 6, 6], "dtype": "float32"}}, "metric": "f16"}


def export_half(path, m):
    """Builds the fp16 graph by hand from the module's weights: torch 1.13 cannot trace fp16 convolutions on the
    cpu. The nodes are written in reverse order (ONNX Runtime sorts them; so must Nuri)."""
    from onnx import TensorProto, helper, numpy_helper
    sd = {k: v.detach().numpy().astype(np.float16) for k, v in m.state_dict().items()}
    inits = [numpy_helper.from_array(sd["c.weight"], "c.weight"), numpy_helper.from_array(sd["c.bias"], "c.bias"),
             numpy_helper.from_array(sd["fc.weight"].T.copy(), "fc.weightT"), numpy_helper.from_array(sd["fc.bias"], "fc.bias"),
             numpy_helper.from_array(np.array([1, -1], np.int64), "flat"),
             numpy_helper.from_array(np.zeros(3, np.float16), "unused_init")]
    nodes = [helper.make_node("Cast", ["x"], ["xh"], name="cast_in", to=TensorProto.FLOAT16),
             helper.make_node("Conv", ["xh", "c.weight", "c.bias"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Reshape", ["r", "flat"], ["f"], name="flatten"),
             helper.make_node("MatMul", ["f", "fc.weightT"], ["mm"], name="fc"),
             helper.make_node("Add", ["mm", "fc.bias"], ["yh"], name="fc_bias"),
             helper.make_node("Cast", ["yh"], ["y"], name="cast_out", to=TensorProto.FLOAT)]
    graph = helper.make_graph(nodes, "fp16_cast",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    onnx.checker.check_model(model)  # the checker wants sorted nodes: check, then reverse them
    reordered = [onnx.NodeProto.FromString(n.SerializeToString()) for n in reversed(model.graph.node)]
    del model.graph.node[:]
    model.graph.node.extend(reordered)
    onnx.save(model, path)


class Recurrent(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(64, 64, num_layers=2, bidirectional=True, batch_first=True)
        self.head = nn.Linear(128, 1)

    def forward(self, x, h, c):
        y, (h2, c2) = self.lstm(x, (h, c))
        return torch.sigmoid(self.head(y)), h2, c2


def make_lstm(out):
    m = Recurrent()
    args = (torch.randn(1, 100, 64), torch.zeros(4, 1, 64), torch.zeros(4, 1, 64))
    export(m, args, os.path.join(out, "lstm.onnx"), ["x", "h", "c"], ["prob", "hn", "cn"])
    return {"inputs": {"x": {"shape": [1, 100, 64], "dtype": "float32"},
                       "h": {"shape": [4, 1, 64], "dtype": "float32"},
                       "c": {"shape": [4, 1, 64], "dtype": "float32"}}}


class TinySSD(nn.Module):
    """Two conv stages, class and box heads over 8x8 cells with 2 anchors each, box decoding, then
    torchvision's post-processing spelled as users write it."""

    def __init__(self, classes=3, anchors=2):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.ReLU())
        self.cls = nn.Conv2d(32, anchors * classes, 3, 1, 1)
        self.box = nn.Conv2d(32, anchors * 4, 3, 1, 1)
        self.classes = classes
        grid = torch.stack(torch.meshgrid(torch.arange(8.0), torch.arange(8.0), indexing="ij"), -1).reshape(-1, 2)
        centers = ((grid + 0.5) / 8).repeat_interleave(anchors, 0)
        sizes = torch.tensor([[0.2, 0.2], [0.35, 0.2]]).repeat(64, 1)
        self.register_buffer("anchors", torch.cat([centers, sizes], 1))  # [128, 4]: cx, cy, w, h
        self.register_buffer("pixels", torch.tensor([32.0, 32.0, 32.0, 32.0]))

    def forward(self, x):
        f = self.body(x)
        cls = self.cls(f).permute(0, 2, 3, 1).reshape(-1, self.classes)
        d = self.box(f).permute(0, 2, 3, 1).reshape(-1, 4) * 0.1
        a = self.anchors
        cxcy = a[:, :2] + d[:, :2] * a[:, 2:]
        wh = a[:, 2:] * torch.exp(d[:, 2:])
        boxes = torch.cat([cxcy - wh / 2, cxcy + wh / 2], 1)
        scores, labels = cls.softmax(-1)[:, 1:].max(-1)
        keep = scores > 0.36
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        keep = torchvision.ops.nms(boxes, scores, 0.5)[:10]
        boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        # One table in pixels: [x1, y1, x2, y2, score, label].
        table = torch.cat([boxes * self.pixels, scores[:, None], labels[:, None].float()], 1)
        return boxes, scores, labels, table


def make_ssd(out):
    m = TinySSD()
    export(m, (torch.randn(1, 3, 32, 32),), os.path.join(out, "ssd.onnx"), ["image"], ["boxes", "scores", "labels", "table"])
    # Scaled inputs give different numbers of boxes: the top 10, a few, none.
    return {"inputs": {"image": {"shape": [1, 3, 32, 32], "dtype": "float32"}},
            "sizes": [{"_scale": 1.0}, {"_scale": 0.6}, {"_scale": 0.05}]}


class Idioms(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)
        self.down = nn.Conv2d(4, 4, 3, stride=2, padding=1)

    def forward(self, x):
        y = self.down(x)
        up = F.interpolate(y, size=x.shape[-2:], mode="nearest")
        up2 = F.interpolate(y, scale_factor=2.0, mode="bilinear", align_corners=False)
        z = self.conv(x) + up
        pos = torch.arange(z.shape[-1], dtype=torch.float32).expand_as(z)
        zeros = x.new_zeros(x.shape[0], 2, x.shape[2], x.shape[3])
        t = torch.cat([z + pos, zeros], 1).repeat(1, 1, 2, 1)
        return t.flatten(1), up2.mean(dim=(2, 3))


def make_idioms(out):
    export(Idioms(), (torch.randn(1, 4, 9, 9),), os.path.join(out, "idioms.onnx"), ["x"], ["t", "u"])
    return {"inputs": {"x": {"shape": [1, 4, 9, 9], "dtype": "float32"}}}


@torch.jit.script
def select_rate(x: torch.Tensor, sr: torch.Tensor) -> torch.Tensor:
    # Scripted so that the export keeps the If: 16 kHz takes the whole chunk, 8 kHz its first 256 samples.
    if bool(sr == 16000):
        return x
    else:
        return x[:, :256]


class VAD(nn.Module):
    def __init__(self, n_fft=64, hop=32):
        super().__init__()
        self.hop = hop
        t = torch.arange(n_fft, dtype=torch.float32)
        f = torch.arange(n_fft // 2 + 1, dtype=torch.float32)
        window = 0.5 - 0.5 * torch.cos(2 * np.pi * t / n_fft)
        angle = 2 * np.pi * f[:, None] * t[None, :] / n_fft
        # The STFT as a strided Conv1d over the windowed Fourier basis: [2 * 33, 1, n_fft].
        self.register_buffer("basis", torch.cat([torch.cos(angle) * window, -torch.sin(angle) * window], 0)[:, None])
        self.enc = nn.Sequential(nn.Conv1d(33, 32, 3, padding=1), nn.ReLU(), nn.Conv1d(32, 32, 3, padding=1), nn.ReLU())
        self.lstm = nn.LSTM(32, 32, num_layers=2, batch_first=True)
        self.head = nn.Linear(32, 1)

    def forward(self, x, sr, h, c):
        x = select_rate(x, sr)
        pad = self.hop - x.shape[1] % self.hop  # frames cover the chunk: the length is computed
        x = F.pad(x[:, None, :], (32, 32 + pad), mode="reflect")
        spec = F.conv1d(x, self.basis, stride=self.hop)
        re, im = spec[:, :33], spec[:, 33:]
        mag = torch.sqrt(re * re + im * im + 1e-9)
        y, (h2, c2) = self.lstm(self.enc(mag).permute(0, 2, 1), (h, c))
        return torch.sigmoid(self.head(y)).mean(dim=1), h2, c2


def make_vad(out):
    args = (torch.randn(1, 512), torch.tensor(16000), torch.zeros(2, 1, 32), torch.zeros(2, 1, 32))
    export(VAD(), args, os.path.join(out, "vad.onnx"), ["x", "sr", "h", "c"], ["prob", "hn", "cn"])
    # Ten consecutive chunks, the LSTM state carried, at each sample rate: one artifact takes sr at run time
    # (the If's branches give different lengths); the `16k` variant freezes it (--input-value).
    return {"inputs": {"x": {"shape": [1, 512], "dtype": "float32"},
                       "sr": {"shape": [], "dtype": "int64", "from": "_sr"},
                       "h": {"shape": [2, 1, 32], "dtype": "float32", "zeros": True},
                       "c": {"shape": [2, 1, 32], "dtype": "float32", "zeros": True}},
            "sizes": [{"_sr": 16000}, {"_sr": 8000}],
            "chunks": 10, "state": {"hn": "h", "cn": "c"},
            "variants": [{"label": "", "compile": []},
                         {"label": "16k", "compile": ["--input-value", "sr:16000"], "sizes": [{"_sr": 16000}],
                          "fixed": {"sr": {"value": 16000, "dtype": "int64"}}}]}


MODELS = {"vit": make_vit, "swin": make_swin, "cnn_dyn": make_cnn_dyn, "bert_dyn": make_bert_dyn,
          "fp16_cast": make_fp16_cast, "lstm": make_lstm, "idioms": make_idioms,
          "ssd": make_ssd, "vad": make_vad}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--models", default=",".join(MODELS))
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    warnings.filterwarnings("ignore")  # the exporter's notes on training-mode dropout (p = 0) and shape inference
    for name in a.models.split(","):
        if name not in MODELS:
            sys.exit(f"make_real_models.py: error: unknown model '{name}' (known: {', '.join(MODELS)})")
        torch.manual_seed(0)
        info = MODELS[name](a.out)
        with open(os.path.join(a.out, name + ".json"), "w") as f:
            json.dump(info, f, indent=1)
        print(f"wrote {os.path.join(a.out, name + '.onnx')}")


if __name__ == "__main__":
    main()
