"""Lead scoring: pure functions over frozen data (CONTRACT.md section 2).

    model = compile_model(tenant.scoring, reason_max_length=tenant.reason_max_length)  # once per tenant
    ev = evaluate(model, fields, activities, as_of, previous)                          # per person

``scoring`` imports only ``config`` and the standard library: no I/O, no clock (``as_of`` is given).
"""

from scoring.company import fill_from_company
from scoring.engine import evaluate
from scoring.model import Model, compile_model
from scoring.preview import PreviewExample, PreviewReport, compare_models
from scoring.records import Activity, Contribution, Evaluation, Previous

__all__ = [
    "Activity",
    "Contribution",
    "Evaluation",
    "Model",
    "PreviewExample",
    "PreviewReport",
    "Previous",
    "compare_models",
    "compile_model",
    "evaluate",
    "fill_from_company",
]
