"""Herald's own HTML (the public pages, the email layout): Jinja2 templates, autoescaped.

Every value a template writes is escaped unless it is ``Markup`` already, so a
tenant's or a recipient's text cannot become tags or leave an attribute; the
templates themselves are Herald's files, shipped in each function's archive
(``templates/`` beside the module that renders them), never a tenant's.
"""

from __future__ import annotations

import functools
from typing import Any

import jinja2


@functools.cache
def _environment(package: str) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,  # every template, whatever its name: HTML is all there is
        undefined=jinja2.StrictUndefined,  # a misspelt name fails, never renders empty
        # Block tags leave no blank lines or indentation behind them.
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(package: str, name: str, **values: Any) -> str:
    """``package``'s ``templates/<name>``, filled with ``values`` (escaped as they are written)."""
    return _environment(package).get_template(name).render(**values)
