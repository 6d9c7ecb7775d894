"""Errors that course_utils raises on purpose.

Each one says what went wrong and the next step, in words a learner can act on.
Catch ``CourseError`` to catch all of them.
"""

from __future__ import annotations


class CourseError(Exception):
    """Base class of every error course_utils raises on purpose."""


class BadInputError(CourseError, ValueError):
    """An argument is not one of the values a helper accepts (the message lists them)."""


class NoGPUError(CourseError):
    """A step needs a CUDA GPU and this runtime has none."""


class MissingPackageError(CourseError, ImportError):
    """A package a step needs is not installed (the message gives the install line)."""


class ModelNotFoundError(CourseError, OSError):
    """The model id or folder cannot be found here (typo, private repo, or not cached offline)."""


class OfflineError(CourseError, ConnectionError):
    """The step needs the Hugging Face Hub and this machine cannot reach it."""


class NotLoggedInError(CourseError):
    """The Hub needs a token for this model and none was found."""


class GatedModelError(CourseError):
    """The model is gated: its terms must be accepted on its Hub page first."""


class LicenseError(CourseError):
    """The model's license does not allow the use you asked for."""


class UnsafeCheckpointError(CourseError):
    """The checkpoint is only offered as a pickle file, which can run code when loaded."""


class WontFitError(CourseError, MemoryError):
    """The model will not fit in the memory available (the message names the next lever)."""
