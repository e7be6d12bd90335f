import type { View } from './decoded-views.js';

/** `[start, end)` in a text. */
export type Span = [number, number];

/**
 * Many literal strings found in one pass: one regular expression of the strings
 * as alternatives, longest first (for 140 strings, about 15 times faster than an
 * indexOf each). After a match the search goes on from the next character, so
 * overlapping matches are all found.
 */
export class Literals {
  private list: string[] = [];
  private re: RegExp | null = null;

  constructor(private readonly flags: 'g' | 'gi') {}

  add(items: readonly string[]): void {
    const fresh = items.filter((s) => s !== '' && !this.list.includes(s));
    if (fresh.length === 0) return;
    this.list = [...new Set([...this.list, ...fresh])].sort((a, b) => b.length - a.length);
    this.re = new RegExp(this.list.map(escapeRegExp).join('|'), this.flags);
  }

  test(text: string): boolean {
    if (!this.re) return false;
    this.re.lastIndex = 0;
    return this.re.test(text);
  }

  /** Adds a span for every match in `source`; in a view, mapped back to the original's positions. */
  collect(source: string | View, spans: Span[]): void {
    const re = this.re;
    if (!re) return;
    const text = typeof source === 'string' ? source : source.text;
    const at = typeof source === 'string' ? null : source.at;
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const end = m.index + m[0].length;
      spans.push(at ? [at[m.index]!, at[end]!] : [m.index, end]);
      re.lastIndex = m.index + 1;
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** `text` with each span replaced by `mask`; spans that overlap or touch become one. */
export function replaceSpans(text: string, spans: Span[], mask: string): string {
  spans.sort((a, b) => a[0] - b[0]);
  let out = '';
  let pos = 0;
  let end = -1;
  for (const [from, to] of spans) {
    if (from > end) {
      out += text.slice(pos, from) + mask;
      pos = from;
    }
    end = Math.max(end, to);
    pos = Math.max(pos, end);
  }
  return out + text.slice(pos);
}
