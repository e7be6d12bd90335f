/** Keys that read unambiguously after a dot; others are written `["a key"]`. */
const PLAIN_KEY_RE = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

/** `['rollout', 'steps', 1, 'weight']` -> `rollout.steps[1].weight`; `['headers', 'a b']` -> `headers["a b"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (!PLAIN_KEY_RE.test(String(seg))) out += `[${JSON.stringify(String(seg))}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One problem of a config: its key path (`rollout.steps[1].weight`; null when it has none, as a YAML syntax error) and what is wrong. */
export interface ConfigIssue {
  path: string | null;
  message: string;
}

/** A key path as {@link formatPath} writes it (`a.b[1]["c d"]`, or `(root)`), then `: `. */
const ISSUE_PATH_RE = /^(\(root\)|(?:[A-Za-z0-9_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*): ([\s\S]*)$/;

/** `path: message` read back into its parts; a line that starts with no key path is all message. */
export function parseConfigIssue(line: string): ConfigIssue {
  const m = ISSUE_PATH_RE.exec(line);
  return m ? { path: m[1]!, message: m[2]! } : { path: null, message: line };
}

