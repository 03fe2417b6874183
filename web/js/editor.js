// The query editor: CodeMirror 6 with BigQuery SQL highlighting and lint markers.
// Bundled by esbuild into static/generated/editor.js (see xtask); driven from Rust
// (web/src/editor.rs) through wasm-bindgen. Diagnostics come from sluice-sql.
import { EditorView, basicSetup } from "codemirror";
import { keymap } from "@codemirror/view";
import { sql, SQLDialect } from "@codemirror/lang-sql";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { autocompletion } from "@codemirror/autocomplete";
import { HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { tags } from "@lezer/highlight";

// Token colours from CSS variables (static/sluice.css), so both themes read well.
const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: "var(--code-keyword)" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--code-string)" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--code-number)" },
  { tag: [tags.typeName, tags.standard(tags.name)], color: "var(--code-type)" },
  { tag: tags.special(tags.name), color: "var(--code-quoted)" },
  { tag: [tags.lineComment, tags.blockComment], color: "var(--code-comment)", fontStyle: "italic" },
  { tag: tags.operator, color: "var(--code-operator)" },
]);

const BigQuery = SQLDialect.define({
  keywords:
    "select from where group by having order limit offset with as join inner left right full outer cross on using union all distinct and or not in between like is null true false case when then else end cast safe_cast interval struct array window tumble hop session descriptor table asc desc",
  types: "int64 float64 numeric bignumeric bool string bytes date datetime time timestamp",
  identifierQuotes: "`",
  backslashEscapes: true,
  doubleQuotedStrings: true,
});

// 1-based line and column counted in characters (as sluice-sql reports them)
// to a document offset in UTF-16 code units (as CodeMirror counts).
function offset(doc, line, column) {
  const n = Math.min(Math.max(line, 1), doc.lines);
  const l = doc.line(n);
  let i = 0;
  for (let c = 1; c < column && i < l.text.length; c++) {
    i += l.text.codePointAt(i) > 0xffff ? 2 : 1;
  }
  return l.from + i;
}

// Completions come from sluice-sql (through `complete(text, pos)`, which answers
// JSON `{from, options: [{label, type, detail, apply}]}` with UTF-16 offsets).
function completionSource(complete) {
  return (context) => {
    const before = context.state.doc.sliceString(Math.max(0, context.pos - 1), context.pos);
    if (!context.explicit && !/[\w.`]/.test(before)) return null;
    const result = JSON.parse(complete(context.state.doc.toString(), context.pos));
    if (!result.options.length) return null;
    return {
      from: result.from,
      options: result.options.map((o) => ({
        label: o.label,
        type: o.type,
        detail: o.detail,
        apply: o.apply || undefined,
        boost: o.type === "property" ? 2 : o.type === "namespace" ? 1 : 0,
      })),
      validFor: /^[\w`-]*$/,
    };
  };
}

export function mountEditor(parent, text, onChange, onRun, complete) {
  return new EditorView({
    doc: text,
    parent,
    extensions: [
      keymap.of([{ key: "Mod-Enter", run: () => { onRun(); return true; } }]),
      autocompletion({ override: [completionSource(complete)] }),
      syntaxHighlighting(highlight),
      basicSetup,
      sql({ dialect: BigQuery, upperCaseKeywords: true }),
      lintGutter(),
      // Named by the pane's "Query" heading; tabindex tells accessibility checkers
      // what the browser already does (a contenteditable is in the Tab order).
      EditorView.contentAttributes.of({ "aria-labelledby": "query-label", tabindex: "0" }),
      EditorView.updateListener.of((update) => {
        if (update.docChanged) onChange(update.state.doc.toString());
      }),
    ],
  });
}

// `json`: [{severity, message, hint, start: {line, column}, end: {line, column}}].
export function showDiagnostics(view, json) {
  const doc = view.state.doc;
  const list = JSON.parse(json).map((d) => {
    const from = offset(doc, d.start.line, d.start.column);
    const to = Math.max(from, offset(doc, d.end.line, d.end.column));
    return {
      from,
      to,
      severity: d.severity === "error" ? "error" : "warning",
      message: d.hint ? `${d.message}\nhint: ${d.hint}` : d.message,
      source: d.code,
    };
  });
  view.dispatch(setDiagnostics(view.state, list));
}

export function moveCursor(view, line, column) {
  const pos = offset(view.state.doc, line, column);
  view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
  view.focus();
}

export function setText(view, text) {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
}
