// editor.js - the program editor: CodeMirror 6 with Lua highlighting, an error shown at its line
// (line highlight + message), and change notifications.
import { EditorView, basicSetup } from 'codemirror';
import { StreamLanguage } from '@codemirror/language';
import { lua } from '@codemirror/legacy-modes/mode/lua';
import { StateEffect, StateField } from '@codemirror/state';
import { Decoration, WidgetType } from '@codemirror/view';

const setError = StateEffect.define(); // value: {line, message} or null

class ErrorWidget extends WidgetType {
  constructor(message) { super(); this.message = message; }
  eq(other) { return other.message === this.message; }
  toDOM() {
    const span = document.createElement('span');
    span.className = 'cm-error-msg';
    span.textContent = this.message;
    return span;
  }
}

const errorField = StateField.define({
  create: () => Decoration.none,
  update(deco, tr) {
    deco = deco.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(setError)) continue;
      if (!e.value || e.value.line < 1 || e.value.line > tr.state.doc.lines) { deco = Decoration.none; continue; }
      const line = tr.state.doc.line(e.value.line);
      deco = Decoration.set([
        Decoration.line({ class: 'cm-error-line' }).range(line.from),
        Decoration.widget({ widget: new ErrorWidget(e.value.message), side: 1 }).range(line.to),
      ]);
    }
    return deco;
  },
  provide: (f) => EditorView.decorations.from(f),
});

// parent: the element; doc: the first text; onChange(view, transaction) after each edit
export function createEditor(parent, doc, onChange) {
  return new EditorView({
    doc,
    parent,
    extensions: [
      basicSetup,
      StreamLanguage.define(lua),
      errorField,
      EditorView.updateListener.of((u) => { if (u.docChanged) onChange(u); }),
    ],
  });
}

// shows message at line (1-based), or clears the error when line is 0 / message is null
export function showError(view, line, message) {
  view.dispatch({ effects: setError.of(message && line > 0 ? { line, message } : null) });
}

// the document position of a 1-based line and UTF-16 column (clamped to the document)
export function posOf(doc, line, col) {
  if (line < 1 || line > doc.lines) return -1;
  const l = doc.line(line);
  return Math.min(l.from + col - 1, l.to);
}
