"""Part 7 exercise checkers: not attempted, right, wrong, and what they print."""

import pytest

from course_utils.exercises import part7


@pytest.fixture
def vit_processor():
    """The same settings as google/vit-base-patch16-224's preprocessor_config.json."""
    from transformers import ViTImageProcessor

    return ViTImageProcessor(size={"height": 224, "width": 224}, image_mean=[0.5] * 3,
                             image_std=[0.5] * 3)


@pytest.fixture
def whisper_fe():
    from transformers import WhisperFeatureExtractor

    return WhisperFeatureExtractor(feature_size=80)


def test_q1_batch_shape(vit_processor, capsys):
    assert part7.q1.check((3, 3, 224, 224), vit_processor) is True
    assert "correct" in capsys.readouterr().out
    assert part7.q1.check([3, 3, 224, 224], vit_processor) is True  # a list is fine too
    assert part7.q1.check((3, 224, 224, 3), vit_processor) is False  # channels last
    assert "channels" in capsys.readouterr().out
    assert part7.q1.check((1, 3, 224, 224), vit_processor) is False
    assert "batch" in capsys.readouterr().out
    assert part7.q1.check((3, 3, 224, 224)) is False
    assert "processor" in capsys.readouterr().out


def test_q1_matches_the_processor(vit_processor):
    """The expected shape is what the processor really returns for 3 odd-sized images."""
    import numpy as np
    from PIL import Image

    images = [Image.fromarray(np.zeros((h, w, 3), dtype=np.uint8)) for h, w in
              ((100, 80), (300, 200), (224, 500))]
    shape = tuple(vit_processor(images, return_tensors="pt")["pixel_values"].shape)
    assert part7.q1.check(shape, vit_processor) is True


def test_q1_reads_the_size(capsys):
    from transformers import ViTImageProcessor

    small = ViTImageProcessor(size={"height": 96, "width": 96})
    assert part7.q1.check((3, 3, 96, 96), small) is True
    assert part7.q1.check((3, 3, 224, 224), small) is False


def test_q2_normalize(vit_processor, capsys):
    assert part7.q2.check(-0.6, vit_processor) is True
    assert "correct" in capsys.readouterr().out
    assert part7.q2.check(0.2, vit_processor) is False  # rescaled only
    assert "normalize" in capsys.readouterr().out
    assert part7.q2.check(51, vit_processor) is False
    assert "too high" in capsys.readouterr().out


def test_q2_matches_the_processor(vit_processor):
    """The expected value is what the processor writes for a flat image of that value."""
    import numpy as np
    from PIL import Image

    img = Image.fromarray(np.full((224, 224, 3), part7.Q2_PIXEL, dtype=np.uint8))
    value = vit_processor(img, return_tensors="pt")["pixel_values"][0, 0, 0, 0].item()
    assert part7.q2.check(value, vit_processor) is True


def test_q2_reads_mean_and_std(capsys):
    from transformers import ViTImageProcessor

    imagenet = ViTImageProcessor(image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    expected = (51 / 255 - 0.485) / 0.229
    assert part7.q2.check(expected, imagenet) is True
    assert part7.q2.check(-0.6, imagenet) is False


def test_q3_frames_per_second(whisper_fe, capsys):
    assert part7.q3.check(100, whisper_fe) is True
    assert "correct" in capsys.readouterr().out
    assert part7.q3.check(0.01, whisper_fe) is False
    assert "seconds per column" in capsys.readouterr().out
    assert part7.q3.check(3000, whisper_fe) is False
    assert part7.q3.check(100) is False
    assert "feature extractor" in capsys.readouterr().out


def test_q3_matches_the_features(whisper_fe):
    """30 s of audio gives 30 x the answer columns."""
    import numpy as np

    feats = whisper_fe(np.zeros(16_000 * 30, dtype=np.float32), sampling_rate=16_000,
                       return_tensors="np")["input_features"]
    assert part7.q3.check(feats.shape[-1] / 30, whisper_fe) is True
