// params.js - the program's numeric parameters as labelled sliders with number inputs. The server
// reports each parameter (name, value, line, col, len, decimals, min, max, step); a slider move
// rewrites the literal in the program text, which re-executes the part.

// the literal written for a value with the parameter's decimal places (no "-0")
export function formatValue(value, decimals) {
  const s = Number(value).toFixed(decimals);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

// the slider's range: the server's suggestion, widened to hold the current value
export function rangeOf(p) {
  return { min: Math.min(p.min, p.value), max: Math.max(p.max, p.value), step: p.step };
}

// same parameters (names in order) -> the rows can be kept while dragging
export function sameNames(a, b) {
  return a.length === b.length && a.every((p, i) => p.name === b[i].name && p.line === b[i].line);
}

// Renders rows into container. onInput(index, value) is called as the user drags or types.
export function renderParams(container, params, onInput) {
  container.textContent = '';
  if (!params.length) {
    container.textContent = 'No top-level numeric parameters (write them as: local w, d, t = 60, 40, 6).';
    return;
  }
  params.forEach((p, i) => {
    const row = document.createElement('div');
    row.className = 'param';
    row.dataset.name = p.name;
    const label = document.createElement('label');
    label.textContent = p.name;
    label.title = `line ${p.line}`;
    const slider = document.createElement('input');
    slider.type = 'range';
    slider.setAttribute('aria-label', `${p.name} slider`);
    const num = document.createElement('input');
    num.type = 'number';
    num.setAttribute('aria-label', `${p.name} value`);
    for (const el of [slider, num]) {
      const r = rangeOf(p);
      el.min = r.min; el.max = r.max; el.step = r.step; el.value = formatValue(p.value, p.decimals);
    }
    slider.addEventListener('input', () => { num.value = slider.value; onInput(i, Number(slider.value)); });
    num.addEventListener('input', () => {
      if (num.value === '' || !Number.isFinite(Number(num.value))) return;
      slider.value = num.value;
      onInput(i, Number(num.value));
    });
    row.append(label, slider, num);
    container.append(row);
  });
}

// updates the shown values of existing rows without rebuilding them (skips the focused input)
export function updateParams(container, params) {
  params.forEach((p, i) => {
    const row = container.children[i];
    if (!row) return;
    for (const el of row.querySelectorAll('input')) {
      if (el === document.activeElement) continue;
      const r = rangeOf(p);
      el.min = r.min; el.max = r.max;
      el.value = formatValue(p.value, p.decimals);
    }
  });
}
