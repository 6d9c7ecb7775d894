"""The live-tensor tracker moved to course_utils/live_tensors.py (Part 8 measures with it)."""

from course_utils.live_tensors import LiveTensors

__all__ = ["LiveTensors"]
