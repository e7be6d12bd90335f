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
