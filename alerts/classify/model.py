"""Pure-Python inference for the fitted sentence model (alerts/classify/model.json).

The model is a logistic regression over the binary features of one candidate sentence (features.py).
A document's raw score is its best sentence's logit; a Platt scaling fitted on out-of-fold scores
turns that into a calibrated probability. No scikit-learn or numpy at classify time.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "model.json"
# Logit given to a document with no candidate sentence: it names no humanitarian target in a victim
# role next to violence, so it cannot be an attack report whatever else it says.
NO_UNIT_LOGIT = -8.0


def sigmoid(x: float) -> float:
    """Numerically safe logistic function."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


@dataclass(slots=True)
class SentenceModel:
    """Weights of the unit-level logistic regression and the document-level calibration."""

    weights: dict[str, float]
    bias: float
    platt_a: float = 1.0
    platt_b: float = 0.0
    meta: dict[str, object] = field(default_factory=dict)

    def logit(self, feats: dict[str, float]) -> float:
        """Raw score of one unit."""
        w = self.weights
        return self.bias + sum(w.get(k, 0.0) * v for k, v in feats.items())

    def calibrate(self, logit: float) -> float:
        """Document probability from the best unit logit."""
        return sigmoid(self.platt_a * logit + self.platt_b)

    def to_json(self) -> dict[str, object]:
        """Serialisable form; weights rounded to keep the committed file small and diff-able."""
        return {
            "meta": self.meta,
            "bias": round(self.bias, 6),
            "platt": [round(self.platt_a, 6), round(self.platt_b, 6)],
            "weights": {k: round(v, 5) for k, v in sorted(self.weights.items()) if abs(v) >= 1e-4},
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> SentenceModel:
        """Inverse of ``to_json``."""
        platt = data.get("platt") or [1.0, 0.0]
        assert isinstance(platt, list)
        weights = data.get("weights") or {}
        assert isinstance(weights, dict)
        meta = data.get("meta") or {}
        assert isinstance(meta, dict)
        bias = data.get("bias", 0.0)
        assert isinstance(bias, int | float)
        return cls(
            weights={str(k): float(v) for k, v in weights.items()},
            bias=float(bias),
            platt_a=float(platt[0]),
            platt_b=float(platt[1]),
            meta=meta,
        )


LEXICAL_PREFIXES = ("w:", "b:")
LEXICAL_LANGS: tuple[str, ...] = ("en", "ar")


@dataclass(slots=True)
class ModelSet:
    """Two fitted sentence models and which languages use which.

    ``lexical`` also weighs the sentence's words and is used for languages with enough labelled
    positives (English, Arabic). ``core`` sees only the language-independent lexicon features (target role,
    violence type, proximity, neutral spans, cues), so what it learnt from English notes carries over
    to French, Spanish and Arabic, whose dev rows are nearly all negatives and would otherwise teach
    their words "never an attack".
    """

    lexical: SentenceModel
    core: SentenceModel
    lexical_langs: tuple[str, ...] = LEXICAL_LANGS
    meta: dict[str, object] = field(default_factory=dict)

    def for_lang(self, lang: str | None) -> SentenceModel:
        """The model that judges documents in ``lang``."""
        return self.lexical if lang in self.lexical_langs else self.core

    def to_json(self) -> dict[str, object]:
        """Serialisable form."""
        return {
            "meta": self.meta,
            "lexical_langs": list(self.lexical_langs),
            "models": {"lexical": self.lexical.to_json(), "core": self.core.to_json()},
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ModelSet:
        """Inverse of ``to_json``."""
        models = data["models"]
        assert isinstance(models, dict)
        langs = data.get("lexical_langs") or ["en"]
        assert isinstance(langs, list)
        meta = data.get("meta") or {}
        assert isinstance(meta, dict)
        return cls(
            lexical=SentenceModel.from_json(models["lexical"]),
            core=SentenceModel.from_json(models["core"]),
            lexical_langs=tuple(str(x) for x in langs),
            meta=meta,
        )

    @classmethod
    def load(cls, path: Path | str | None = None) -> ModelSet:
        """Read model.json (or another path)."""
        with Path(path or MODEL_PATH).open(encoding="utf-8") as fh:
            return cls.from_json(json.load(fh))

    def save(self, path: Path | str | None = None) -> None:
        """Write model.json, one weight per line so diffs stay readable."""
        Path(path or MODEL_PATH).write_text(
            json.dumps(self.to_json(), ensure_ascii=False, indent=0) + "\n", encoding="utf-8"
        )
