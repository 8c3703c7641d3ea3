"""Fit the sentence model on ../shared/corpus/dev.jsonl and write alerts/classify/model.json (`make train`).

``--labels FILE`` (repeatable; ``make train LABELS=FILE``) adds the rows of an ``aidwatch labels export``
(wrong-alert feedback, format in docs/classifier.md) to the corpus; rows whose answers give no label
(``"label": null``) are read and left out.

Training is multiple-instance learning: a document is a bag of candidate sentences and is positive when
at least one of them reports an attack. Round 1 labels every candidate sentence with its document's
label; later rounds keep, for positive documents, only the sentences the model believes (the best one
and any scoring above zero), so background sentences of positive reports stop teaching the model that
background is evidence. scikit-learn is used here only; inference is pure Python (model.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from alerts.classify.features import analyse
from alerts.classify.lexicon import lexicon_versions, load_lexicon
from alerts.classify.model import LEXICAL_LANGS, LEXICAL_PREFIXES, MODEL_PATH, NO_UNIT_LOGIT, ModelSet, SentenceModel

REPO = Path(__file__).resolve().parents[2]
DEV_PATH = REPO / ".." / "shared" / "corpus" / "dev.jsonl"
C_REG = 0.5  # inverse L2 strength, chosen by grouped CV (see docs/classifier.md)
MIN_DF = 2  # a word seen in a single training sentence carries no generalisable signal
MIL_ROUNDS = 2
SEED = 13

Bag = list[dict[str, float]]


def load_rows(path: Path | str = DEV_PATH) -> list[dict]:
    """Read a JSON-lines corpus file."""
    with Path(path).open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_label_rows(path: Path | str) -> tuple[list[dict], int]:
    """The usable rows of an ``aidwatch labels export`` file (label 0 or 1) and how many rows it had."""
    rows = load_rows(path)
    for number, row in enumerate(rows, 1):
        missing = [key for key in ("id", "text", "label") if key not in row]
        if missing:
            raise ValueError(f"{path}: line {number}: missing {', '.join(missing)}")
    return [r for r in rows if r["label"] in (0, 1)], len(rows)


def group_key(row: dict) -> str:
    """Rows that may describe one incident share a key, so they never straddle CV folds.

    The corpus is already de-duplicated at word-bigram Jaccard 0.7; what remains are separate notes on
    the same day and country (often the same event seen by two sources), kept together here.
    """
    if row.get("date") and row.get("country") and len(str(row["date"])) >= 10:
        return f"{row['date']}|{str(row['country']).lower()}"
    return str(row["id"])


def bag_of(row: dict) -> Bag:
    """Candidate-sentence feature dicts of one corpus row."""
    lex = load_lexicon(row.get("lang") or "en")
    return [u.feats for u in analyse(row.get("title") or "", row.get("text") or "", lex).units]


def _prune(bags: Sequence[Bag]) -> set[str]:
    df: Counter[str] = Counter()
    for bag in bags:
        seen: set[str] = set()
        for feats in bag:
            seen.update(feats)
        df.update(seen)
    return {f for f, n in df.items() if n >= MIN_DF or not f.startswith(("w:", "b:"))}


def fit_units(bags: Sequence[Bag], labels: Sequence[int], c_reg: float = C_REG, lexical: bool = True) -> SentenceModel:
    """Multiple-instance logistic regression over candidate sentences (no calibration yet).

    With ``lexical=False`` the words of the sentence are left out (the ``core`` model).
    """
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vocab = _prune(bags)
    if not lexical:
        vocab = {f for f in vocab if not f.startswith(LEXICAL_PREFIXES)}
    model: SentenceModel | None = None
    for _round in range(MIL_ROUNDS):
        xs: list[dict[str, float]] = []
        ys: list[int] = []
        for bag, y in zip(bags, labels, strict=True):
            if not bag:
                continue
            if y and model is not None:
                scores = [model.logit(f) for f in bag]
                best = max(range(len(bag)), key=lambda i: scores[i])
                keep = [f for i, f in enumerate(bag) if i == best or scores[i] > 0]
            else:
                keep = list(bag)
            for feats in keep:
                xs.append({k: v for k, v in feats.items() if k in vocab})
                ys.append(int(y))
        if len(set(ys)) < 2:
            # A tiny training set can lack negatives with a candidate sentence; an empty one stands in.
            missing = 0 if ys and ys[0] == 1 else 1
            xs.append({})
            ys.append(missing)
        vec = DictVectorizer()
        x = vec.fit_transform(xs)
        clf = LogisticRegression(C=c_reg, max_iter=2000, class_weight="balanced")
        clf.fit(x, ys)
        names = vec.get_feature_names_out()
        model = SentenceModel(
            weights={str(n): float(w) for n, w in zip(names, clf.coef_[0], strict=True)},
            bias=float(clf.intercept_[0]),
        )
    assert model is not None
    return model


def doc_logit(model: SentenceModel, bag: Bag) -> float:
    """A document's raw score: its best candidate sentence."""
    return max((model.logit(f) for f in bag), default=NO_UNIT_LOGIT)


def fit_platt(logits: Sequence[float], labels: Sequence[int]) -> tuple[float, float]:
    """Platt scaling of document logits to probabilities."""
    from sklearn.linear_model import LogisticRegression

    if len(set(labels)) < 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=100.0)
    lr.fit([[v] for v in logits], list(labels))
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def folds(rows: Sequence[dict], k: int = 5, seed: int = SEED) -> list[tuple[list[int], list[int]]]:
    """Stratified, grouped k-fold split (indices), grouping by ``group_key``."""
    from sklearn.model_selection import StratifiedGroupKFold

    y = [int(r["label"]) for r in rows]
    groups = [group_key(r) for r in rows]
    skf = StratifiedGroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return [(list(a), list(b)) for a, b in skf.split(list(range(len(rows))), y, groups)]


def train_calibrated(rows: Sequence[dict], bags: Sequence[Bag], c_reg: float = C_REG) -> ModelSet:
    """Fit both models on all rows; Platt scaling comes from 3-fold grouped out-of-fold logits.

    The lexical model is calibrated on the rows of the languages it serves, the core model on all rows.
    """
    labels = [int(r["label"]) for r in rows]
    langs = LEXICAL_LANGS
    oof_lex = [0.0] * len(rows)
    oof_core = [0.0] * len(rows)
    for tr, te in folds(rows, k=3, seed=SEED + 1):
        tb, tl = [bags[i] for i in tr], [labels[i] for i in tr]
        m_lex = fit_units(tb, tl, c_reg, lexical=True)
        m_core = fit_units(tb, tl, c_reg, lexical=False)
        for i in te:
            oof_lex[i] = doc_logit(m_lex, bags[i])
            oof_core[i] = doc_logit(m_core, bags[i])
    lexical = fit_units(bags, labels, c_reg, lexical=True)
    core = fit_units(bags, labels, c_reg, lexical=False)
    served = [i for i, r in enumerate(rows) if r.get("lang") in langs] or list(range(len(rows)))
    lexical.platt_a, lexical.platt_b = fit_platt([oof_lex[i] for i in served], [labels[i] for i in served])
    core.platt_a, core.platt_b = fit_platt(oof_core, labels)
    return ModelSet(lexical=lexical, core=core, lexical_langs=langs)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m alerts.classify.train``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(DEV_PATH), help="labelled JSON lines (default: ../shared corpus)")
    ap.add_argument("--out", default=str(MODEL_PATH), help="where to write the fitted model")
    ap.add_argument("--c", type=float, default=C_REG, help="inverse regularisation strength")
    ap.add_argument(
        "--labels", action="append", default=[], metavar="FILE", help="`aidwatch labels export` output to add"
    )
    args = ap.parse_args(argv)
    for path in [args.data, *args.labels]:
        if not Path(path).exists():
            print(f"training data not found: {path} (the corpus lives in ../shared)", file=sys.stderr)
            return 2
    rows = load_rows(args.data)
    corpus_rows = len(rows)
    label_meta = []
    for path in args.labels:
        try:
            extra, read = load_label_rows(path)
        except (ValueError, json.JSONDecodeError) as exc:
            print(f"unusable labels file: {exc}", file=sys.stderr)
            return 2
        rows += extra
        label_meta.append({"file": Path(path).name, "rows": read, "used": len(extra)})
        print(f"read {read} label rows from {path} ({len(extra)} used for training)")
    bags = [bag_of(r) for r in rows]
    model = train_calibrated(rows, bags, args.c)
    model.meta = {
        "trained_on": Path(args.data).name,
        "rows": len(rows),
        "corpus_rows": corpus_rows,
        "labels": label_meta,
        "c": args.c,
        "lexicons": lexicon_versions(),
    }
    model.save(args.out)
    print(f"wrote {args.out}: lexical {len(model.lexical.weights)} weights, core {len(model.core.weights)} weights")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
