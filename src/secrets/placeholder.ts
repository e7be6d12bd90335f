/** Values that are the whole placeholder (`changeme`, `<token>`, `xxxx`, `your-key`). */
const WHOLE_RE = /^(change[-_ ]?me|change[-_ ]?this|replace[-_ ]?me|fill[-_ ]?me[-_ ]?in|your[-_ ].*|<[^>]*>|\{\{[^}]*\}\}|x{3,}|\*{3,}|\.{3,}|todo|tbd|placeholder|secret|password|dummy|example|sample|test|null|none|undefined)$/i;
/** Placeholders inside a longer value (a URL's password, `sk-your-key-here`). */
const INSIDE_RE = /(change[-_]?me|replace[-_]?me|your[-_](api[-_])?(key|token|secret|password|pass)|placeholder|<(token|key|secret|password)>)/i;

/** Pure: whether a secret's value looks like a placeholder someone forgot to replace. */
export function looksLikePlaceholder(value: string): boolean {
  const v = value.trim();
  return WHOLE_RE.test(v) || INSIDE_RE.test(v);
}
