"""Part 7 exercise checkers: right, wrong, and what the learner is told
(not attempted: tests/test_exercises.py)."""

import pytest

from course_utils.exercises import part7
from tests.verdicts import refuses_a_pipeline, right, wrong


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


# --- q2: image classification by hand, for any picture -----------------------------------


@pytest.fixture(scope="module")
def vit():
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    rid = "google/vit-base-patch16-224"
    return (
        AutoModelForImageClassification.from_pretrained(rid).eval(),
        AutoImageProcessor.from_pretrained(rid),
    )


def _top1(model, processor, *, convert=True, name=True, normalize=True):
    import numpy as np
    import torch

    def top1(image):
        if convert:
            image = image.convert("RGB")
        if normalize:
            pixels = processor(image, return_tensors="pt")["pixel_values"]
        else:  # resized and rescaled by hand, never normalized
            h, w = processor.size.height, processor.size.width
            array = np.asarray(image.resize((w, h)), dtype=np.float32) / 255
            pixels = torch.from_numpy(array).permute(2, 0, 1)[None]
        with torch.inference_mode():
            logits = model(pixel_values=pixels).logits[0]
        index = int(logits.argmax())
        return model.config.id2label[index] if name else index

    return top1


def test_q2_test_pictures_have_the_three_modes_and_the_pipeline_labels_differ(vit):
    """The check needs pictures the processor alone refuses, and labels that tell them apart."""
    model, processor = vit
    images = {m: part7._test_image(m) for m in part7.Q2_MODES}
    assert {m: i.mode for m, i in images.items()} == {m: m for m in part7.Q2_MODES}
    for mode in ("RGBA", "L"):
        with pytest.raises(ValueError):
            processor(images[mode], return_tensors="pt")


def test_q2_rejects_the_known_wrong_ways(vit):
    model, processor = vit
    wrong(part7.q2, _top1(model, processor, convert=False), model, processor, says="convert")
    wrong(part7.q2, _top1(model, processor, name=False), model, processor, says="id2label")
    wrong(part7.q2, _top1(model, processor)(part7._test_image("RGB")), model, processor,
          says="function")  # fmt: skip
    wrong(part7.q2, _top1(model, processor), says="vit, processor")


def test_q2_rejects_skipping_normalization(vit):
    model, processor = vit
    skip = _top1(model, processor, normalize=False)
    images = [part7._test_image(m) for m in part7.Q2_MODES]
    assert [skip(i) for i in images] != [_top1(model, processor)(i) for i in images]
    wrong(part7.q2, skip, model, processor, says="processor")


def test_q2_refuses_a_pipeline(vit):
    from transformers import pipeline

    model, processor = vit
    classify = pipeline("image-classification", model=model, image_processor=processor)
    refuses_a_pipeline(
        part7.q2,
        lambda image: classify(image)[0]["label"],
        _top1(model, processor),
        model,
        processor,
    )


def test_q1_refuses_the_shape_typed_as_text(vit_processor):
    wrong(part7.q1, "(3,3,224,224)", vit_processor, says="without quotes")


# --- q3: a phone recording made ready for Whisper, checked on test tones ------------------


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


def test_q3_accepts_the_three_steps():
    right(part7.q3, _prepare)


def test_q3_accepts_other_honest_forms():
    """torch instead of NumPy, a plain list, a (1, samples) row: all are samples."""
    import torch

    def with_torch(audio, rate):
        x = torch.as_tensor(audio, dtype=torch.float32).mean(dim=1) / 32768
        n = round(len(x) * 16_000 / rate)
        return torch.fft.irfft(torch.fft.rfft(x)[: n // 2 + 1], n) * (n / len(x))

    right(part7.q3, with_torch)
    right(part7.q3, lambda audio, rate: _prepare(audio, rate).tolist())
    right(part7.q3, lambda audio, rate: _prepare(audio, rate)[None, :])


def test_q3_rejects_the_known_wrong_ways():
    wrong(part7.q3, lambda a, r: _prepare(a, r, resample=None), says="a second has 16,000")
    # every third sample: the right length from 48 kHz, but 12 kHz folds back to 4 kHz
    wrong(part7.q3, lambda a, r: _prepare(a, r, resample="slice"), says="false 4000 Hz")
    wrong(part7.q3, lambda a, r: _prepare(a, r, resample="interp"), says="filter")
    wrong(part7.q3, lambda a, r: _prepare(a, r, amplitude=False), says="amplitude")
    wrong(part7.q3, lambda a, r: _prepare(a, r, scale=False), says="32768")
    wrong(part7.q3, lambda a, r: _prepare(a, r, mix="left"), says="average the two channels")
    wrong(part7.q3, lambda a, r: _prepare(a, r, mix="wrong axis"), says="axis=1")
    wrong(part7.q3, lambda a, r: _prepare(a, r, mix=None), says="one channel")
    wrong(part7.q3, lambda a, r: (_prepare(a, r), 16_000), says="tuple")
    wrong(part7.q3, _prepare(part7._test_signal(48_000), 48_000), says="function")
    wrong(part7.q3, lambda a, r: "16 kHz", says="array")


def test_q3_names_the_int16_overflow():
    """The reviewer's (a[:, 0] + a[:, 1]) // 2: the int16 sum wraps before any float."""
    import numpy as np

    def overflowing(audio, rate):
        mono = ((audio[:, 0] + audio[:, 1]) // 2).astype(np.float32) / 32768
        n = round(len(mono) * 16_000 / rate)
        return np.fft.irfft(np.fft.rfft(mono)[: n // 2 + 1], n) * (n / len(mono))

    with np.errstate(over="ignore"):
        wrong(part7.q3, overflowing, says="overflowed")
    wrong(part7.q3, lambda a, r: _prepare(a, r, amplitude=False), says="not the loudness")


def test_q3_test_signal_and_meter():
    """The test recording is what scipy.io.wavfile.read returns, and the meter reads it."""
    import numpy as np

    sig = part7._test_signal(48_000)
    assert sig.dtype == np.int16 and sig.shape == (48_000, 2)
    mono = sig.mean(axis=1) / 32768
    assert abs(part7._tone(mono, 48_000, part7.Q3_LOW) - 0.4) < 0.01
    assert abs(part7._tone(mono, 48_000, part7.Q3_MID) - 0.1) < 0.01
    assert abs(part7._tone(mono, 48_000, part7.Q3_HIGH) - 0.4) < 0.01
    assert part7._tone(mono, 48_000, 4_000) < 0.01


def test_q2_hint_leaves_the_code_to_the_learner():
    """The hint points at the Gotcha; it does not give the convert call or the argmax."""
    hint = part7.q2.hint_text
    assert "convert(" not in hint and "argmax" not in hint and "id2label" not in hint
    assert "Gotcha" in hint


def test_q2_names_the_alpha_when_only_rgba_differs(vit):
    """The reviewer's white background (alpha_composite) for RGBA: the pipeline drops alpha."""
    from PIL import Image

    model, processor = vit
    plain = _top1(model, processor)

    def white_bg(image):
        if image.mode == "RGBA":
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(white, image)
        return plain(image)

    rgba = part7._test_image("RGBA")
    assert white_bg(rgba) != plain(rgba)  # else the test below tells nothing
    wrong(part7.q2, white_bg, model, processor, says="drops the alpha channel")


def test_q3_names_channels_added_not_averaged():
    """The reviewer's sum of the two channels: the mix is to blame, not the resampling."""
    wrong(part7.q3, lambda a, r: 2 * _prepare(a, r), says="do not add them")


# --- q2 judges what the model receives, not only its argmax (review 3: the random-weight
# stand-in's argmax barely reacts to preprocessing, so these all passed a label-only check) ---


def _classify(model, pixels, **kwargs):
    import torch

    with torch.inference_mode():
        logits = model(pixel_values=pixels, **kwargs).logits[0]
    return model.config.id2label[int(logits.argmax())]


def _by_hand_pixels(processor, image, *, size=None, resample=None, mean=None, std=None):
    """The processor's three steps in NumPy, with the settings a wrong answer changes."""
    import numpy as np
    import torch
    from PIL import Image

    image = image.convert("RGB")
    if size != "none":
        h, w = size or (processor.size.height, processor.size.width)
        image = image.resize((w, h), resample if resample is not None else Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32) * processor.rescale_factor
    mean = np.array(mean or processor.image_mean, dtype=np.float32)
    std = np.array(std or processor.image_std, dtype=np.float32)
    return torch.from_numpy(((array - mean) / std).transpose(2, 0, 1).copy())[None]


def test_q2_accepts_the_by_hand_steps_in_any_honest_form(vit):
    """Any honest right form: the processor's steps, cell 12's NumPy steps, vit.forward(...),
    inputs moved with .to()."""
    import torch

    model, processor = vit
    right(part7.q2, _top1(model, processor), model, processor)
    right(part7.q2, lambda im: _classify(model, _by_hand_pixels(processor, im)), model, processor)

    def by_forward(image):
        inputs = processor(image.convert("RGB"), return_tensors="pt").to(model.device)
        with torch.no_grad():
            logits = model.forward(**inputs).logits
        return model.config.id2label[logits.argmax(-1).item()]

    right(part7.q2, by_forward, model, processor)


def test_q2_rejects_preprocessing_with_other_settings(vit):
    """Review 3's answers: no resize (interpolate_pos_encoding), a centre crop first, NEAREST,
    ImageNet's mean and std. Each is told what differs."""
    from PIL import Image

    model, processor = vit

    def no_resize(image):
        pixels = _by_hand_pixels(processor, image, size="none")
        return _classify(model, pixels, interpolate_pos_encoding=True)

    wrong(part7.q2, no_resize, model, processor, says="shape (1, 3, 240, 320)")

    def crop_first(image):
        side = min(image.size)
        left = (image.size[0] - side) // 2
        image = image.convert("RGB").crop((left, 0, left + side, side))
        return _classify(model, processor(image, return_tensors="pt")["pixel_values"])

    nearest = lambda im: _classify(  # noqa: E731
        model, _by_hand_pixels(processor, im, resample=Image.NEAREST)
    )
    imagenet = lambda im: _classify(  # noqa: E731
        model,
        _by_hand_pixels(processor, im, mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    )
    for answer in (crop_first, nearest, imagenet):
        wrong(part7.q2, answer, model, processor, says="another resize, crop, mean or std")

    raw = lambda im: _classify(  # noqa: E731
        model, _by_hand_pixels(processor, im, mean=[0.0] * 3, std=[1 / 255] * 3)
    )
    wrong(part7.q2, raw, model, processor, says="neither rescaled nor normalized")


def test_q2_says_when_the_model_passed_in_never_ran(vit):
    """A top1 that guesses a label without running the model (here: the pipeline's answer
    computed beforehand, so no pipeline runs inside) is refused."""
    model, processor = vit
    labels = {
        m: part7._pipeline_top1(model, processor, part7._test_image(m)) for m in "RGB L".split()
    }
    labels["RGBA"] = part7._pipeline_top1(model, processor, part7._test_image("RGBA"))
    wrong(
        part7.q2, lambda image: labels[image.mode], model, processor, says="did not run the model"
    )


def test_q2_names_pixels_that_were_never_normalized(vit):
    model, processor = vit
    unnormalized = lambda im: _classify(  # noqa: E731
        model, _by_hand_pixels(processor, im, mean=[0.0] * 3, std=[1.0] * 3)
    )
    wrong(part7.q2, unnormalized, model, processor, says="never normalized")


def test_q3_names_a_peak_normalized_output():
    """Review 3: a prepare that scales its output to a peak of 1 was told "twice as loud: do not
    add the channels"; the mix is right, the rescaling is the mistake."""

    def peak_normalized(audio, rate):
        samples = _prepare(audio, rate)
        return samples / abs(samples).max()

    msg = wrong(part7.q3, peak_normalized, says="you rescaled the loudness")
    assert "do not add" not in msg
    right(part7.q3, _prepare)
