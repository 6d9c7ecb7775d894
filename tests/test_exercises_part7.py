"""Part 7 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import pytest

from course_utils.exercises import part7
from tests.verdicts import right, wrong


@pytest.fixture
def vit_processor():
    """The same settings as google/vit-base-patch16-224's preprocessor_config.json."""
    from transformers import ViTImageProcessor

    return ViTImageProcessor(
        size={"height": 224, "width": 224}, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )


@pytest.fixture
def whisper_fe():
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(feature_size=80)


def test_q1_batch_shape(vit_processor):
    ok, msg = part7.q1.verdict((3, 3, 224, 224), vit_processor)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part7.q1.verdict([3, 3, 224, 224], vit_processor)  # a list is fine too
    assert ok is True, msg
    ok, msg = part7.q1.verdict((3, 224, 224, 3), vit_processor)  # channels last
    assert ok is False, msg
    assert "channels" in msg
    ok, msg = part7.q1.verdict((1, 3, 224, 224), vit_processor)
    assert ok is False, msg
    assert "batch" in msg
    ok, msg = part7.q1.verdict((3, 3, 224, 224))
    assert ok is False, msg
    assert "processor" in msg


def test_q1_matches_the_processor(vit_processor):
    """The expected shape is what the processor really returns for 3 odd-sized images."""
    import numpy as np
    from PIL import Image

    images = [
        Image.fromarray(np.zeros((h, w, 3), dtype=np.uint8))
        for h, w in ((100, 80), (300, 200), (224, 500))
    ]
    shape = tuple(vit_processor(images, return_tensors="pt")["pixel_values"].shape)
    ok, msg = part7.q1.verdict(shape, vit_processor)
    assert ok is True, msg


def test_q1_reads_the_size():
    from transformers import ViTImageProcessor

    small = ViTImageProcessor(size={"height": 96, "width": 96})
    ok, msg = part7.q1.verdict((3, 3, 96, 96), small)
    assert ok is True, msg
    ok, msg = part7.q1.verdict((3, 3, 224, 224), small)
    assert ok is False, msg


def test_q2_normalize(vit_processor):
    ok, msg = part7.q2.verdict(-0.6, vit_processor)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part7.q2.verdict(0.2, vit_processor)  # rescaled only
    assert ok is False, msg
    assert "normalize" in msg
    ok, msg = part7.q2.verdict(51, vit_processor)
    assert ok is False, msg
    assert "too high" in msg


def test_q2_matches_the_processor(vit_processor):
    """The expected value is what the processor writes for a flat image of that value."""
    import numpy as np
    from PIL import Image

    img = Image.fromarray(np.full((224, 224, 3), part7.Q2_PIXEL, dtype=np.uint8))
    value = vit_processor(img, return_tensors="pt")["pixel_values"][0, 0, 0, 0].item()
    ok, msg = part7.q2.verdict(value, vit_processor)
    assert ok is True, msg


def test_q2_reads_mean_and_std():
    from transformers import ViTImageProcessor

    imagenet = ViTImageProcessor(image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    expected = (51 / 255 - 0.485) / 0.229
    ok, msg = part7.q2.verdict(expected, imagenet)
    assert ok is True, msg
    ok, msg = part7.q2.verdict(-0.6, imagenet)
    assert ok is False, msg


def test_q3_frames_per_second(whisper_fe):
    ok, msg = part7.q3.verdict(100, whisper_fe)
    assert ok is True, msg
    assert "correct" in msg
    ok, msg = part7.q3.verdict(0.01, whisper_fe)
    assert ok is False, msg
    assert "seconds per column" in msg
    ok, msg = part7.q3.verdict(3000, whisper_fe)
    assert ok is False, msg
    ok, msg = part7.q3.verdict(100)
    assert ok is False, msg
    assert "feature extractor" in msg


def test_q3_matches_the_features(whisper_fe):
    """30 s of audio gives 30 x the answer columns."""
    import numpy as np

    feats = whisper_fe(
        np.zeros(16_000 * 30, dtype=np.float32), sampling_rate=16_000, return_tensors="np"
    )["input_features"]
    ok, msg = part7.q3.verdict(feats.shape[-1] / 30, whisper_fe)
    assert ok is True, msg


# --- q4: a phone recording made ready for Whisper, checked on test tones ------------------


def _prepare(audio, rate, *, scale=True, mix="mean", resample="fft", amplitude=True):
    import numpy as np

    x = audio.astype(np.float64)
    if mix == "mean":
        x = x.mean(axis=1)
    elif mix == "left":
        x = x[:, 0]
    elif mix == "wrong axis":
        x = x.mean(axis=0)
    if scale:
        x = x / 32768
    if resample == "fft":
        n = round(len(x) * 16_000 / rate)
        out = np.fft.irfft(np.fft.rfft(x)[: n // 2 + 1], n)
        return out * (n / len(x)) if amplitude else out
    if resample == "slice":
        return x[:: round(rate / 16_000)]
    if resample == "interp":
        t = np.arange(round(len(x) * 16_000 / rate)) * rate / 16_000
        return np.interp(t, np.arange(len(x)), x)
    return x


def test_q4_accepts_the_three_steps():
    right(part7.q4, _prepare)


def test_q4_accepts_other_honest_forms():
    """torch instead of NumPy, a plain list, a (1, samples) row: all are samples."""
    import torch

    def with_torch(audio, rate):
        x = torch.as_tensor(audio, dtype=torch.float32).mean(dim=1) / 32768
        n = round(len(x) * 16_000 / rate)
        return torch.fft.irfft(torch.fft.rfft(x)[: n // 2 + 1], n) * (n / len(x))

    right(part7.q4, with_torch)
    right(part7.q4, lambda audio, rate: _prepare(audio, rate).tolist())
    right(part7.q4, lambda audio, rate: _prepare(audio, rate)[None, :])


def test_q4_rejects_the_known_wrong_ways():
    wrong(part7.q4, lambda a, r: _prepare(a, r, resample=None), says="a second has 16,000")
    # every third sample: the right length from 48 kHz, but 12 kHz folds back to 4 kHz
    wrong(part7.q4, lambda a, r: _prepare(a, r, resample="slice"), says="false 4000 Hz")
    wrong(part7.q4, lambda a, r: _prepare(a, r, resample="interp"), says="filter")
    wrong(part7.q4, lambda a, r: _prepare(a, r, amplitude=False), says="amplitude")
    wrong(part7.q4, lambda a, r: _prepare(a, r, scale=False), says="32768")
    wrong(part7.q4, lambda a, r: _prepare(a, r, mix="left"), says="average the two channels")
    wrong(part7.q4, lambda a, r: _prepare(a, r, mix="wrong axis"), says="axis=1")
    wrong(part7.q4, lambda a, r: _prepare(a, r, mix=None), says="one channel")
    wrong(part7.q4, lambda a, r: (_prepare(a, r), 16_000), says="tuple")
    wrong(part7.q4, _prepare(part7._test_signal(48_000), 48_000), says="function")
    wrong(part7.q4, lambda a, r: "16 kHz", says="array")


def test_q4_test_signal_and_meter():
    """The test recording is what scipy.io.wavfile.read returns, and the meter reads it."""
    import numpy as np

    sig = part7._test_signal(48_000)
    assert sig.dtype == np.int16 and sig.shape == (48_000, 2)
    mono = sig.mean(axis=1) / 32768
    assert abs(part7._tone(mono, 48_000, part7.Q4_LOW) - 0.4) < 0.01
    assert abs(part7._tone(mono, 48_000, part7.Q4_MID) - 0.1) < 0.01
    assert abs(part7._tone(mono, 48_000, part7.Q4_HIGH) - 0.4) < 0.01
    assert part7._tone(mono, 48_000, 4_000) < 0.01
