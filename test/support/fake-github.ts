import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for the GitHub REST API (node:http on 127.0.0.1, port 0). It answers
 * the two endpoints the checks gate reads with GitHub's documented response shapes:
 *
 * - GET /repos/{owner}/{repo}/commits/{ref}/status       (combined commit status)
 * - GET /repos/{owner}/{repo}/commits/{ref}/check-runs   (paginated: per_page, page)
 *
 * and records every request so tests can assert paths and headers.
 */

export interface FakeCheckRun {
  id: number;
  name: string;
  /** queued, in_progress, completed... @default "completed" */
  status?: string;
  /** @default "success" when completed, else null */
  conclusion?: string | null;
  html_url?: string;
}

export interface FakeStatus {
  context: string;
  state: 'success' | 'pending' | 'failure' | 'error';
  target_url?: string | null;
  description?: string;
}

export interface FakeCommit {
  checkRuns?: FakeCheckRun[];
  statuses?: FakeStatus[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

export interface FakeGithubOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`; others get 401. */
  token?: string;
}

export interface FakeGithub {
  /** Base URL to use as `apiUrl`, e.g. `http://127.0.0.1:54321`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Sets (replaces) what GitHub reports for `repo` (`owner/name`) at `sha`. */
  setCommit(repo: string, sha: string, commit: FakeCommit): void;
  /** The next `count` requests get `status` with GitHub's error body. */
  failNext(count: number, status: number, message?: string): void;
  /** The next `count` requests are answered by closing the connection (a network error). */
  dropNext(count: number): void;
  close(): Promise<void>;
}

const NOW = '2026-11-23T16:00:00Z';

export async function startFakeGithub(opts: FakeGithubOptions = {}): Promise<FakeGithub> {
  const commits = new Map<string, FakeCommit>();
  const requests: RecordedRequest[] = [];
  const failures: { status: number; message: string }[] = [];
  let drops = 0;
  let url = '';

  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://fake');
    requests.push({ method: req.method ?? 'GET', path: u.pathname, query: Object.fromEntries(u.searchParams), headers: req.headers });
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'content-length': Buffer.byteLength(text),
        'x-github-api-version-selected': '2022-11-28',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-remaining': '4999',
        'x-ratelimit-reset': '1795000000',
      });
      res.end(text);
    };
    const error = (status: number, message: string): void =>
      send(status, { message, documentation_url: 'https://docs.github.com/rest', status: String(status) });

    if (drops > 0) {
      drops--;
      req.socket.destroy();
      return;
    }
    const failure = failures.shift();
    if (failure) return error(failure.status, failure.message);
    if (opts.token && req.headers.authorization !== `Bearer ${opts.token}`) return error(401, 'Bad credentials');

    const m = /^\/repos\/([^/]+)\/([^/]+)\/commits\/([^/]+)\/(status|check-runs)$/.exec(u.pathname);
    if (req.method !== 'GET' || !m) return error(404, 'Not Found');
    const [, owner, name, ref, what] = m as unknown as [string, string, string, string, string];
    const repo = `${decodeURIComponent(owner)}/${decodeURIComponent(name)}`;
    const sha = decodeURIComponent(ref);
    const commit = commits.get(`${repo}@${sha}`);
    if (!commit) return error(404, 'Not Found');
    const perPage = Math.min(100, Number(u.searchParams.get('per_page') ?? 30));
    const page = Math.max(1, Number(u.searchParams.get('page') ?? 1));
    const repoUrl = `${url}/repos/${repo}`;

    if (what === 'status') {
      const statuses = (commit.statuses ?? []).map((s, i) => ({
        url: `${repoUrl}/statuses/${sha}`,
        avatar_url: 'https://avatars.githubusercontent.com/u/9919?v=4',
        id: 1000 + i,
        node_id: `SC_${1000 + i}`,
        state: s.state,
        description: s.description ?? `${s.context}: ${s.state}`,
        target_url: s.target_url ?? null,
        context: s.context,
        created_at: NOW,
        updated_at: NOW,
      }));
      const states = statuses.map((s) => s.state);
      const state = states.some((s) => s === 'failure' || s === 'error') ? 'failure' : states.length === 0 || states.includes('pending') ? 'pending' : 'success';
      return send(200, {
        state,
        statuses: statuses.slice((page - 1) * perPage, page * perPage),
        sha,
        total_count: statuses.length,
        repository: { id: 1296269, node_id: 'MDEwOlJlcG9zaXRvcnkxMjk2MjY5', name, full_name: repo, private: false },
        commit_url: `${repoUrl}/commits/${sha}`,
        url: `${repoUrl}/commits/${sha}/status`,
      });
    }

    const runs = (commit.checkRuns ?? []).map((r) => {
      const status = r.status ?? 'completed';
      return {
        id: r.id,
        head_sha: sha,
        node_id: `CR_${r.id}`,
        external_id: '',
        url: `${repoUrl}/check-runs/${r.id}`,
        html_url: r.html_url ?? `https://github.com/${repo}/runs/${r.id}`,
        details_url: `https://ci.example.com/runs/${r.id}`,
        status,
        conclusion: r.conclusion !== undefined ? r.conclusion : status === 'completed' ? 'success' : null,
        started_at: NOW,
        completed_at: status === 'completed' ? NOW : null,
        output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${repoUrl}/check-runs/${r.id}/annotations` },
        name: r.name,
        check_suite: { id: 5 },
        app: { id: 1, slug: 'github-actions', name: 'GitHub Actions' },
        pull_requests: [],
      };
    });
    return send(200, { total_count: runs.length, check_runs: runs.slice((page - 1) * perPage, page * perPage) });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    setCommit(repo, sha, commit) {
      commits.set(`${repo}@${sha}`, commit);
    },
    failNext(count, status, message = status === 404 ? 'Not Found' : 'Server Error') {
      for (let i = 0; i < count; i++) failures.push({ status, message });
    },
    dropNext(count) {
      drops += count;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
