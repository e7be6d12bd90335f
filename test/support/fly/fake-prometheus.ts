import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake Prometheus HTTP API (node:http on 127.0.0.1, a random port) answering instant queries,
 * `GET|POST /api/v1/query?query=...&time=...`, with Prometheus's documented response shapes:
 *
 *   success: 200 {"status":"success","data":{"resultType":"vector","result":[{"metric":{...},"value":[<unix s>,"<value>"]}]}}
 *   error:   400 {"status":"error","errorType":"bad_data","error":"..."} (422 execution, 503 timeout)
 *
 * Values are what the test sets per query (exact text or a regex); a query nobody set answers an
 * empty vector, as Prometheus does for a series that does not exist. A query with unbalanced
 * brackets or quotes is a parse error (bad_data), and so is a missing `query` or a bad `time`.
 */

export interface PromSample {
  metric?: Record<string, string>;
  /** A number, or a string such as "NaN" or "+Inf". */
  value: number | string;
}

export type PromAnswer =
  | number
  | string
  | PromSample[]
  | { error: string; errorType?: 'bad_data' | 'execution' | 'timeout' | 'canceled' | 'internal' | 'unavailable' };

export interface PromQueryRecord {
  query: string;
  time?: string;
}

export interface FakePrometheus {
  /** Base URL, e.g. `http://127.0.0.1:54321` (the API is under `/api/v1`). */
  readonly url: string;
  readonly queries: PromQueryRecord[];
  /** What the query (exact text, or any query matching a regex) answers; later settings win. */
  set(query: string | RegExp, answer: PromAnswer | ((time: number) => PromAnswer)): void;
  close(): Promise<void>;
}

const STATUS_OF_ERROR: Record<string, number> = { bad_data: 400, execution: 422, timeout: 503, canceled: 503, internal: 500, unavailable: 503 };

/** The first bracket or quote out of balance in a PromQL expression, if any (enough to tell a typo from a query). */
export function promqlSyntaxError(query: string): string | undefined {
  if (query.trim() === '') return 'parse error: no expression found in input';
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  for (let i = 0; i < query.length; i++) {
    const c = query[i] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      const end = query.indexOf(c, i + 1);
      if (end < 0) return `parse error at char ${i + 1}: unterminated quoted string`;
      i = end;
    } else if (c === '(' || c === '[' || c === '{') stack.push(c);
    else if (c in pairs) {
      if (stack.pop() !== pairs[c]) return `parse error at char ${i + 1}: unexpected "${c}"`;
    }
  }
  return stack.length > 0 ? `parse error at char ${query.length}: unclosed "${stack[stack.length - 1] ?? ''}"` : undefined;
}

/** Sample values as Prometheus writes them: strings, with NaN, +Inf and -Inf spelled its way. */
function formatValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  const answers: { query: string | RegExp; answer: PromAnswer | ((time: number) => PromAnswer) }[] = [];
  const queries: PromQueryRecord[] = [];

  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const params = new URLSearchParams(u.search);
      if (req.method === 'POST') for (const [k, v] of new URLSearchParams(text)) params.set(k, v);
      const send = (status: number, body: unknown): void => {
        const out = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) }).end(out);
      };
      const fail = (errorType: string, error: string): void => send(STATUS_OF_ERROR[errorType] ?? 400, { status: 'error', errorType, error });
      if (u.pathname !== '/api/v1/query') return send(404, { status: 'error', errorType: 'not_found', error: `no route ${u.pathname}` });
      if (req.method !== 'GET' && req.method !== 'POST') return send(405, { status: 'error', errorType: 'bad_data', error: `method ${req.method ?? ''} not allowed` });
      const query = params.get('query');
      const timeParam = params.get('time');
      queries.push({ query: query ?? '', ...(timeParam !== null ? { time: timeParam } : {}) });
      if (query === null) return fail('bad_data', 'invalid parameter "query": parse error: no expression found in input');
      let time = Date.now() / 1000;
      if (timeParam !== null) {
        const parsed = /^\d+(\.\d+)?$/.test(timeParam) ? Number(timeParam) : Date.parse(timeParam) / 1000;
        if (!Number.isFinite(parsed)) return fail('bad_data', `invalid parameter "time": cannot parse "${timeParam}" to a valid timestamp`);
        time = parsed;
      }
      const syntax = promqlSyntaxError(query);
      if (syntax) return fail('bad_data', `invalid parameter "query": 1:1: ${syntax}`);
      const found = [...answers].reverse().find((a) => (typeof a.query === 'string' ? a.query === query : a.query.test(query)));
      const answer = found === undefined ? [] : typeof found.answer === 'function' ? found.answer(time) : found.answer;
      if (typeof answer === 'object' && !Array.isArray(answer)) return fail(answer.errorType ?? 'bad_data', answer.error);
      const samples: PromSample[] = Array.isArray(answer) ? answer : [{ value: answer }];
      send(200, {
        status: 'success',
        data: { resultType: 'vector', result: samples.map((s) => ({ metric: s.metric ?? {}, value: [time, formatValue(s.value)] })) },
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    set(query, answer) {
      answers.push({ query, answer });
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
