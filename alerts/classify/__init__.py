"""Attack-report classifier and incident coder.

``classify(title, text, lang=None, published=None)`` returns an ``alerts.models.Verdict``. It is pure
Python over the lexicons in ``config/lexicons`` and the fitted ``model.json``; the first call builds a
cached default ``Classifier`` (about a second, mostly the gazetteer). The daemon's ``[classifier]
threshold`` setting is honoured by building ``Classifier(threshold=...)`` once, or by passing
``threshold=`` here (one cached instance per threshold value).
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from alerts.classify.classifier import DEFAULT_THRESHOLD, Classifier
from alerts.models import Verdict

__all__ = ["DEFAULT_THRESHOLD", "Classifier", "classify", "get_classifier"]


@lru_cache(maxsize=4)
def get_classifier(threshold: float = DEFAULT_THRESHOLD) -> Classifier:
    """A process-wide classifier for this threshold (built on first use)."""
    return Classifier(threshold=threshold)


def classify(
    title: str,
    text: str,
    lang: str | None = None,
    published: datetime | date | None = None,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> Verdict:
    """Classify one document; see the module docstring."""
    return get_classifier(threshold).classify(title, text, lang=lang, published=published)
