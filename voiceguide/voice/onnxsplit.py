"""A VITS voice model cut in two where its waveform decoder begins, so the decoder can run in chunks.

Why: a Piper voice is one graph from phonemes to samples, and its last part, the HiFi-GAN decoder,
keeps tensors of 64-256 channels at up to the full sample rate: 16 MB per second of speech, so two
ten-second sentences synthesised at once took 390 MB over the loaded model, and a cold render's
memory was set by its longest sentences. Cut at the decoder's input (the latent frames, 86 a
second), the text encoder and flow run once per sentence and the decoder a frame window at a time:
with enough frames of context on each side, the samples are the whole graph's to the bit (the
decoder's receptive field is about eleven frames; see DECODER_CONTEXT).

Only graphs whose decoder depends on nothing but the latent frames, its own weights and constants
are cut (a multi-speaker model conditions the decoder on the speaker, so it stays whole).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .onnxpatch import ModelPieces
from .protowire import fields, length_delimited, string, strings, varint

FLOAT = 1  # TensorProto.DataType.FLOAT


@dataclass(frozen=True)
class SplitModel:
    """The two models' byte pieces, and the tensor that passes from one to the other."""

    encoder: list
    decoder: list
    latent: str


def _value_info(name: str) -> bytes:
    """A graph input or output: a float tensor of any shape."""
    tensor = varint(1 << 3) + varint(FLOAT)  # TypeProto.Tensor: elem_type
    return string(1, name) + length_delimited(2, length_delimited(1, tensor))  # ValueInfoProto: name, type (tensor_type)


def _field(piece) -> tuple[int, memoryview | None]:
    """A whole field's number and, if length-delimited, its payload."""
    number, wt, v, _, _ = next(fields(piece))
    return number, (memoryview(piece)[v[0] : v[1]] if wt == 2 else None)


def split_at(model: ModelPieces, first_weight: str) -> SplitModel | None:
    """The model cut before the node that takes `first_weight` (Piper: "dec.conv_pre.weight"), or
    None when it cannot be cut cleanly there."""
    nodes, initializers, other = [], {}, []
    for piece in model.graph:
        number, body = _field(piece)
        if number == 1:  # NodeProto: inputs 1, outputs 2, op_type 4
            nodes.append((piece, strings(body, 1), strings(body, 2), strings(body, 4)))
        elif number == 5:  # TensorProto: name 8
            initializers[strings(body, 8)[0]] = piece
        elif number in (2, 10, 11, 12, 13):  # name, doc, inputs, outputs, value_info: placed below
            other.append((number, piece))
        else:  # sparse initializers, training info...: not a graph this cut understands
            return None
    cut = next((i for i, n in enumerate(nodes) if first_weight in n[1]), None)
    if cut is None or not nodes[cut][1]:
        return None
    latent = nodes[cut][1][0]
    head, tail = nodes[:cut], nodes[cut:]
    made_in_tail = {o for n in tail for o in n[2]}
    constants = {o: n for n in head if n[3] == ["Constant"] for o in n[2]}
    needs = {i for n in tail for i in n[1] if i} - made_in_tail - set(initializers) - {latent}
    if not needs <= set(constants):
        return None  # the decoder reads something the encoder computes besides the latent frames
    tail = [constants[name] for name in sorted(needs)] + tail

    def used(part: list) -> list:
        names = {i for n in part for i in n[1]}
        return [piece for name, piece in initializers.items() if name in names]

    named = [piece for number, piece in other if number in (2, 10)]
    inputs = [piece for number, piece in other if number == 11]
    outputs = [piece for number, piece in other if number == 12]
    encoder = [n[0] for n in head] + named + used(head) + inputs + [length_delimited(12, _value_info(latent))]
    decoder = [n[0] for n in tail] + named + used(tail) + [length_delimited(11, _value_info(latent))] + outputs
    return SplitModel(encoder=model.parts(encoder), decoder=model.parts(decoder), latent=latent)


DECODER_FRAMES = 96  # latent frames decoded at once: 1.1 s of speech at 22050 Hz, about 30 MB with the context
DECODER_CONTEXT = 16  # frames of context on each side, dropped from the output: 12 already gave the
# whole graph's samples to the bit for the voices we ship (10 did not); 16 leaves a margin for others


def decode_in_windows(decoder, latent_name: str, latent: np.ndarray) -> np.ndarray:
    """The decoder's samples for `latent` (1, channels, frames), decoded DECODER_FRAMES at a time."""
    frames = latent.shape[2]
    out = []
    for start in range(0, frames, DECODER_FRAMES):
        lo, hi = max(0, start - DECODER_CONTEXT), min(frames, start + DECODER_FRAMES + DECODER_CONTEXT)
        audio = decoder.run(None, {latent_name: np.ascontiguousarray(latent[:, :, lo:hi])})[0].reshape(-1)
        hop = audio.size // (hi - lo)  # samples a frame (256 for Piper's voices)
        out.append(audio[(start - lo) * hop : (min(frames, start + DECODER_FRAMES) - lo) * hop])
    return np.concatenate(out) if out else np.zeros(0, np.float32)
