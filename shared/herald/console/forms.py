"""A console form's refusal, shown in place: the service's first field error, put beside the
form's input for that field (or above the form, when it names none of its inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from herald.errors import ValidationFailed


@dataclass(frozen=True)
class FormProblem:
    field: str  # the form's input at fault, or "" when the error names none of them
    text: str  # the API's field and reason, as the API's 400 names them


def problem_of(exc: ValidationFailed, inputs: Mapping[str, str]) -> FormProblem:
    """``inputs`` maps the API's field names (a dotted path, or its start) to the form's
    inputs; the first error's field is named as the API names it."""
    first = exc.errors[0] if exc.errors else None
    if first is None:
        return FormProblem("", str(exc))
    text = f"{first.field}: {first.reason}"
    for api_field, form_input in inputs.items():
        if first.field == api_field or first.field.startswith(api_field + "."):
            return FormProblem(form_input, text)
    return FormProblem("", text)
