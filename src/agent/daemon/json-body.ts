import { formatPath } from '../../config/paths.js';
import { AgentApiError } from './errors.js';

/**
 * Request bodies are JSON objects. A key given twice is refused rather than
 * letting the last one win: the client never sends one, so a body with one
 * was written by hand, and silently dropping half of it is how an operator
 * ends up with weights nobody asked for.
 */

type Frame = { keys: Set<string>; key: string | null; expectKey: boolean } | { index: number };

/** The end of the JSON string that opens at `text[start]` (a quote): the index of its closing quote. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === 34) return i; // "
    i += c === 92 ? 2 : 1; // a backslash escapes the next character
  }
}

/** Where the innermost container sits: each enclosing container's current key or index. */
function pathOf(stack: readonly Frame[]): (string | number)[] {
  return stack.slice(0, -1).map((f) => ('index' in f ? f.index : f.key ?? ''));
}

/** The path of the first key that appears twice in one object of valid JSON `text`, or null. Iterative: nesting depth costs no stack. */
export function duplicateKeyPath(text: string): (string | number)[] | null {
  const stack: Frame[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = stack[stack.length - 1];
    if (c === '{') stack.push({ keys: new Set(), key: null, expectKey: true });
    else if (c === '[') stack.push({ index: 0 });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',' && top) {
      if ('index' in top) top.index++;
      else top.expectKey = true;
    } else if (c === '"') {
      const end = stringEnd(text, i);
      if (top && 'keys' in top && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return [...pathOf(stack), key];
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = end;
    }
  }
  return null;
}

/** The body as a JSON value; a 400 naming the problem when it is not valid JSON or repeats a key. */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Not V8's message: it quotes the body, which may hold a secret.
    throw new AgentApiError(400, 'body: expected valid JSON');
  }
  const dup = duplicateKeyPath(text);
  if (dup !== null) throw new AgentApiError(400, `${formatPath(dup)}: expected once (got the key twice)`);
  return value;
}
