"""One way to show user text: every Streamlit call in pages/ and app.py that renders its text as
Markdown (bodies, alerts, toasts, widget and expander labels, tabs, help texts, metric labels,
radio options, st.table) gets a literal or what pages/ui/shown.py builds – never raw text. The
sweep reads the source (ast), so a new page or a new call is covered the day it is written; the
allow-list below names the few builders whose result cannot carry markup."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from .helpers import streamlit_markdown

from pages.ui.shown import Shown, md, md_join, plain, shown_frame

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([ROOT / "app.py", *(ROOT / "pages").rglob("*.py")])
# The builders themselves: the root of trust, read by a person (and tested below), not swept.
BUILDERS = "pages/ui/shown.py"

# Streamlit elements whose first argument (or body=/label=) is rendered as Markdown.
BODY = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
        "toast", "write", "badge", "button", "download_button", "form_submit_button", "link_button",
        "checkbox", "toggle", "radio", "selectbox", "multiselect", "text_input", "text_area",
        "number_input", "date_input", "time_input", "slider", "select_slider", "file_uploader",
        "color_picker", "expander", "popover", "metric", "pills", "segmented_control", "camera_input"}
# Keywords rendered as Markdown wherever they appear; page_link's label is its second argument.
MARKDOWN_KEYWORDS = {"body", "label", "help"}
# Option labels rendered as Markdown (select boxes and multiselects show theirs as text).
MARKDOWN_OPTIONS = {"radio", "pills", "segmented_control"}
# Builders whose result carries no markup: the escaping ones and those of numbers, dates and the
# fixed German vocabulary (registry labels and definitions are code, not user text).
SAFE_BUILDERS = {"plain", "md", "fmt_date", "fmt_moment", "fmt_day", "fmt_int", "fmt_percent",
                 "yes_no", "label",
                 "definition", "plural", "len", "action_label"}
# st.html runs HTML: only literals, and values json.dumps / a random token made.
HTML_BUILDERS = {"dumps", "token_hex"}
# Grid columns that would turn a cell into a link or an image.
FORBIDDEN = {"LinkColumn", "ImageColumn"}


def _scopes(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each node's enclosing function (or the module)."""
    owner: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, scope: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            owner[child] = scope
            visit(child, child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                  else scope)
    visit(tree, tree)
    return owner


class Checker:
    """Whether an expression can only hold literal text or text built by the allowed builders."""

    def __init__(self, tree: ast.Module, builders: set[str]) -> None:
        self.owner = _scopes(tree)
        self.builders = builders
        self.assigned: dict[tuple[ast.AST, str], list[ast.AST | None]] = {}
        for node in ast.walk(tree):
            scope = self.owner.get(node, tree)
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):  # a tuple target: its parts are unknown
                            value = node.value if isinstance(target, ast.Name) else None
                            self.assigned.setdefault((scope, name.id), []).append(value)
            elif isinstance(node, ast.For | ast.comprehension | ast.withitem | ast.NamedExpr):
                target = node.optional_vars if isinstance(node, ast.withitem) else node.target
                fixed = _fixed_names(node.target, node.iter) if isinstance(node, ast.For) else set()
                for name in ast.walk(target) if target else []:
                    if isinstance(name, ast.Name):
                        self.assigned.setdefault((scope, name.id), []).append(
                            ast.Constant("") if name.id in fixed else None)
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
                    shown = isinstance(arg.annotation, ast.Name | ast.Constant) and \
                        getattr(arg.annotation, "id", getattr(arg.annotation, "value", "")) == "Shown"
                    self.assigned.setdefault((node, arg.arg), []).append(
                        ast.Constant("Shown") if shown else None)

    def safe(self, node: ast.AST | None, seen: frozenset[int] = frozenset()) -> bool:
        if node is None or id(node) in seen:
            return False
        seen |= {id(node)}
        match node:
            case ast.Constant():
                return True
            case ast.JoinedStr(values=values):
                return all(self.safe(v, seen) for v in values)
            case ast.FormattedValue(value=value, format_spec=spec):
                # A date or number format ("%d.%m.%Y", ",d", ".1f") raises on a str: no text.
                return self.safe(value, seen) or spec is not None and _typed_format(spec)
            case ast.BinOp(op=ast.Add(), left=left, right=right):
                return self.safe(left, seen) and self.safe(right, seen)
            case ast.BinOp(op=ast.Mod(), left=left, right=right):
                return self.safe(left, seen) and self.safe(right, seen)
            case ast.IfExp(body=body, orelse=orelse):
                return self.safe(body, seen) and self.safe(orelse, seen)
            case ast.BoolOp(values=values):
                return all(self.safe(v, seen) for v in values)
            case ast.List(elts=elts) | ast.Tuple(elts=elts):
                return all(self.safe(e, seen) for e in elts)
            case ast.Dict(values=values):
                return all(self.safe(v, seen) for v in values)
            case ast.GeneratorExp(elt=elt) | ast.ListComp(elt=elt):
                return self.safe(elt, seen)
            case ast.Call(func=ast.Attribute(attr="join", value=ast.Constant()), args=[items]):
                return self.safe(items, seen)
            case ast.Call(func=ast.Name(id="md" | "md_join") | ast.Attribute(attr="md" | "md_join"),
                          args=[template, *_]):
                return isinstance(template, ast.Constant)  # a literal template; values are escaped
            case ast.Call(func=ast.Name(id=name) | ast.Attribute(attr=name)):
                return name in self.builders
            case ast.Attribute(attr="label"):  # the German vocabulary (enums, registry, periods)
                return True
            case ast.Subscript(value=ast.Name(id=name)) if name.lstrip("_").isupper():
                return True  # a fixed table of words (WEEKDAYS[d])
            case ast.Name(id=name):
                if name.lstrip("_").isupper():
                    return True  # a module constant
                scope = self.owner.get(node)
                while scope is not None:
                    if (scope, name) in self.assigned:
                        return all(self.safe(v, seen) for v in self.assigned[(scope, name)])
                    scope = self.owner.get(scope)
                return False
        return False


def _fixed_names(target: ast.AST, iterated: ast.AST) -> set[str]:
    """Loop variables that take only literal values: `for a, b in ((…), …)`, or their part of a
    `zip(columns, ((…), …))`."""
    def literal(node: ast.AST) -> bool:
        return all(isinstance(n, ast.Constant | ast.Tuple | ast.List | ast.Load) for n in ast.walk(node))

    def names(node: ast.AST) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    if literal(iterated):
        return names(target)
    if isinstance(iterated, ast.Call) and getattr(iterated.func, "id", None) == "zip" \
            and isinstance(target, ast.Tuple) and len(target.elts) == len(iterated.args):
        return {n for part, source in zip(target.elts, iterated.args, strict=True) if literal(source)
                for n in names(part)}
    return set()


def _typed_format(spec: ast.JoinedStr) -> bool:
    text = "".join(v.value for v in spec.values if isinstance(v, ast.Constant))
    return "%" in text or text[-1:] in set("bcdeEfFgGnoxX")


def _call_name(call: ast.Call) -> str | None:
    """The called element's name; of `(st.success if ok else st.warning)(…)` the first that
    renders Markdown."""
    funcs = [call.func.body, call.func.orelse] if isinstance(call.func, ast.IfExp) else [call.func]
    names = [f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else None
             for f in funcs]
    return next((n for n in names if n in BODY), names[0])


ShownFunctions = tuple[set[str], dict[str, tuple[list[str], set[str]]]]


def _shown_functions(trees: dict[Path, ast.Module]) -> ShownFunctions:
    """Project functions that return Shown (their results are safe, their returns are checked)
    and those with parameters annotated Shown (their callers are checked)."""
    returning: set[str] = set()
    taking: dict[str, tuple[list[str], set[str]]] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                if _is_shown(node.returns):
                    returning.add(node.name)
                names = {a.arg for a in node.args.args + node.args.kwonlyargs if _is_shown(a.annotation)}
                if names:
                    taking[node.name] = ([a.arg for a in node.args.args], names)
    return returning, taking


def _is_shown(annotation: ast.AST | None) -> bool:
    return isinstance(annotation, ast.Name) and annotation.id == "Shown" or \
        isinstance(annotation, ast.Constant) and annotation.value == "Shown"


def _findings(source: str, path: str = "<test>",
              shown: ShownFunctions = (set(), {})) -> list[str]:
    """Every argument of a Markdown-rendering call that is not literal or safely built."""
    tree = ast.parse(source)
    returning, taking = shown
    markdown, html = Checker(tree, SAFE_BUILDERS | returning), Checker(tree, HTML_BUILDERS)
    problems = []

    def refuse(node: ast.AST, why: str) -> None:
        problems.append(f"{path}:{node.lineno}: {why}: {ast.unparse(node)[:120]}")

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and _is_shown(node.returns) and path != BUILDERS:
            for inner in ast.walk(node):
                if isinstance(inner, ast.Return) and not markdown.safe(inner.value):
                    refuse(inner, f"{node.name}() gibt ungeprüften Text als Shown zurück")
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN:
            refuse(node, "Spalte als Link oder Bild")
        if not isinstance(node, ast.Call):
            continue
        name = _call_name(node)
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        if name == "table" and isinstance(node.func, ast.Attribute) and getattr(node.func.value, "id", "") != "narrow":
            data = node.args[0] if node.args else keywords.get("data")
            if not (isinstance(data, ast.Call) and _call_name(data) == "shown_frame"):
                refuse(node, "st.table ohne shown_frame()")
            continue
        if name == "html":
            for arg in node.args[:1]:
                if not html.safe(arg):
                    refuse(arg, "st.html mit nicht festem Text")
            continue
        if name == "markdown" and isinstance(keywords.get("unsafe_allow_html"), ast.Constant) \
                and keywords["unsafe_allow_html"].value is True:
            refuse(node, "Markdown mit HTML")
        checked: list[ast.AST] = []
        if name in BODY:
            checked += node.args[:1] if name != "write" else node.args
            checked += [v for k, v in keywords.items() if k in MARKDOWN_KEYWORDS]
            if name == "metric":  # its value and delta are Markdown too
                checked += node.args[1:3] + [v for k, v in keywords.items() if k in ("value", "delta")]
        elif name == "page_link":
            checked += node.args[1:2] + [v for k, v in keywords.items() if k in ("label", "help")]
        elif name == "tabs":
            checked += node.args[:1]
        elif name in taking:
            positional, names = taking[name]
            checked += [v for k, v in keywords.items() if k in names]
            checked += [a for a, p in zip(node.args, positional, strict=False) if p in names]
        else:
            checked += [keywords["help"]] if "help" in keywords else []
        if name in MARKDOWN_OPTIONS:
            checked += [v for k, v in keywords.items() if k == "captions"]
            func = keywords.get("format_func")
            if func is not None:
                checked.append(func.body if isinstance(func, ast.Lambda) else func)
            elif len(node.args) > 1:
                checked.append(node.args[1])
        for arg in checked:
            if not markdown.safe(arg):
                refuse(arg, f"{name}() mit ungeprüftem Text")
    return problems


def test_no_streamlit_call_renders_raw_text() -> None:
    trees = {path: ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES}
    shown = _shown_functions(trees)
    problems = [p for path in SOURCES
                for p in _findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), shown)]
    assert not problems, "\n".join(problems)


# The sweep itself can fail: each of these is a way raw text has reached (or could reach) the
# browser as Markdown, and each must be refused; the safe spellings beside them must pass.
REFUSED = [
    "st.markdown(name)",
    "st.caption(f'{c.name} ({c.load_text})')",
    "st.warning('Über der Kapazität: ' + ', '.join(over))",
    "st.table(pd.DataFrame(rows))",
    "cols[0].table(frame)",
    "st.success(flash)",
    "(st.warning if late else st.caption)(status)",
    "st.metric('Fälle', value=row.client)",
    "st.button(f'Fall {row.client_name} öffnen')",
    "st.expander(employer.name)",
    "st.tabs([user.display_name])",
    "st.page_link('pages/case.py', label=client.name)",
    "st.radio('Person', ids, format_func=lambda i: names[i])",
    "st.selectbox('Ort', ids, help=place.note)",
    "st.write('Notiz:', note)",
    "st.markdown(md(template, name=x))",
    "st.markdown(f'**{x}**', unsafe_allow_html=True)",
    "st.html(f'<p>{note}</p>')",
    "st.dataframe(frame, column_config={'a': st.column_config.LinkColumn()})",
    "text = row.note\nst.info(text)",
    "for label in labels:\n    st.toast(label)",
    "for col, (fmt, text) in zip(cols, rows):\n    col.download_button(text)",
    "def f(label: Shown) -> None:\n    pass\nf(row.name)",
    "def g(x) -> Shown:\n    return x",
]
ACCEPTED = [
    "st.markdown('**Zuletzt gehalten**')",
    "st.markdown(plain(name))",
    "st.caption(md('**{name}** · seit {day}', name=row.client, day=row.start))",
    "st.warning('Über der Kapazität: ' + ', '.join(plain(c.name) for c in over))",
    "st.table(shown_frame(frame))",
    "st.caption(f'{n:d} Fälle am {day:%d.%m.%Y}')",
    "st.info(status.label)",
    "st.selectbox('Ort', ids, format_func=names.get)",  # select boxes show options as text
    "st.dataframe(frame)",
    "text = plain(row.note)\nst.info(text)",
    "st.html(_STYLE)",
    "for col, (fmt, text) in zip(cols, (('csv', 'CSV'), ('pdf', 'PDF'))):\n    col.download_button(text)",
    "def f(label: Shown) -> None:\n    pass\nf(md('**{n}**', n=row.name))",
]


@pytest.mark.parametrize("source", REFUSED)
def test_the_sweep_refuses_raw_text(source: str) -> None:
    shown = _shown_functions({Path("x.py"): ast.parse(source)})
    assert _findings(source, "x.py", shown), source


@pytest.mark.parametrize("source", ACCEPTED)
def test_the_sweep_accepts_built_text(source: str) -> None:
    shown = _shown_functions({Path("x.py"): ast.parse(source)})
    assert not _findings(source, "x.py", shown), source


def test_shown_is_built_only_escaped() -> None:
    with pytest.raises(TypeError):
        Shown("[x](https://evil.example)")
    once = plain("*a*")
    assert plain(once) is once  # never escaped twice
    assert md("**{name}** · {n}", name="[x](y)", n=3) == "**\\[x\\]\\(y\\)** · 3"
    assert md("{a}", a=once) == once
    with pytest.raises(ValueError):
        md("{name}", other="x")
    with pytest.raises(ValueError):
        md("{name.__class__}", name="x")  # only plain placeholders
    assert md_join(" · ", ["a_b", once]) == "a\\_b · \\*a\\*"


def test_shown_frame_escapes_every_header_index_and_cell() -> None:
    frame = pd.DataFrame({"[Kopf](x)": ["*fett*", None], "Zahl": [1, 2]},
                         index=pd.Index(["![i](y)", "b"], name=":red[n]"))
    frame.columns.name = "$k$"
    shown = shown_frame(frame)
    assert list(shown.columns) == ["\\[Kopf\\]\\(x\\)", "Zahl"]
    assert shown.columns.name == "\\$k\\$" and shown.index.name == "\\:red\\[n\\]"
    assert list(shown.index) == ["\\!\\[i\\]\\(y\\)", "b"]
    assert shown.iloc[0, 0] == "\\*fett\\*" and pd.isna(shown.iloc[1, 0])
    assert shown["Zahl"].tolist() == [1, 2] and shown["Zahl"].dtype.kind == "i"  # numbers stay numbers



def test_shown_frame_gives_the_frame_dataframe_map_gave() -> None:
    """shown_frame escapes text columns as lists (cheaper than DataFrame.map): values, their
    classes and every column's type as map made them, for each kind of column a page passes."""
    from datetime import date, datetime

    def by_map(frame: pd.DataFrame) -> pd.DataFrame:
        shown = frame.map(lambda v: plain(v) if isinstance(v, str) or not (
            isinstance(v, int | float | date) or pd.isna(v)) else v)
        shown.columns = pd.Index([plain(c) if isinstance(c, str) else c for c in frame.columns])
        return shown

    frames = [
        pd.DataFrame({"Name": ["a*b", "c"], "n": [1, 2], "f": [1.5, float("nan")], "d": [date(2020, 1, 1), None],
                      "o": pd.Series([md("**{x}**", x="y"), "z"], dtype=object), "b": [True, False]}),
        pd.DataFrame({"a": pd.Series([None, None], dtype=object), "b": pd.Series([1, 2], dtype=object),
                      "c": pd.Series([1, "x"], dtype=object), "e": pd.Series([1.5, None], dtype=object),
                      "g": pd.Series([datetime(2020, 1, 1), None], dtype=object)}),
        pd.DataFrame({"t": pd.to_datetime(["2020-01-01", None]), "s": pd.Series(["a", None], dtype="string")}),
        pd.DataFrame(columns=["a", "b"]),
        pd.DataFrame([[1, "x"]], columns=["a", "a"]),
    ]
    for frame in frames:
        shown, expected = shown_frame(frame), by_map(frame)
        pd.testing.assert_frame_equal(shown, expected, check_exact=True, check_index_type=False)
        assert [type(v) for v in shown.to_numpy().ravel()] == [type(v) for v in expected.to_numpy().ravel()]


ACTIVE = re.compile(r"<(a|img|b|em|strong|script)\b")
MARKDOWN = streamlit_markdown()


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab:[]()!*_<>$`#|~www.http/\\ \n1-=")), max_size=40),
       st.text(max_size=20))
def test_built_text_renders_no_markup(value: str, other: str) -> None:
    """Whatever the values, md/md_join/shown_frame leave only the template's own markup."""
    for text in (md("{v} · {o}", v=value, o=other), md_join(" · ", [value, other]),
                 *(str(c) for c in shown_frame(pd.DataFrame({value: [other]})).to_numpy().ravel())):
        html = MARKDOWN.render(text)
        assert not ACTIVE.search(html), (text, html)


def test_the_renderer_links_what_streamlit_links() -> None:
    """The renderer the sweeps use follows GFM: www., a scheme and e-mail addresses link, a bare
    "name.de" does not (hypothesis found " · A.AL" linked by linkify-it's fuzzy links, which
    Streamlit leaves as text) – and plain() keeps each of the linking ones text."""
    linking = ["www.evil.de", "https://evil.example/a", "max@evil.de", "mailto:max@evil.de"]
    for text in linking:
        assert "<a " in MARKDOWN.render(text), text
        assert "<a " not in MARKDOWN.render(plain(text)), text
    for text in ("A.AL", "evil.example", "Forst (Lausitz)."):
        assert "<a " not in MARKDOWN.render(text), text
