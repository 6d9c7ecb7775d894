"""Part 7 exercises: the shape an image processor returns (a warm-up), q2: image
classification by hand for any picture (checked against the pipeline), and q3: a phone
recording (int16 stereo at 48 or 44.1 kHz) made ready for Whisper, checked on test tones.

The checkers read the processor and model you pass in, so they compute the expected answer from
the real configuration (the same on Colab and in the offline test run).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from . import Exercise, as_int, as_list, function, needs, short_repr
from .no_pipeline import PipelineUsed, run_by_hand

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
    if isinstance(answer, str):
        return (
            f"type the shape as numbers, not as text: (3, 3, 224, 224) without quotes, got "
            f"{short_repr(answer, 40)}"
        )
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


# q2: image classification by hand ------------------------------------------------------
Q2_MODES = ("RGB", "RGBA", "L")  # a photo, a PNG with transparency, a greyscale scan
_NO_PIPELINE = (
    "top1() used a pipeline: write the steps yourself (image processor, model, argmax, id2label)"
)


def _test_image(mode: str) -> Any:
    """A 320 x 240 picture of smooth colour bands and a square, in ``mode``; the RGBA one has
    a transparent left half, as a PNG cut-out would."""
    import numpy as np
    from PIL import Image

    y, x = np.mgrid[0:240, 0:320]
    rgb = np.stack([x * 255 // 319, y * 255 // 239, (x + y) * 255 // 558], axis=-1)
    rgb[80:160, 120:200] = (250, 220, 30)
    image = Image.fromarray(rgb.astype(np.uint8), "RGB")
    if mode == "RGBA":
        alpha = np.where(x < 160, 0, 255).astype(np.uint8)
        image = Image.fromarray(np.dstack([rgb.astype(np.uint8), alpha]), "RGBA")
    elif mode == "L":
        image = image.convert("L")
    return image


def _pipeline_top1(model: Any, processor: Any, image: Any) -> str:
    from transformers import pipeline

    classify = pipeline("image-classification", model=model, image_processor=processor)
    return classify(image, top_k=1)[0]["label"]


Q2_ATOL = 0.05  # a pixel one step of 255 off is 2/255 = 0.008 after normalization (rounding)


@contextlib.contextmanager
def _recording_inputs(model: Any) -> Iterator[list[Any]]:
    """Within the block, each call of ``model`` (``model(...)`` or ``model.forward(...)``)
    appends the ``pixel_values`` it received to the yielded list."""
    seen: list[Any] = []
    had_own = "forward" in vars(model)  # accelerate's hooks set an instance forward
    saved = model.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        pixels = kwargs.get("pixel_values", args[0] if args else None)
        if pixels is not None and hasattr(pixels, "detach"):
            seen.append(pixels.detach().float().cpu())
        return saved(*args, **kwargs)

    model.forward = forward
    try:
        yield seen
    finally:
        if had_own:
            model.forward = saved
        else:
            del model.forward


def _pixels_problem(got: Any, want: Any, processor: Any, kind: str) -> str | None:
    """What differs between the pixel_values the model received and the processor's."""
    import torch

    if got is None:
        return (
            f"top1 did not run the model you passed to the check on {kind}: call vit(...) "
            "inside top1, with the processor's pixel_values"
        )
    if tuple(got.shape) != tuple(want.shape):
        return (
            f"on {kind} the model received pixel_values of shape {tuple(got.shape)}; the "
            f"processor makes {tuple(want.shape)} (batch, channels, height, width). Let the "
            "processor resize the picture to the size the model was trained on"
        )
    gap = float((got - want).abs().max())
    if gap <= Q2_ATOL:
        return None
    mean = torch.tensor(list(processor.image_mean)).view(1, -1, 1, 1)
    std = torch.tensor(list(processor.image_std)).view(1, -1, 1, 1)
    if float(got.max()) > 10:  # normalized pixels stay within a few units of 0
        what = "values up to {:.0f}: the 0-255 pixels were neither rescaled nor normalized"
        return f"on {kind} the model received " + what.format(float(got.max()))
    if float((got - (want * std + mean)).abs().max()) <= Q2_ATOL:
        return (
            f"on {kind} the model received pixels between 0 and 1 that were never normalized: "
            "the processor also subtracts image_mean and divides by image_std"
        )
    return (
        f"on {kind} the pixel_values the model received differ from the processor's by up to "
        f"{gap:.2f} (rounding alone stays under {Q2_ATOL}): another resize, crop, mean or std "
        "than the model's. Preprocess with the processor itself"
    )


@needs("the model and its image processor", "part7.q2.check(answer, vit, processor)")
@function("top1(image)", "runs it on pictures of its own")
def _check_q2(
    answer: Any, model: Any = None, processor: Any = None, *_: Any, **__: Any
) -> str | None:
    images = {mode: _test_image(mode) for mode in Q2_MODES}
    wanted = {mode: _pipeline_top1(model, processor, image) for mode, image in images.items()}
    kinds = {
        "RGB": "an RGB picture",
        "RGBA": "a PNG with transparency (RGBA, 4 channels)",
        "L": "a greyscale picture (L, 1 channel)",
    }
    received: dict[str, Any] = {}

    def run(mode: str) -> tuple[Any, str | None]:
        try:
            with _recording_inputs(model) as seen:
                got = answer(images[mode].copy())
            received[mode] = seen[-1] if seen else None
            return got, None
        except Exception as exc:  # noqa: BLE001 - the learner's error, told as a verdict
            if isinstance(exc, PipelineUsed):
                raise
            fix = "" if mode == "RGB" else ": convert it first, image.convert('RGB')"
            return None, f"top1 failed on {kinds[mode]} with {type(exc).__name__}: {exc}"[
                :300
            ] + fix

    results, problem = run_by_hand(run, list(Q2_MODES), _NO_PIPELINE)
    if problem:
        return problem
    differ = {}
    for mode, (got, problem) in zip(Q2_MODES, results, strict=True):
        if problem:
            return problem
        if hasattr(got, "item") and getattr(got, "ndim", 1) == 0:
            got = got.item()
        if isinstance(got, int) and not isinstance(got, bool):
            return f"top1 returned the class number {got}: name it with model.config.id2label"
        if not isinstance(got, str):
            return f"top1 should return the label as a str, got {short_repr(got, 80)}"
        want = processor(images[mode].convert("RGB"), return_tensors="pt")["pixel_values"]
        problem = _pixels_problem(received.get(mode), want.float(), processor, kinds[mode])
        if problem or got != wanted[mode]:
            differ[mode] = problem or (
                f"on {kinds[mode]} top1 says {got!r}, the pipeline {wanted[mode]!r}: take the "
                "argmax of the logits and name it with model.config.id2label"
            )
    if list(differ) == ["RGBA"]:  # RGB and greyscale agree: only the alpha handling differs
        return (
            f"{differ['RGBA']}. The RGB and greyscale pictures are right, so it is the alpha: "
            "the pipeline converts with image.convert('RGB'), which drops the alpha channel "
            "(a transparent pixel keeps its colour; it does not turn white or black). Do the "
            "same to match it"
        )
    return next(iter(differ.values()), None)


q2 = Exercise(
    name="part7.q2",
    prompt=(
        "Write top1(image): the most likely ImageNet label for a Pillow image, by hand "
        "(processor, model, argmax, id2label), for RGB, RGBA and greyscale pictures alike. "
        "Check with part7.q2.check(answer, vit, processor)."
    ),
    checker=_check_q2,
    hint_text="Follow the by-hand image path of this part: processor, model, logits, a label. "
    "For the RGBA and greyscale pictures, reread the Gotcha about PNGs with transparency: how "
    "many channels do the processor's image_mean and image_std have, and how many does the "
    "picture have?",
    solution_text=(
        "def top1(image):\n"
        "    inputs = processor(image.convert('RGB'), return_tensors='pt').to(vit.device)\n"
        "    with torch.inference_mode():\n"
        "        logits = vit(**inputs).logits[0]          # 1,000 scores\n"
        "    return vit.config.id2label[int(logits.argmax())]\n"
        "\n"
        "answer = top1"
    ),
)


# q3: a phone recording, ready for Whisper ----------------------------------------------
Q3_RATE = 16_000
Q3_RATES = (48_000, 44_100)  # what phones and laptops record at
Q3_LOW, Q3_MID, Q3_HIGH = 440.0, 1_000.0, 12_000.0  # keep, keep (right channel only), must go


def _test_signal(rate: int) -> Any:
    """One second of stereo at ``rate`` as ``scipy.io.wavfile.read`` returns it: int16,
    shape (samples, 2). Both channels: 0.4 x 440 Hz + 0.4 x 12 kHz; the right one also
    0.2 x 1 kHz, so the mono mix holds 1 kHz at 0.1."""
    import numpy as np

    t = np.arange(rate) / rate
    tone = lambda f: np.sin(2 * np.pi * f * t)  # noqa: E731
    left = 0.4 * tone(Q3_LOW) + 0.4 * tone(Q3_HIGH)
    right = left + 0.2 * tone(Q3_MID)
    return np.round(np.stack([left, right], axis=1) * 0.99 * 32767).astype(np.int16)


def _tone(signal: Any, rate: int, freq: float) -> float:
    """Amplitude of the tone at ``freq`` Hz in ``signal`` (a Hann-windowed FFT peak)."""
    import numpy as np

    window = np.hanning(len(signal))
    spectrum = np.abs(np.fft.rfft(signal * window)) / (window.sum() / 2)
    k = int(np.argmin(np.abs(np.fft.rfftfreq(len(signal), 1 / rate) - freq)))
    return float(spectrum[max(k - 3, 0) : k + 4].max())


def _overflowed(rate: int, kept: float) -> bool:
    """Whether ``kept`` is the 440 Hz amplitude of a mix made by adding the int16 channels as
    integers (they wrap around), as in ``(audio[:, 0] + audio[:, 1]) // 2``."""
    import numpy as np

    signal = _test_signal(rate)
    with np.errstate(over="ignore"):
        wrapped = ((signal[:, 0] + signal[:, 1]) // 2).astype(np.float64) / 32768
    n = round(len(wrapped) * Q3_RATE / rate)
    resampled = np.fft.irfft(np.fft.rfft(wrapped)[: n // 2 + 1], n) * (n / len(wrapped))
    return abs(_tone(resampled, Q3_RATE, Q3_LOW) - kept) < 0.02


def _as_samples(result: Any) -> tuple[Any, str | None]:
    import numpy as np

    if isinstance(result, tuple):
        return None, "return only the samples (one array), not a tuple"
    if hasattr(result, "detach"):  # a torch tensor
        result = result.detach().cpu().numpy()
    try:
        samples = np.asarray(result, dtype=np.float64)
    except (TypeError, ValueError):
        return None, f"expected an array of samples, got {short_repr(result, 80)}"
    if samples.ndim == 2 and 1 in samples.shape:
        samples = samples.reshape(-1)
    if samples.ndim != 1:
        return None, (
            f"expected one channel (1-D samples), got the shape {samples.shape}: average the "
            "two channels, audio.mean(axis=1) for the (samples, channels) layout"
        )
    if not np.isfinite(samples).all():
        return None, "the samples hold NaN or inf"
    return samples, None


@function("prepare(audio, sampling_rate)", "runs it on test recordings of its own")
def _check_q3(answer: Any, *_: Any, **__: Any) -> str | None:
    for rate in Q3_RATES:
        samples, problem = _as_samples(answer(_test_signal(rate), rate))
        if problem:
            return problem
        if len(samples) in (1, 2):
            return "you averaged over the samples: average over the channels (axis=1)"
        if abs(len(samples) - Q3_RATE) > 1:  # the test recordings last one second
            return (
                f"one second at {rate:,} Hz gave {len(samples):,} samples; at {Q3_RATE:,} Hz a "
                f"second has {Q3_RATE:,}"
            )
        peak = float(abs(samples).max())
        if peak > 1.5:
            return (
                f"the samples reach {peak:,.0f}: 16-bit integers go up to 32767, and Whisper "
                "wants floats between -1 and 1, so divide by 32768"
            )
        kept = _tone(samples, Q3_RATE, Q3_LOW)
        if not 0.36 <= kept <= 0.44 and _overflowed(rate, kept):
            return (
                f"the {Q3_LOW:g} Hz tone should keep its amplitude of 0.4, it has {kept:.2f}: "
                "the two int16 channels were added as integers, and their sum overflowed "
                "(16-bit integers wrap around past 32767). Convert to float first: "
                "audio.astype(np.float32)"
            )
        if abs(peak - 1) < 0.01 and not 0.36 <= kept <= 0.44:  # scaled to full scale
            return (
                f"the {Q3_LOW:g} Hz tone should keep its amplitude of 0.4, it has {kept:.2f}, "
                "and the samples peak at exactly 1: you rescaled the loudness. Keep it as "
                "recorded: divide the 16-bit integers by 32768, and do not scale to the peak"
            )
        if 0.72 <= kept <= 0.88:  # twice 0.4: the channels were added, not averaged
            return (
                f"the {Q3_LOW:g} Hz tone should keep its amplitude of 0.4, it has {kept:.2f}, "
                "twice as loud: average the two channels (mean over axis 1), do not add them, and "
                "divide the 16-bit integers by 32768"
            )
        if not 0.36 <= kept <= 0.44:
            return (
                f"the {Q3_LOW:g} Hz tone should keep its amplitude of 0.4, it has {kept:.2f}: "
                "resampling changes the rate, not the loudness"
            )
        mid = _tone(samples, Q3_RATE, Q3_MID)
        if not 0.07 <= mid <= 0.13:
            return (
                f"a 1 kHz tone on the right channel only should be at half strength (0.1) in "
                f"the mono mix, it is {mid:.2f}: average the two channels, do not pick one"
            )
        alias = abs(Q3_RATE - Q3_HIGH)
        folded = _tone(samples, Q3_RATE, alias)
        if folded > 0.04:
            return (
                f"from {rate:,} Hz, a {Q3_HIGH:g} Hz tone came back as a false {alias:g} Hz one "
                f"(amplitude {folded:.2f}): 16 kHz cannot hold anything above 8 kHz, so filter "
                "it out before dropping samples (picking every n-th sample or interpolating "
                "does not)"
            )
    return None


q3 = Exercise(
    name="part7.q3",
    prompt=(
        "Write prepare(audio, sampling_rate): from what scipy.io.wavfile.read gives for a phone "
        "recording (int16, shape (samples, 2), 48 or 44.1 kHz) to what Whisper's feature "
        "extractor wants (mono floats between -1 and 1 at 16 kHz)."
    ),
    checker=_check_q3,
    hint_text="Three steps, each in this part: floats from 16-bit integers (/ 32768), one "
    "channel from two (mean over axis 1), 16 kHz from any rate (the band-limited resample of "
    "the resampling section: the new length is len(audio) * 16000 / sampling_rate).",
    solution_text=(
        "def prepare(audio, sampling_rate):\n"
        "    mono = audio.astype(np.float32).mean(axis=1) / 32768   # int16 stereo -> float mono\n"
        "    n = round(len(mono) * 16_000 / sampling_rate)\n"
        "    spectrum = np.fft.rfft(mono)[: n // 2 + 1]           # drop what 16 kHz cannot hold\n"
        "    return np.fft.irfft(spectrum, n) * (n / len(mono))\n"
        "\n"
        "answer = prepare   # resample(mono, sampling_rate, 16_000) from above: the last step"
    ),
)

__all__ = ["q1", "q2", "q3"]
