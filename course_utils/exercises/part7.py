"""Part 7 exercises: what image processors and audio feature extractors do, and q4: a phone
recording (int16 stereo at 48 or 44.1 kHz) made ready for Whisper, checked on test tones.

The checkers read the processor or feature extractor you pass in, so they compute the expected
answer from the real configuration (the same on Colab and in the offline test run).
"""

from __future__ import annotations

import math
from typing import Any

from . import Exercise, as_int, as_list, as_number, needs, reads, short_repr

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


# q4: a phone recording, ready for Whisper ----------------------------------------------
Q4_RATE = 16_000
Q4_RATES = (48_000, 44_100)  # what phones and laptops record at
Q4_LOW, Q4_MID, Q4_HIGH = 440.0, 1_000.0, 12_000.0  # keep, keep (right channel only), must go


def _test_signal(rate: int) -> Any:
    """One second of stereo at ``rate`` as ``scipy.io.wavfile.read`` returns it: int16,
    shape (samples, 2). Both channels: 0.4 x 440 Hz + 0.4 x 12 kHz; the right one also
    0.2 x 1 kHz, so the mono mix holds 1 kHz at 0.1."""
    import numpy as np

    t = np.arange(rate) / rate
    tone = lambda f: np.sin(2 * np.pi * f * t)  # noqa: E731
    left = 0.4 * tone(Q4_LOW) + 0.4 * tone(Q4_HIGH)
    right = left + 0.2 * tone(Q4_MID)
    return np.round(np.stack([left, right], axis=1) * 0.99 * 32767).astype(np.int16)


def _tone(signal: Any, rate: int, freq: float) -> float:
    """Amplitude of the tone at ``freq`` Hz in ``signal`` (a Hann-windowed FFT peak)."""
    import numpy as np

    window = np.hanning(len(signal))
    spectrum = np.abs(np.fft.rfft(signal * window)) / (window.sum() / 2)
    k = int(np.argmin(np.abs(np.fft.rfftfreq(len(signal), 1 / rate) - freq)))
    return float(spectrum[max(k - 3, 0) : k + 4].max())


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


def _check_q4(answer: Any, *_: Any, **__: Any) -> str | None:
    if not callable(answer):
        return (
            "the answer is your function itself (answer = prepare): the check runs it on test "
            "recordings of its own"
        )
    for rate in Q4_RATES:
        samples, problem = _as_samples(answer(_test_signal(rate), rate))
        if problem:
            return problem
        if len(samples) in (1, 2):
            return "you averaged over the samples: average over the channels (axis=1)"
        if abs(len(samples) - Q4_RATE) > 1:  # the test recordings last one second
            return (
                f"one second at {rate:,} Hz gave {len(samples):,} samples; at {Q4_RATE:,} Hz a "
                f"second has {Q4_RATE:,}"
            )
        peak = float(abs(samples).max())
        if peak > 1.5:
            return (
                f"the samples reach {peak:,.0f}: 16-bit integers go up to 32767, and Whisper "
                "wants floats between -1 and 1, so divide by 32768"
            )
        kept = _tone(samples, Q4_RATE, Q4_LOW)
        if not 0.36 <= kept <= 0.44:
            return (
                f"the {Q4_LOW:g} Hz tone should keep its amplitude of 0.4, it has {kept:.2f}: "
                "resampling changes the rate, not the loudness"
            )
        mid = _tone(samples, Q4_RATE, Q4_MID)
        if not 0.07 <= mid <= 0.13:
            return (
                f"a 1 kHz tone on the right channel only should be at half strength (0.1) in "
                f"the mono mix, it is {mid:.2f}: average the two channels, do not pick one"
            )
        alias = abs(Q4_RATE - Q4_HIGH)
        folded = _tone(samples, Q4_RATE, alias)
        if folded > 0.04:
            return (
                f"from {rate:,} Hz, a {Q4_HIGH:g} Hz tone came back as a false {alias:g} Hz one "
                f"(amplitude {folded:.2f}): 16 kHz cannot hold anything above 8 kHz, so filter "
                "it out before dropping samples (picking every n-th sample or interpolating "
                "does not)"
            )
    return None


q4 = Exercise(
    name="part7.q4",
    prompt=(
        "Write prepare(audio, sampling_rate): from what scipy.io.wavfile.read gives for a phone "
        "recording (int16, shape (samples, 2), 48 or 44.1 kHz) to what Whisper's feature "
        "extractor wants (mono floats between -1 and 1 at 16 kHz)."
    ),
    checker=_check_q4,
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

__all__ = ["q1", "q2", "q3", "q4"]
