"""``compare_models``: what a new scoring model would change, before it is applied.

Both models are evaluated for every person with the same inputs, ``as_of`` and previous state. The
report counts status transitions (``lead->mql``, ``mql->disqualified``, ``mql->mql (kept)`` when only
stickiness keeps a person MQL under the new model), keeps a few examples of each changed transition
with both reasons, and counts, per output field, the people whose value would change (each such
change is a write to the CRM).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from scoring.engine import evaluate
from scoring.model import Model
from scoring.records import Activity, Evaluation, Previous

OUTPUT_FIELDS = ("fit", "engagement", "score", "grade", "status", "mql_at", "mql_reason")
KEPT_SUFFIX = " (kept)"

Person = tuple[Any, Mapping[str, Any], Sequence[Activity], Previous | None]


@dataclass(frozen=True, slots=True)
class PreviewExample:
    id: Any
    old: Evaluation
    new: Evaluation

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id,
                "old": {"status": self.old.status, "score": self.old.score, "mql_reason": self.old.mql_reason},
                "new": {"status": self.new.status, "score": self.new.score, "mql_reason": self.new.mql_reason}}


@dataclass(frozen=True, slots=True)
class PreviewReport:
    """``transitions``: "old->new" -> people (every pair, unchanged ones included); ``examples``: up to
    ``max_examples`` per transition that changes something; ``changed_fields``: output -> people whose
    value differs."""

    old_version: str
    new_version: str
    people: int
    transitions: dict[str, int]
    examples: dict[str, tuple[PreviewExample, ...]]
    changed_fields: dict[str, int]

    @property
    def status_changes(self) -> int:
        return sum(n for key, n in self.transitions.items() if _changed(key))

    def to_dict(self) -> dict[str, Any]:
        return {"old_version": self.old_version, "new_version": self.new_version, "people": self.people,
                "transitions": self.transitions,
                "examples": {k: [e.to_dict() for e in v] for k, v in self.examples.items()},
                "changed_fields": self.changed_fields}


def compare_models(old: Model, new: Model, people: Iterable[Person], as_of: date,
                   max_examples: int = 5) -> PreviewReport:
    """Evaluate every person under both models; count and sample what would change."""
    transitions: dict[str, int] = {}
    examples: dict[str, list[PreviewExample]] = {}
    changed = dict.fromkeys(OUTPUT_FIELDS, 0)
    count = 0
    for person_id, fields, activities, previous in people:
        count += 1
        before = evaluate(old, fields, activities, as_of, previous)
        after = evaluate(new, fields, activities, as_of, previous)
        key = transition(before, after)
        transitions[key] = transitions.get(key, 0) + 1
        if _changed(key):
            sample = examples.setdefault(key, [])
            if len(sample) < max_examples:
                sample.append(PreviewExample(person_id, before, after))
        for name in OUTPUT_FIELDS:
            if getattr(before, name) != getattr(after, name):
                changed[name] += 1
    return PreviewReport(
        old_version=old.version, new_version=new.version, people=count,
        transitions=dict(sorted(transitions.items())),
        examples={k: tuple(v) for k, v in sorted(examples.items())},
        changed_fields=changed,
    )


def transition(before: Evaluation, after: Evaluation) -> str:
    """``lead->mql``; ``mql->mql (kept)`` when the new model keeps MQL only by stickiness."""
    key = f"{before.status}->{after.status}"
    if after.kept and not before.kept:
        key += KEPT_SUFFIX
    return key


def _changed(key: str) -> bool:
    old, _, new = key.partition("->")
    return old != new or key.endswith(KEPT_SUFFIX)
