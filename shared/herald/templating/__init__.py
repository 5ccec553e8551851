"""Courier-style Handlebars templates, interpreted in a sandbox.

    template = compile_template("Hi {{capitalize name}}")   # parse once (cached)
    template.render({"name": "ada"})                        # "Hi Ada"
    render("Hi {{name}}", data)                             # plain text, one call

Templates see only the data they are given (mappings and lists); parsing and
rendering spend fuel (a deterministic count of work) and CPU time from a
``Budget``, and are bounded in output size, source size and nesting (``Limits``).
Errors are ``TemplateError`` subclasses (see ``errors``). ``{{t "text"}}`` is the
text's translation in the data's ``TRANSLATIONS_KEY`` table, else the text; the
number and date helpers format by the locale at the data's ``LOCALE_KEY``.
"""

from herald.templating.budget import Budget
from herald.templating.errors import (
    TemplateError,
    TemplateLimitExceeded,
    TemplateOutOfFuel,
    TemplateOutputTooLarge,
    TemplateRenderError,
    TemplateSyntaxError,
    TemplateTimeout,
    TemplateTooDeep,
    TemplateTooLarge,
)
from herald.templating.helpers import HELPERS
from herald.templating.limits import DEFAULT_LIMITS, Limits
from herald.templating.template import (
    MAX_RENDERED_CHARS,
    CompiledExpression,
    Template,
    compile_expression,
    compile_template,
    evaluate,
    render,
)
from herald.templating.values import (
    LOCALE_KEY,
    TRANSLATIONS_KEY,
    escape_html,
    public_data,
    to_text,
    truthy,
)

__all__ = [
    "DEFAULT_LIMITS",
    "HELPERS",
    "LOCALE_KEY",
    "MAX_RENDERED_CHARS",
    "TRANSLATIONS_KEY",
    "Budget",
    "CompiledExpression",
    "Limits",
    "Template",
    "TemplateError",
    "TemplateLimitExceeded",
    "TemplateOutOfFuel",
    "TemplateOutputTooLarge",
    "TemplateRenderError",
    "TemplateSyntaxError",
    "TemplateTimeout",
    "TemplateTooDeep",
    "TemplateTooLarge",
    "compile_expression",
    "compile_template",
    "escape_html",
    "evaluate",
    "public_data",
    "render",
    "to_text",
    "truthy",
]
