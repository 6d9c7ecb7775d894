"""Make the small assets of Part 7 (notebooks/assets/): an image and a spoken clip.

Everything is made here, nothing is downloaded:

* ``clock.png``: an analog clock at ten past ten, drawn with Pillow (320x240, RGB).
  It is not square on purpose: Part 7 shows the ViT image processor squashing it to 224x224.
* ``hello.wav`` + ``hello.txt``: a short sentence spoken by the espeak-ng speech synthesizer,
  resampled with SoX to 16 kHz mono 16-bit PCM, the format Whisper's feature extractor expects.
  ``hello.txt`` holds the sentence that was spoken (the reference transcript).

Run from the repository root:  python scripts/make_assets.py
Needs Pillow, plus the ``espeak-ng`` and ``sox`` programs for the audio
(Debian/Ubuntu: ``apt-get install espeak-ng sox``). Both files are committed, so learners
never need to run this.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from PIL import Image, ImageDraw

ASSETS = Path(__file__).resolve().parent.parent / "notebooks" / "assets"

SENTENCE = "Hello! This short clip was made for the Practical PyTorch course."
VOICE = "en-us"  # espeak-ng voice
SPEED_WPM = 150  # espeak-ng words per minute
SAMPLE_RATE = 16_000  # what Whisper expects; the notebook reads it with `wave` + numpy


def draw_clock(path: Path, width: int = 320, height: int = 240, scale: int = 4) -> None:
    """Draw the clock at ``scale`` times the size, then shrink it: cheap anti-aliasing."""
    W, H = width * scale, height * scale
    img = Image.new("RGB", (W, H), (205, 226, 240))  # a pale blue wall
    d = ImageDraw.Draw(img)
    cx, cy, r = W // 2, H // 2, int(0.42 * H)
    d.ellipse(
        [cx - r - 6 * scale, cy - r - 6 * scale, cx + r + 6 * scale, cy + r + 6 * scale],
        fill=(40, 40, 40),
    )  # the rim
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=(250, 250, 245))  # the face
    for i in range(60):  # minute and hour ticks
        a = math.radians(i * 6)
        outer, inner = r * 0.95, r * (0.80 if i % 5 == 0 else 0.89)
        w = (4 if i % 5 == 0 else 1) * scale
        d.line(
            [
                cx + inner * math.sin(a),
                cy - inner * math.cos(a),
                cx + outer * math.sin(a),
                cy - outer * math.cos(a),
            ],
            fill=(30, 30, 30),
            width=w,
        )

    def hand(angle_deg: float, length: float, width: int, colour: tuple[int, int, int]) -> None:
        a = math.radians(angle_deg)
        d.line(
            [
                cx - 0.12 * length * math.sin(a),
                cy + 0.12 * length * math.cos(a),
                cx + length * math.sin(a),
                cy - length * math.cos(a),
            ],
            fill=colour,
            width=width * scale,
        )

    hand(10 * 30 + 10 * 0.5, r * 0.50, 6, (20, 20, 20))  # hour hand at 10:10
    hand(10 * 6, r * 0.78, 4, (20, 20, 20))  # minute hand
    hand(30 * 6, r * 0.85, 1, (200, 30, 30))  # second hand at :30
    d.ellipse([cx - 5 * scale, cy - 5 * scale, cx + 5 * scale, cy + 5 * scale], fill=(200, 30, 30))
    img = img.resize((width, height), Image.LANCZOS)
    img.save(path, optimize=True)


def speak(wav_path: Path, txt_path: Path) -> None:
    """Synthesize SENTENCE with espeak-ng, then resample to 16 kHz mono 16-bit with SoX."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not installed. On Debian/Ubuntu: apt-get install espeak-ng sox")
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"  # espeak-ng writes 22.05 kHz
        subprocess.run(
            ["espeak-ng", "-v", VOICE, "-s", str(SPEED_WPM), "-w", str(raw), SENTENCE], check=True
        )
        subprocess.run(
            [
                "sox",
                str(raw),
                "-r",
                str(SAMPLE_RATE),
                "-c",
                "1",
                "-b",
                "16",
                str(wav_path),
                "gain",
                "-n",
                "-3",
            ],
            check=True,
        )  # peak at -3 dBFS
    txt_path.write_text(SENTENCE + "\n")
    with wave.open(str(wav_path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (SAMPLE_RATE, 1, 2)


def main() -> None:
    ASSETS.mkdir(parents=True, exist_ok=True)
    draw_clock(ASSETS / "clock.png")
    speak(ASSETS / "hello.wav", ASSETS / "hello.txt")
    for p in sorted(ASSETS.glob("*")):
        print(f"{p.name:12s} {p.stat().st_size:>8,d} bytes")


if __name__ == "__main__":
    main()
