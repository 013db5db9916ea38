"""The DNN student as a Kaldi nnet3 acoustic model: `final.mdl` = TransitionModel + AmNnetSimple
(the nnet3 config section, its components, left/right context and the priors), binary or text,
as `nnet3-am-copy` writes it. Formats: docs/nnet3-vosk-format.md.

Input normalisation and BatchNorm are folded (in float64) into the affines, so the network is
only AffineComponent, RectifiedLinear/Sigmoid and a final LogSoftmax, which every Kaldi nnet3
reader, Vosk's included, loads; dropout is the identity at test time and is left out. The
splicing is the first affine's input descriptor, Append(Offset(input, -c), ..., Offset(input, c)),
and Kaldi's decodables replicate the edge frames as our splice does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import kaldi_hmm_gmm as khg
import numpy as np
import torch
from torch import nn

from ..errors import InputError, require_file
from ..features import splice
from ..formats.io import atomic_path
from ..formats.kaldi_format import KaldiWriter
from ..formats.model_io import write_transition_model
from ..nnet.infer import DEFAULT_PRIOR_FLOOR
from ..nnet.student import Dnn

Activation = Literal["relu", "sigmoid", "none"]
COMPONENT_OF = {"relu": "RectifiedLinearComponent", "sigmoid": "SigmoidComponent"}
# Pdfs without training frames: Kaldi divides by the prior, so instead of an infinite log prior
# (ours) their output bias makes them impossible; their prior is then 1.
UNSEEN_BIAS = -1e10


@dataclass
class AffineLayer:
    weight: np.ndarray  # (out, in) float64
    bias: np.ndarray  # (out,) float64
    activation: Activation  # applied after the affine


@dataclass
class Nnet3Student:
    """What final.mdl holds besides the TransitionModel."""

    layers: list[AffineLayer]  # the last one has activation "none" (LogSoftmax follows)
    input_dim: int  # per-frame feature dim
    context: int  # frames spliced on each side
    priors: np.ndarray  # (pdfs,) float64 probabilities, no zeros
    unseen_pdfs: int = 0  # pdfs without training frames, made impossible by their bias

    @property
    def num_pdfs(self) -> int:
        return int(self.layers[-1].bias.shape[0])


def fold_dnn(model: Dnn) -> list[AffineLayer]:
    """The student's affines with InputNorm and BatchNorm folded in; LayerNorm has no nnet3
    equivalent that Vosk's collapse keeps exact, so it is refused."""
    cfg = model.config
    if cfg.norm == "layernorm":
        raise ValueError("a student with --norm layernorm cannot be exported to nnet3 "
                         "(train it with --norm none or batchnorm)")
    mean = model.input_norm.mean.double().numpy()  # (input_dim,)
    inv_std = model.input_norm.inv_std.double().numpy()  # (input_dim,)
    layers: list[AffineLayer] = []
    for module in model.layers:
        if isinstance(module, nn.Linear):
            layers.append(AffineLayer(module.weight.detach().double().numpy().copy(),
                                      module.bias.detach().double().numpy().copy(), "none"))
        elif isinstance(module, nn.BatchNorm1d):
            _fold_batchnorm(layers[-1], module)
        elif isinstance(module, (nn.ReLU, nn.Sigmoid)):
            layers[-1].activation = "relu" if isinstance(module, nn.ReLU) else "sigmoid"
        elif not isinstance(module, nn.Dropout):
            raise ValueError(f"cannot export a {type(module).__name__} layer to nnet3")
    first = layers[0]
    scale = np.tile(inv_std, cfg.window)  # (window*input_dim,): the same norm at every offset
    first.bias = first.bias - first.weight @ (np.tile(mean, cfg.window) * scale)
    first.weight = first.weight * scale[None, :]
    return layers


def _fold_batchnorm(affine: AffineLayer, bn: nn.BatchNorm1d) -> None:
    """affine then BN (eval): y = s * (W x + b - mean) + beta, s = gamma / sqrt(var + eps)."""
    var = bn.running_var.double().numpy()  # type: ignore[union-attr]
    mean = bn.running_mean.double().numpy()  # type: ignore[union-attr]
    gamma = bn.weight.detach().double().numpy() if bn.affine else np.ones_like(mean)
    beta = bn.bias.detach().double().numpy() if bn.affine else np.zeros_like(mean)
    s = gamma / np.sqrt(var + bn.eps)  # (out,)
    affine.weight = affine.weight * s[:, None]
    affine.bias = s * (affine.bias - mean) + beta


def export_student(model: Dnn, counts: np.ndarray,
                   floor: float = DEFAULT_PRIOR_FLOOR) -> Nnet3Student:
    """The student with priors from its training targets' pdf counts (pdfs,), as decoding
    uses them: pdfs with a prior below `floor` are made impossible by their output bias."""
    if not isinstance(model, Dnn):
        raise ValueError(f"only the DNN student exports to nnet3, not a {model.kind}")
    c = np.asarray(counts, dtype=np.float64)
    if c.shape != (model.config.num_pdfs,):
        raise ValueError(f"{c.size} pdf counts for a network with {model.config.num_pdfs} "
                         "outputs")
    if c.sum() <= 0:
        raise ValueError("pdf counts are all zero")
    layers = fold_dnn(model)
    priors = c / c.sum()
    unseen = priors < floor
    layers[-1].bias = np.where(unseen, UNSEEN_BIAS, layers[-1].bias)
    return Nnet3Student(layers, model.config.input_dim, model.config.context,
                        np.where(unseen, 1.0, priors), int(unseen.sum()))


def load_exported_student(exp: Path) -> tuple[Dnn, Nnet3Student]:
    """A student exp dir's network (final.pt, eval mode) and its export with the priors of
    its own training targets (ali_train_pdf.counts)."""
    from ..nnet.checkpoint import load_model
    from ..nnet.hybrid import read_pdf_counts

    model, _ = load_model(require_file(exp / "final.pt", "train the student first "
                                       "(local/train_student.sh)"))
    if not isinstance(model, Dnn):
        raise InputError(exp / "final.pt", f"a {model.kind}, not a DNN student",
                         "export a student trained by local/train_student.sh")
    counts_path = exp / "ali_train_pdf.counts"
    try:
        return model.eval(), export_student(model.eval(), read_pdf_counts(counts_path))
    except ValueError as err:
        raise InputError(counts_path, str(err), "export the network with the counts of its "
                         "own training run") from None


def forward(student: Nnet3Student, feats: np.ndarray) -> np.ndarray:
    """(frames, input_dim) -> (frames, pdfs) float64 log-softmax outputs, as Kaldi computes
    them from this final.mdl (edge frames replicated): the reference the tests hold us to."""
    x = splice(np.asarray(feats, dtype=np.float64), student.context)  # (frames, (2c+1)*dim)
    for layer in student.layers:
        x = x @ layer.weight.T + layer.bias
        if layer.activation == "relu":
            x = np.maximum(x, 0.0)
        elif layer.activation == "sigmoid":
            x = 1.0 / (1.0 + np.exp(-x))
    return torch.log_softmax(torch.from_numpy(x), dim=-1).numpy()


def config_lines(student: Nnet3Student) -> list[str]:
    """The nnet3 config section: one input node, the components in order, the output."""
    offsets = [f"Offset(input, {t})" if t else "input"
               for t in range(-student.context, student.context + 1)]
    source = f"Append({', '.join(offsets)})" if student.context else "input"
    lines = [f"input-node name=input dim={student.input_dim}"]
    for name, _ in _components(student):
        lines.append(f"component-node name={name} component={name} input={source}")
        source = name
    lines.append(f"output-node name=output input={source} objective=linear")
    return lines


def _components(student: Nnet3Student) -> list[tuple[str, object]]:
    """(name, AffineLayer or (component type, dim)) in network order."""
    out: list[tuple[str, object]] = []
    last = len(student.layers) - 1
    for i, layer in enumerate(student.layers):
        prefix = "output" if i == last else f"tdnn{i + 1}"
        out.append((f"{prefix}.affine", layer))
        if layer.activation != "none":
            out.append((f"{prefix}.{layer.activation}",
                        (COMPONENT_OF[layer.activation], layer.bias.shape[0])))
    out.append(("output.log-softmax", ("LogSoftmaxComponent", student.num_pdfs)))
    return out


def _write_affine(w: KaldiWriter, layer: AffineLayer) -> None:
    w.token("<AffineComponent>")
    w.token("<LearningRate>")
    w.float32(0.0)
    w.token("<LinearParams>")
    w.matrix(layer.weight)
    w.token("<BiasParams>")
    w.vector(layer.bias)
    w.token("</AffineComponent>")


def _write_nonlinear(w: KaldiWriter, kind: str, dim: int) -> None:
    """A NonlinearComponent with empty diagnostics (value/derivative averages)."""
    w.token(f"<{kind}>")
    w.token("<Dim>")
    w.int32(dim)
    for stats in ("<ValueAvg>", "<DerivAvg>"):
        w.token(stats)
        w.vector(np.zeros(0))
    w.token("<Count>")
    w.float64(0.0)
    w.token(f"</{kind}>")


def write_nnet3(w: KaldiWriter, student: Nnet3Student) -> None:
    """Nnet::Write then AmNnetSimple's context and priors."""
    w.token("<Nnet3>")
    w.raw_text("\n" + "".join(line + "\n" for line in config_lines(student)) + "\n")
    components = _components(student)
    w.token("<NumComponents>")
    w.int32(len(components))
    w.newline()
    for name, part in components:
        w.token("<ComponentName>")
        w.token(name)
        if isinstance(part, AffineLayer):
            _write_affine(w, part)
        else:
            _write_nonlinear(w, *part)  # type: ignore[misc]
        w.newline()
    w.token("</Nnet3>")
    w.token("<LeftContext>")
    w.int32(student.context)
    w.token("<RightContext>")
    w.int32(student.context)
    w.token("<Priors>")
    w.vector(student.priors)


def write_nnet3_model(path: str | Path, tm: khg.TransitionModel, student: Nnet3Student,
                      binary: bool = True) -> None:
    """final.mdl as nnet3-am-copy writes it (binary by default; --binary=false: text)."""
    if tm.num_pdfs != student.num_pdfs:
        raise InputError(path, f"the TransitionModel has {tm.num_pdfs} pdfs but the network "
                         f"{student.num_pdfs} outputs", "export a network with the "
                         "final.mdl and tree it was trained on")
    w = KaldiWriter(binary)
    w.header()
    write_transition_model(w, tm)
    write_nnet3(w, student)
    with atomic_path(path) as tmp:
        tmp.write_bytes(w.getvalue())
