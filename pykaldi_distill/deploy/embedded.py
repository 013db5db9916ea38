"""The DNN student for embedded runtimes, built from its folded affines (nnet3.py's
`Nnet3Student`: input normalisation and BatchNorm folded in):

- an ONNX graph in float32 and with ONNX Runtime's dynamic int8 quantisation of the weights;
- PyTorch's dynamic int8 quantisation (int8 weights, activations quantised per batch), saved
  as its shapes and quantised state dict (`torch.load(weights_only=True)` reads it).

Each has a scorer that runs it in our hybrid decoder (`exported_scorer`). The input is the
spliced frame (2c+1 frames, edges replicated, as the student and Kaldi splice); the output
is the log-softmax over pdfs.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..errors import InputError, require_file
from ..features import splice
from ..formats.io import atomic_path
from .nnet3 import Nnet3Student

OPSET = 17


def onnx_bytes(student: Nnet3Student) -> bytes:
    """(N, (2c+1)*input_dim) spliced frames -> (N, pdfs) log posteriors, as an ONNX model."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    window = 2 * student.context + 1
    nodes, inits, x = [], [], "spliced"
    for i, layer in enumerate(student.layers):
        weight = numpy_helper.from_array(layer.weight.T.astype(np.float32), f"W{i}")  # (in, out)
        bias = numpy_helper.from_array(layer.bias.astype(np.float32), f"b{i}")
        inits += [weight, bias]
        nodes += [helper.make_node("MatMul", [x, f"W{i}"], [f"z{i}"]),
                  helper.make_node("Add", [f"z{i}", f"b{i}"], [f"a{i}"])]
        x = f"a{i}"
        if layer.activation != "none":
            op = "Relu" if layer.activation == "relu" else "Sigmoid"
            nodes.append(helper.make_node(op, [x], [f"h{i}"]))
            x = f"h{i}"
    nodes.append(helper.make_node("LogSoftmax", [x], ["log_post"], axis=-1))
    graph = helper.make_graph(
        nodes, "student",
        [helper.make_tensor_value_info("spliced", TensorProto.FLOAT,
                                       ["frames", window * student.input_dim])],
        [helper.make_tensor_value_info("log_post", TensorProto.FLOAT,
                                       ["frames", student.num_pdfs])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="pykaldi_distill")
    model.ir_version = 8  # readable by ONNX Runtime releases back to 1.10
    model.metadata_props.add(key="context", value=str(student.context))
    onnx.checker.check_model(model)
    return model.SerializeToString()


def write_onnx(path: str | Path, student: Nnet3Student) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(onnx_bytes(student))


def quantize_int8(src: str | Path, dest: str | Path) -> None:
    """ONNX Runtime's dynamic quantisation: int8 weights, activations quantised per batch."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with atomic_path(dest) as tmp:
        quantize_dynamic(str(src), str(tmp), weight_type=QuantType.QInt8)


TORCH_INT8_FORMAT = "pykaldi_distill.torch_int8/1"


def _float_network(shapes: list[tuple[int, int, str]]) -> nn.Sequential:
    """Linear layers of (out, in) shape with their activations, then LogSoftmax."""
    modules: list[nn.Module] = []
    for out_dim, in_dim, activation in shapes:
        modules.append(nn.Linear(in_dim, out_dim))
        if activation != "none":
            modules.append(nn.ReLU() if activation == "relu" else nn.Sigmoid())
    modules.append(nn.LogSoftmax(dim=-1))
    return nn.Sequential(*modules)


def _quantised(network: nn.Sequential) -> nn.Module:
    with warnings.catch_warnings():  # eager-mode quantisation is deprecated, still shipped
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(network, {nn.Linear},
                                                      dtype=torch.qint8)


def write_torch_int8(path: str | Path, student: Nnet3Student) -> None:
    """PyTorch dynamic int8 of the folded student (weights int8 per tensor)."""
    shapes = [(*layer.weight.shape, layer.activation) for layer in student.layers]
    network = _float_network(shapes)
    linears = [m for m in network if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for linear, layer in zip(linears, student.layers, strict=True):
            linear.weight.copy_(torch.from_numpy(layer.weight))
            linear.bias.copy_(torch.from_numpy(layer.bias))
    saved = {"format": TORCH_INT8_FORMAT, "context": student.context,
             "input_dim": student.input_dim, "shapes": shapes,
             "state_dict": _quantised(network.eval()).state_dict()}
    with atomic_path(path) as tmp:
        torch.save(saved, tmp)


class TorchInt8Scorer:
    """Log posteriors of write_torch_int8's file with PyTorch's quantised kernels."""

    def __init__(self, path: str | Path) -> None:
        p = require_file(path, "export the student with local/export_embedded.sh")
        try:
            with warnings.catch_warnings():  # quantised tensors load through TypedStorage
                warnings.simplefilter("ignore")
                saved = torch.load(p, weights_only=True)
            if saved.get("format") != TORCH_INT8_FORMAT:
                raise ValueError(f"format {saved.get('format')!r}, not {TORCH_INT8_FORMAT}")
            self.network = _quantised(_float_network([tuple(s) for s in saved["shapes"]]))
            self.network.load_state_dict(saved["state_dict"])
        except Exception as err:  # torch raises many classes for unreadable files
            raise InputError(p, f"not a PyTorch int8 student: {err}",
                             "re-export it with local/export_embedded.sh") from None
        self.context = int(saved["context"])
        self.input_dim = int(saved["input_dim"])
        self.num_pdfs = int(saved["shapes"][-1][0])
        self.path = p

    def log_posteriors(self, feats: np.ndarray) -> np.ndarray:
        """(frames, input_dim) -> (frames, pdfs) float32."""
        spliced = _spliced(feats, self.input_dim, self.context, self.path)
        with torch.inference_mode():
            return self.network(torch.from_numpy(spliced)).numpy()


def _spliced(feats: np.ndarray, input_dim: int, context: int, model: Path) -> np.ndarray:
    """(frames, input_dim) -> (frames, (2c+1)*input_dim) float32, checked against the model."""
    if feats.shape[1] != input_dim:
        raise InputError(model, f"takes {input_dim}-dim frames, the features have "
                         f"{feats.shape[1]}", "decode features of the kind the student was "
                         "trained on")
    return np.ascontiguousarray(splice(feats, context), dtype=np.float32)


class OnnxScorer:
    """Log posteriors of an exported student with ONNX Runtime on `threads` threads."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        import onnxruntime as ort

        p = require_file(path, "export the student with local/export_embedded.sh")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own classes for unreadable models
            raise InputError(p, f"ONNX Runtime cannot load it: {err}",
                             "re-export it with local/export_embedded.sh") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        self.context = int(meta.get("context", "0"))
        shape = self.session.get_inputs()[0].shape
        self.input_dim = int(shape[1]) // (2 * self.context + 1)
        self.num_pdfs = int(self.session.get_outputs()[0].shape[1])
        self.path = p

    def log_posteriors(self, feats: np.ndarray) -> np.ndarray:
        """(frames, input_dim) -> (frames, pdfs) float32."""
        spliced = _spliced(feats, self.input_dim, self.context, self.path)
        return self.session.run(None, {"spliced": spliced})[0]


def exported_scorer(path: str | Path) -> OnnxScorer | TorchInt8Scorer:
    """The scorer of an exported student: ONNX Runtime for .onnx, PyTorch int8 for .pt."""
    if Path(path).suffix == ".onnx":
        return OnnxScorer(path)
    if Path(path).suffix == ".pt":
        return TorchInt8Scorer(path)
    raise InputError(path, "is neither an .onnx nor a PyTorch int8 .pt export",
                     "give a file written by local/export_embedded.sh")
