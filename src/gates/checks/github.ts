import { displayUrl, type HttpClient, type HttpResponse } from '../../runtime/http.js';
import { cancellationError, isCancellation } from '../cancellation.js';

/**
 * A small GitHub REST client: the combined commit status and the check runs of one
 * commit. Only reads; every request goes through the injected {@link HttpClient}.
 */

export const GITHUB_API_VERSION = '2022-11-28';
/** Timeout of one GitHub request. */
export const DEFAULT_GITHUB_REQUEST_TIMEOUT_MS = 15_000;
/** GitHub's largest page. */
export const GITHUB_PAGE_SIZE = 100;
/** Safety stop for check-run pagination (100 per page). */
export const MAX_CHECK_RUN_PAGES = 50;

export interface CheckRunFact {
  id: number;
  name: string;
  /** queued, in_progress, completed, waiting, requested, pending */
  status: string;
  /** success, failure, neutral, cancelled, skipped, timed_out, action_required, stale, startup_failure; null until completed */
  conclusion: string | null;
  startedAt: string | null;
  completedAt: string | null;
  url: string | null;
}

export interface StatusFact {
  context: string;
  /** success, pending, failure, error */
  state: string;
  url: string | null;
  id: number | null;
}

/** What GitHub reports for one commit. */
export interface CommitChecksFacts {
  /** The combined status state, or null when no statuses were reported. */
  combinedState: string | null;
  statuses: StatusFact[];
  checkRuns: CheckRunFact[];
}

/**
 * A GitHub answer that is not usable. `fatal` errors (401, 403, 404) will not
 * change by waiting; the others (5xx, rate limits, network) may.
 */
export class GithubApiError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
    readonly fatal: boolean,
  ) {
    super(message);
    this.name = 'GithubApiError';
  }
}

export interface GithubClientOptions {
  /** API base URL, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  apiUrl: string;
  /** `owner/name`. */
  repo: string;
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  http: HttpClient;
  signal?: AbortSignal;
  /** Timeout of one request. @default DEFAULT_GITHUB_REQUEST_TIMEOUT_MS */
  timeoutMs?: number;
}

export interface GithubClient {
  /** The combined status and all check runs of `sha`. Throws {@link GithubApiError}, or the abort reason when cancelled. */
  commitChecks(sha: string): Promise<CommitChecksFacts>;
}

interface RawStatus {
  id?: number;
  context?: string;
  state?: string;
  target_url?: string | null;
}

interface RawCombinedStatus {
  state?: string;
  total_count?: number;
  statuses?: RawStatus[];
}

interface RawCheckRun {
  id?: number;
  name?: string;
  status?: string;
  conclusion?: string | null;
  started_at?: string | null;
  completed_at?: string | null;
  html_url?: string | null;
  details_url?: string | null;
}

interface RawCheckRuns {
  total_count?: number;
  check_runs?: RawCheckRun[];
}

export function createGithubClient(opts: GithubClientOptions): GithubClient {
  const base = opts.apiUrl.replace(/\/+$/, '');
  const [owner = '', name = ''] = opts.repo.split('/');
  const repoPath = `${base}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(name)}`;
  const headers: Record<string, string> = {
    Accept: 'application/vnd.github+json',
    'X-GitHub-Api-Version': GITHUB_API_VERSION,
    'User-Agent': 'shipgate',
  };
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_GITHUB_REQUEST_TIMEOUT_MS;

  async function getJson<T>(url: string, sha: string): Promise<T> {
    let res: HttpResponse;
    try {
      res = await opts.http({ method: 'GET', url, headers, timeoutMs, signal: opts.signal });
    } catch (err) {
      if (isCancellation(err, opts.signal)) throw cancellationError(err, opts.signal);
      throw new GithubApiError(`could not reach GitHub at ${displayUrl(url)}: ${(err as Error).message}`, null, false);
    }
    if (res.status < 200 || res.status >= 300) throw statusError(res, opts.repo, sha, Boolean(opts.token));
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new GithubApiError(`GitHub answered ${displayUrl(url)} with something that is not JSON (HTTP ${res.status})`, res.status, false);
    }
  }

  return {
    async commitChecks(sha) {
      const ref = encodeURIComponent(sha);
      const combined = await getJson<RawCombinedStatus>(`${repoPath}/commits/${ref}/status?per_page=${GITHUB_PAGE_SIZE}`, sha);
      const statuses = (combined.statuses ?? []).flatMap((s): StatusFact[] =>
        typeof s.context === 'string' && typeof s.state === 'string'
          ? [{ context: s.context, state: s.state, url: s.target_url ?? null, id: typeof s.id === 'number' ? s.id : null }]
          : [],
      );

      const checkRuns: CheckRunFact[] = [];
      for (let page = 1; page <= MAX_CHECK_RUN_PAGES; page++) {
        const body = await getJson<RawCheckRuns>(`${repoPath}/commits/${ref}/check-runs?per_page=${GITHUB_PAGE_SIZE}&page=${page}`, sha);
        const runs = body.check_runs ?? [];
        for (const r of runs) {
          if (typeof r.id !== 'number' || typeof r.name !== 'string' || typeof r.status !== 'string') continue;
          checkRuns.push({
            id: r.id,
            name: r.name,
            status: r.status,
            conclusion: r.conclusion ?? null,
            startedAt: r.started_at ?? null,
            completedAt: r.completed_at ?? null,
            url: r.html_url ?? r.details_url ?? null,
          });
        }
        const total = typeof body.total_count === 'number' ? body.total_count : 0;
        if (runs.length === 0 || page * GITHUB_PAGE_SIZE >= total) break;
      }
      return { combinedState: statuses.length > 0 ? (combined.state ?? null) : null, statuses, checkRuns };
    },
  };
}

/** `abc1234def…` -> `abc1234`. */
export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

function statusError(res: HttpResponse, repo: string, sha: string, hasToken: boolean): GithubApiError {
  const where = `${repo}@${shortSha(sha)}`;
  const apiMessage = githubMessage(res.body);
  const said = apiMessage ? ` ("${apiMessage}")` : '';
  const rateLimited = res.headers['x-ratelimit-remaining'] === '0' || res.status === 429;
  if (rateLimited) {
    const reset = Number(res.headers['x-ratelimit-reset']);
    const until = Number.isFinite(reset) && reset > 0 ? ` until ${new Date(reset * 1000).toISOString()}` : '';
    return new GithubApiError(`GitHub rate limit reached reading checks of ${where} (HTTP ${res.status})${until}${hasToken ? '' : '; set a token to get a higher limit'}`, res.status, false);
  }
  const tokenHint = hasToken ? 'check the token' : 'no token is set (gates.checks.github.token)';
  switch (res.status) {
    case 401:
      return new GithubApiError(`GitHub rejected the credentials (HTTP 401${said}) reading checks of ${where}: ${tokenHint}`, 401, true);
    case 403:
      return new GithubApiError(
        `GitHub refused access (HTTP 403${said}) to checks of ${where}: ${tokenHint}, and that it may read checks and commit statuses of ${repo}`,
        403,
        true,
      );
    case 404:
      return new GithubApiError(
        `GitHub found no commit ${shortSha(sha)} in ${repo} (HTTP 404${said}): check gates.checks.github.repo, that the commit is pushed, and that the token can see the repository${hasToken ? '' : ' (no token is set; private repositories need one)'}`,
        404,
        true,
      );
    case 301:
    case 302:
    case 307:
    case 308:
      return new GithubApiError(
        `GitHub redirected the request for checks of ${where} (HTTP ${res.status}): the repository was probably renamed or moved; update gates.checks.github.repo`,
        res.status,
        true,
      );
    case 422:
      return new GithubApiError(`GitHub does not know commit ${shortSha(sha)} in ${repo} (HTTP 422${said}): is the commit pushed?`, 422, true);
    default:
      return new GithubApiError(`GitHub answered HTTP ${res.status}${said} reading checks of ${where}`, res.status, false);
  }
}

function githubMessage(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === 'string' ? parsed.message.slice(0, 200) : null;
  } catch {
    return null;
  }
}
