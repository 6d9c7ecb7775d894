"""Part 7 exercises: what image processors and audio feature extractors do.

The checkers read the processor or feature extractor you pass in, so they compute the expected
answer from the real configuration (the same on Colab and in the offline test run).
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_int, as_list, as_number, needs, reads

# q1: the shape of a batch of images ------------------------------------------------------
Q1_IMAGES = 3


def _size_hw(processor: Any) -> tuple[int, int]:
    """(height, width) that the processor resizes to; ``size`` is a dict or a SizeDict."""
    size = processor.size
    get = size.get if isinstance(size, dict) else lambda k: getattr(size, k, None)
    if get("height"):
        return int(get("height")), int(get("width"))
    edge = get("shortest_edge") or get("longest_edge")
    return int(edge), int(edge)


@needs("the image processor", "part7.q1.check(answer, processor)")
def _check_q1(answer: Any, processor: Any = None, *_: Any, **__: Any) -> str | None:
    items, problem = as_list(answer, "the shape", limit=16)
    if problem:
        return f"give the shape as a tuple of 4 whole numbers: {problem}"
    got = []
    for item in items:
        value, problem = as_int(item, "each size in the shape")
        if problem:
            return problem
        got.append(value)
    got = tuple(got)
    h, w = _size_hw(processor)
    expected = (Q1_IMAGES, 3, h, w)
    if got == expected:
        return None
    if len(got) != 4:
        return (
            f"{got} has {len(got)} dimensions; pixel_values has 4 (batch, channels, height, width)"
        )
    if got[0] != Q1_IMAGES:
        return f"the first dimension is the batch: {Q1_IMAGES} images"
    if got[1] != 3:
        return (
            "the second dimension is the colour channels (red, green, blue) and comes before height"
        )
    return f"{got} does not match the size the processor resizes to"


q1 = Exercise(
    name="part7.q1",
    prompt=(
        f"You pass a list of {Q1_IMAGES} photos of different sizes to the ViT image "
        "processor. What is the shape of the pixel_values it returns? (a tuple)"
    ),
    checker=_check_q1,
    hint_text="Every image is resized to processor.size, and PyTorch puts the channels first: "
    "(batch, channels, height, width).",
    solution_text=(
        f"answer = ({Q1_IMAGES}, 3, 224, 224)\n"
        f"# check: processor([image] * {Q1_IMAGES}, return_tensors='pt')"
        "['pixel_values'].shape"
    ),
)


# q2: normalization by hand --------------------------------------------------------------
Q2_PIXEL = 51


@needs("the image processor", "part7.q2.check(answer, processor)")
@reads(as_number, "the answer")
def _check_q2(value: float, processor: Any = None, *_: Any, **__: Any) -> str | None:
    rescaled = Q2_PIXEL * processor.rescale_factor
    expected = (rescaled - processor.image_mean[0]) / processor.image_std[0]
    if math.isclose(value, expected, abs_tol=1e-3):
        return None
    if math.isclose(value, rescaled, abs_tol=1e-3):
        return "that is only the rescale step; normalize it too: (x - mean) / std"
    return f"{value:g} is {'too high' if value > expected else 'too low'}"


q2 = Exercise(
    name="part7.q2",
    prompt=(
        f"A pixel's red value is {Q2_PIXEL} (out of 255). What number does the ViT image "
        "processor put in pixel_values for it? Check with part7.q2.check(answer, processor)."
    ),
    checker=_check_q2,
    hint_text="Two steps: rescale (multiply by processor.rescale_factor, 1/255), then normalize "
    "with the red channel's processor.image_mean[0] and processor.image_std[0].",
    solution_text=(
        f"x = {Q2_PIXEL} * processor.rescale_factor          # 0.2\n"
        "answer = (x - processor.image_mean[0]) / processor.image_std[0]   "
        "# (0.2 - 0.5) / 0.5 = -0.6"
    ),
)


# q3: log-mel frames per second ----------------------------------------------------------


def _check_q3(answer: Any, feature_extractor: Any = None, *_: Any, **__: Any) -> str | None:
    if feature_extractor is None:
        return (
            "pass Whisper's feature extractor too: "
            "part7.q3.check(answer, speech_processor.feature_extractor)"
        )
    value, problem = as_number(answer)
    if problem:
        return problem
    expected = feature_extractor.sampling_rate / feature_extractor.hop_length
    if math.isclose(value, expected, rel_tol=1e-6):
        return None
    if math.isclose(
        value, feature_extractor.hop_length / feature_extractor.sampling_rate, rel_tol=1e-6
    ):
        return "that is the seconds per column; the question asks for columns per second"
    return f"{value:g} is {'too high' if value > expected else 'too low'}"


q3 = Exercise(
    name="part7.q3",
    prompt=(
        "Whisper's feature extractor makes one log-mel column every hop_length samples. "
        "How many columns does one second of audio give? Check with "
        "part7.q3.check(answer, speech_processor.feature_extractor)."
    ),
    checker=_check_q3,
    hint_text="One second holds sampling_rate samples; the window moves hop_length samples per "
    "column. Both are attributes of the feature extractor.",
    solution_text=(
        "fe = speech_processor.feature_extractor   # Whisper's, not the ViT processor\n"
        "answer = fe.sampling_rate / fe.hop_length   # 16000 / 160 = 100 columns "
        "per second, so 30 s -> 3000"
    ),
)

__all__ = ["q1", "q2", "q3"]
