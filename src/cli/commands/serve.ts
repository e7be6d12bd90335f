import { readFileSync } from 'node:fs';
import { parseDuration } from '../../config/duration.js';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError, errorMessage, UsageError } from '../../errors.js';
import { ingestAgentEvents } from '../../pipeline/agent-events.js';
import { loadToken } from '../../serve/auth.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT } from '../../serve/server.js';
import { openSqlStore } from '../../store/index.js';
import { lightConfig } from '../context.js';
import { fullConfig } from '../pipeline-context.js';
import { EXIT } from '../exit-codes.js';
import type { GlobalOptions, Output } from '../output.js';

/** How often `serve` reads the local agents' event files. */
export const DEFAULT_AGENT_EVENTS_POLL_MS = 2000;

export interface ServeFlags extends GlobalOptions {
  host?: string;
  port?: string;
  tokenFile?: string;
}

export function parsePort(value: string | undefined): number {
  if (value === undefined) return DEFAULT_SERVE_PORT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65_535) throw new UsageError(`--port: expected a port number from 0 to 65535 (got "${value}")`);
  return n;
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

/** `shipgate serve`: the monitoring API, `/metrics` and the journal as SSE, until SIGINT or SIGTERM. */
export async function serveCommand(flags: ServeFlags, out: Output): Promise<number> {
  const port = parsePort(flags.port);
  const host = flags.host ?? DEFAULT_SERVE_HOST;
  const token = await loadToken({ env: process.env, ...(flags.tokenFile === undefined ? {} : { file: flags.tokenFile }) });
  const settings = await lightConfig(flags, out);
  const loaded = await wholeConfig(flags, out, settings.environment, settings.environments);
  const masker = loaded?.masker ?? settings.masker;
  masker.add(token);
  const store = await openSqlStore(settings.storeUrl, { root: settings.root });
  const { createServer } = await import('../../serve/server.js');
  const { createBackground } = await import('../../serve/background.js');
  const onError = (message: string): void => out.log('error', `serve: ${message}`);
  const background = loaded === null ? null : createBackground({ store, loaded, onError, onNote: (message) => out.log('info', `serve: ${message}`) });
  const server = await createServer({
    store,
    app: settings.app,
    token,
    masker,
    rollbackWindowMs: parseDuration(settings.rollbackWindow) ?? 3_600_000,
    version: version(),
    ...(out.logger ? { logger: out.logger } : {}),
    onError,
    ...(background === null ? {} : { alerts: { alertRoute: background.alertRoute, onAlert: background.onAlert } }),
  }).catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  // The local agents' own events (crash loops, ejections, dead-man aborts) join the journal, so the stream and /metrics see them.
  const ingest = (): Promise<void> =>
    ingestAgentEvents({ store, root: settings.root, app: settings.app, masker: settings.masker }).then(
      () => undefined,
      (err: unknown) => out.log('error', `serve: the agent's events: ${errorMessage(err)}`),
    );
  let ingesting = ingest();
  const timer = setInterval(() => void (ingesting = ingesting.then(ingest)), DEFAULT_AGENT_EVENTS_POLL_MS);
  try {
    const address = await server.http.listen({ host, port });
    background?.start(server.tail);
    if (out.json) out.result({ listening: address, app: settings.app, monitorRules: background?.rules ?? 0, channels: background?.channels ?? 0 });
    else out.line(`shipgate serve: ${settings.app} on ${address} (store: ${store.dialect}; ${background?.rules ?? 0} monitor rule(s), ${background?.channels ?? 0} notify channel(s))`);
    await stopSignal();
    return EXIT.ok;
  } finally {
    clearInterval(timer);
    await ingesting;
    await background?.stop();
    await server.close();
    await store.close();
  }
}

/**
 * The monitor rules and the channels are in the whole config of one environment (`--env`, or
 * the only one). Without it (several environments, or a config that does not validate here, e.g.
 * deploy secrets this machine lacks) serve still answers, and says what is off and why.
 */
async function wholeConfig(flags: ServeFlags, out: Output, environment: string | null, environments: string[]): Promise<LoadedConfig | null> {
  if (environment === null) {
    out.err(`serve: monitor rules and notification delivery are off: choose an environment with --env (one of ${environments.join(', ')})`);
    return null;
  }
  try {
    return await fullConfig(flags, out);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.err(`serve: monitor rules and notification delivery are off: ${err.message}`);
    return null;
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
