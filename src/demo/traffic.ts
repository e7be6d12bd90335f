import { Agent, request } from 'node:http';

/** One response as the client saw it. */
export interface Sample {
  at: number;
  ok: boolean;
  status: number | null;
  /** From the app's `x-demo-version` header; null when no app answered. */
  version: string | null;
  ms: number;
}

export interface TrafficOptions {
  url: string;
  /** Requests per second, spread over `connections` keep-alive connections. */
  rps: number;
  connections: number;
  now?: () => number;
}

export interface Traffic {
  samples: Sample[];
  stop(): Promise<void>;
}

/** Steady synthetic traffic with keep-alive, recording every response. */
export function startTraffic(opts: TrafficOptions): Traffic {
  const now = opts.now ?? Date.now;
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  const samples: Sample[] = [];
  const gapMs = (1000 * opts.connections) / opts.rps;
  let running = true;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const started = now();
      const req = request(opts.url, { agent, headers: { 'user-agent': 'shipgate-demo' } }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          samples.push({ at: started, ok: status >= 200 && status < 400, status, version: (res.headers['x-demo-version'] as string | undefined) ?? null, ms: now() - started });
          resolve();
        });
      });
      req.on('error', () => {
        samples.push({ at: started, ok: false, status: null, version: null, ms: now() - started });
        resolve();
      });
      req.end();
    });
  const loop = async (offset: number): Promise<void> => {
    await new Promise((r) => setTimeout(r, offset));
    while (running) {
      const started = now();
      await one();
      await new Promise((r) => setTimeout(r, Math.max(0, gapMs - (now() - started))));
    }
  };
  const loops = Array.from({ length: opts.connections }, (_, i) => loop((gapMs / opts.connections) * i));
  return {
    samples,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

export interface WindowSummary {
  requests: number;
  failed: number;
  firstFailureAt: number | null;
  byVersion: Record<string, number>;
}

/** Pure: what happened between `from` and `to`. */
export function summarize(samples: readonly Sample[], from: number, to: number): WindowSummary {
  const inside = samples.filter((s) => s.at >= from && s.at <= to);
  const failed = inside.filter((s) => !s.ok);
  const byVersion: Record<string, number> = {};
  for (const s of inside) if (s.version) byVersion[s.version] = (byVersion[s.version] ?? 0) + 1;
  return { requests: inside.length, failed: failed.length, firstFailureAt: failed.length ? Math.min(...failed.map((s) => s.at)) : null, byVersion };
}
