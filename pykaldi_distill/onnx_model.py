"""The DNN student for embedded runtimes: an ONNX graph of its folded affines (nnet3.py's
`Nnet3Student`: input normalisation and BatchNorm folded in), in float32 and with ONNX
Runtime's dynamic int8 quantisation of the weights, and a scorer that runs either one in
our hybrid decoder. The input is the spliced frame (2c+1 frames, edges replicated, as the
student and Kaldi splice); the output is the log-softmax over pdfs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import InputError, require_file
from .features import splice
from .io import atomic_path
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


class OnnxScorer:
    """Log posteriors of an exported student with ONNX Runtime on `threads` threads."""

    def __init__(self, path: str | Path, threads: int = 1) -> None:
        import onnxruntime as ort

        p = require_file(path, "export the student with local/export_onnx.sh")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(p), opts, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own classes for unreadable models
            raise InputError(p, f"ONNX Runtime cannot load it: {err}",
                             "re-export it with local/export_onnx.sh") from None
        meta = self.session.get_modelmeta().custom_metadata_map
        self.context = int(meta.get("context", "0"))
        shape = self.session.get_inputs()[0].shape
        self.input_dim = int(shape[1]) // (2 * self.context + 1)
        self.num_pdfs = int(self.session.get_outputs()[0].shape[1])
        self.path = p

    def log_posteriors(self, feats: np.ndarray) -> np.ndarray:
        """(frames, input_dim) -> (frames, pdfs) float32."""
        if feats.shape[1] != self.input_dim:
            raise InputError(self.path, f"takes {self.input_dim}-dim frames, the features "
                             f"have {feats.shape[1]}", "decode features of the kind the "
                             "student was trained on")
        spliced = np.ascontiguousarray(splice(feats, self.context), dtype=np.float32)
        return self.session.run(None, {"spliced": spliced})[0]
