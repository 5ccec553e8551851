import pytest

from herald.templating import TemplateError, TemplateSyntaxError, compile_template


@pytest.mark.parametrize(
    ("source", "line", "column", "reason"),
    [
        ("{{#if}}x{{/if}}", 1, 1, "#if takes exactly one argument, got 0"),
        ("a\n  {{#if a}}", 2, 3, "{{#if}} is never closed"),
        ("hi\n  {{#each a}}{{/with}}", 2, 14, "{{/with}} does not close {{#each}}"),
        ("{{x}} {{foo bar}}", 1, 7, "unknown helper 'foo'"),
        ("{{eq 1}}", 1, 1, "eq takes 2 arguments, got 1"),
        ("{{#uppercase a}}{{/uppercase}}", 1, 1, "uppercase is not a block helper"),
        ("{{if a}}", 1, 1, "if is a block helper"),
        ("{{else}}", 1, 1, "{{else}} outside a block"),
        ("{{/if}}", 1, 1, "closing tag opens no block"),
        ("{{#if a}}1{{else}}2{{else}}3{{/if}}", 1, 20, "a second {{else}}"),
        ("{{name", 1, 1, "tag is never closed"),
        ("{{{name}}", 1, 1, "tag is not closed with }}}"),
        ('{{concat "abc}}', 1, 10, "string is never closed"),
        ("{{concat (eq 1 2}}", 1, 10, "( is never closed"),
        ("{{a.}}", 1, 3, "a path needs a name"),
        ("{{a.../b}}", 1, 5, ".. may only start a path"),
        ("{{! never", 1, 1, "comment is never closed"),
        ("{{> partial}}", 1, 1, "partials ({{> name}}) are not supported"),
        ("{{#each a as |x|}}{{/each}}", 1, 14, "block parameters"),
        ("{{a = b}}", 1, 5, "unexpected '='"),
        ("{{a.b c}}", 1, 1, "only a helper name can take arguments"),
        ("{{concat a=1 b}}", 1, 14, "positional arguments must come before key=value ones"),
    ],
)
def test_syntax_errors_name_line_column_and_reason(
    source: str, line: int, column: int, reason: str
) -> None:
    with pytest.raises(TemplateSyntaxError) as caught:
        compile_template(source)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"line {line}, column {column}: ")


def test_template_errors_are_value_errors() -> None:
    assert issubclass(TemplateError, ValueError)
