/**
 * The code editor: CodeMirror 6 with the highlighting of the language picked, and the line a
 * run's error points at marked (a line decoration and a gutter marker) until the code changes.
 */
import { cpp } from "@codemirror/lang-cpp";
import { javascript } from "@codemirror/lang-javascript";
import { python } from "@codemirror/lang-python";
import { wast } from "@codemirror/lang-wast";
import { Compartment, type Extension, RangeSet, StateEffect, StateField } from "@codemirror/state";
import { Decoration, type DecorationSet, EditorView, GutterMarker, gutter, keymap } from "@codemirror/view";
import { basicSetup } from "codemirror";
import type { PlaygroundLanguage } from "./examples.js";

function languageSupport(language: PlaygroundLanguage): Extension {
  switch (language) {
    case "python":
      return python();
    case "javascript":
      return javascript();
    case "typescript":
      return javascript({ typescript: true });
    case "c":
    case "cpp":
      return cpp();
    case "wasm":
      return wast();
  }
}

/** Set (a 1-based line number) or clear (null) the error mark. */
const setErrorLine = StateEffect.define<number | null>();

class ErrorMarker extends GutterMarker {
  override toDOM(): Node {
    const span = document.createElement("span");
    span.className = "error-marker";
    span.textContent = "●";
    span.setAttribute("aria-hidden", "true");
    return span;
  }
}
const errorMarker = new ErrorMarker();
const errorLineDecoration = Decoration.line({ class: "cm-error-line", attributes: { "aria-invalid": "true" } });

/** The marked line's position, kept through edits above it; dropped when the code changes. */
const errorLineField = StateField.define<{ line: DecorationSet; gutter: RangeSet<GutterMarker> }>({
  create: () => ({ line: Decoration.none, gutter: RangeSet.empty }),
  update(value, tr) {
    for (const effect of tr.effects) {
      if (!effect.is(setErrorLine)) continue;
      const n = effect.value;
      if (n === null || n < 1 || n > tr.state.doc.lines) return { line: Decoration.none, gutter: RangeSet.empty };
      const from = tr.state.doc.line(n).from;
      return { line: Decoration.set([errorLineDecoration.range(from)]), gutter: RangeSet.of([errorMarker.range(from)]) };
    }
    // An edit makes the old error stale: a new run will say where the next one is.
    return tr.docChanged ? { line: Decoration.none, gutter: RangeSet.empty } : value;
  },
  provide: (field) => [
    EditorView.decorations.from(field, (v) => v.line),
    gutter({ class: "cm-error-gutter", markers: (view) => view.state.field(field).gutter }),
  ],
});

export interface CodeEditor {
  readonly view: EditorView;
  getCode(): string;
  setCode(code: string): void;
  setLanguage(language: PlaygroundLanguage): void;
  /** Mark a 1-based line as the error's (null clears) and scroll it into view. */
  markErrorLine(line: number | null): void;
}

/** An editor in `parent`; `onRun` is Ctrl/Cmd+Enter. */
export function createEditor(parent: HTMLElement, options: { code: string; language: PlaygroundLanguage; label: string; onRun: () => void }): CodeEditor {
  const language = new Compartment();
  const view = new EditorView({
    parent,
    doc: options.code,
    extensions: [
      keymap.of([{ key: "Mod-Enter", preventDefault: true, run: () => (options.onRun(), true) }]),
      basicSetup,
      language.of(languageSupport(options.language)),
      errorLineField,
      // Long lines wrap: no sideways scrolling on a phone, and the whole line stays readable.
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": options.label }),
    ],
  });
  return {
    view,
    getCode: () => view.state.doc.toString(),
    setCode(code) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: code } });
    },
    setLanguage(next) {
      view.dispatch({ effects: language.reconfigure(languageSupport(next)) });
    },
    markErrorLine(line) {
      const effects: StateEffect<unknown>[] = [setErrorLine.of(line)];
      if (line !== null && line >= 1 && line <= view.state.doc.lines) {
        effects.push(EditorView.scrollIntoView(view.state.doc.line(line).from, { y: "center" }));
      }
      view.dispatch({ effects });
    },
  };
}
