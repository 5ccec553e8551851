"""The templating package's exception tree.

TemplateError                  (a ValueError: bad template or data from a caller)
├── TemplateSyntaxError        the source does not parse; carries line and column
├── TemplateRenderError        a helper refused its arguments while rendering
└── TemplateLimitExceeded      a sandbox limit stopped the work
    ├── TemplateTooLarge          the source is longer than allowed
    ├── TemplateTooDeep           blocks or subexpressions nest too deeply
    ├── TemplateOutOfFuel         rendering used up its fuel (a count of work)
    ├── TemplateTimeout           rendering used up its CPU-time budget
    └── TemplateOutputTooLarge    the output (or a value built on the way) passed its cap
"""

from __future__ import annotations


class TemplateError(ValueError):
    """Base class of every error the templating package raises on purpose."""


class _Positioned(TemplateError):
    def __init__(self, reason: str, line: int, column: int) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(f"line {line}, column {column}: {reason}")


class TemplateSyntaxError(_Positioned):
    pass


class TemplateRenderError(_Positioned):
    pass


class TemplateLimitExceeded(TemplateError):
    pass


class TemplateTooLarge(TemplateLimitExceeded):
    pass


class TemplateTooDeep(TemplateLimitExceeded):
    pass


class TemplateOutOfFuel(TemplateLimitExceeded):
    pass


class TemplateTimeout(TemplateLimitExceeded):
    pass


class TemplateOutputTooLarge(TemplateLimitExceeded):
    pass
