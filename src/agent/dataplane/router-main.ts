import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { ensurePrivateDir } from '../../runtime/private-files.js';
import { DEFAULT_EJECT_AFTER, DEFAULT_MAX_CONNECTIONS, DEFAULT_ROUTER_SHUTDOWN_MS, type RouterOptions, type RouterProcessStatus, type RouterTableState, type RoutingTable } from '../contract.js';
import { describeWeights } from '../describe.js';
import { agentPaths } from '../paths.js';
import { processLogger } from '../process-log.js';
import { createRouter, type Router } from '../router/index.js';
import { EventLog } from './events.js';
import type { RouterMessage } from './keeper.js';
import { readTableFile, writeTableFile } from './table-file.js';

/**
 * The router process: the data plane. It serves the listening socket its
 * keeper hands it (an inherited file descriptor) with the last table it was
 * given (read from disk at start), takes new tables from its agent over its
 * own control socket, and tells the agent about ejections. It needs no agent
 * to serve: a killed agent costs no request.
 */

/** Window of the figures sent with an ejection. */
export const EJECTION_STATS_WINDOW_MS = 10_000;
/** Used only when there is no table on disk (someone removed it): the router then answers 503 until its agent sends one. */
const FALLBACK_OPTIONS: RouterOptions = { stickyCookie: false, versionHeader: true, bodyLimit: 10 * 1024 * 1024, retry: true, ejectAfter: DEFAULT_EJECT_AFTER, maxConnections: DEFAULT_MAX_CONNECTIONS };

export interface RouterProcessOptions {
  stateDir: string;
  listen: string;
  /** The listening socket, inherited from the keeper. */
  listenerFd: number;
  restarts: number;
  keeperPid: number | null;
}

interface Counters {
  connections: number;
}

export async function runRouterProcess(opts: RouterProcessOptions): Promise<void> {
  const paths = agentPaths(opts.stateDir);
  ensurePrivateDir(paths.dir);
  const log = processLogger('router');
  const saved = readTableFile(paths.routerTableFile);
  let state: RouterTableState = saved ?? { format: 1, listen: opts.listen, options: FALLBACK_OPTIONS, table: { weights: {}, backends: [] } };
  const events = new EventLog(`${process.pid}-${randomBytes(4).toString('hex')}`);
  const router: Router = createRouter({
    ...state.options,
    log,
    onEject: (version) => void events.push({ type: 'ejected', version, at: new Date().toISOString(), stats: router.stats(version, EJECTION_STATS_WINDOW_MS) }),
  });
  router.setTable(state.table);
  const counters = countConnections(router);
  await listenOnFd(router, opts.listenerFd);
  // From the first accepted connection on, a SIGTERM lets requests in flight finish.
  let control: Server | null = null;
  let writing: Promise<void> = Promise.resolve();
  let stopping = false;
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      stopping = true;
      void stop(router, () => control, () => writing, log);
    });
  }
  const startedAt = new Date().toISOString();
  let keeperPid = watchKeeper(opts.keeperPid, log, (pid) => (keeperPid = pid));
  const status = (): RouterProcessStatus => processStatus(router, state, { pid: process.pid, keeperPid, boot: events.boot, startedAt, listen: opts.listen, restarts: opts.restarts }, counters);
  const apply = async (table: RoutingTable, options: RouterOptions): Promise<void> => {
    router.setTable(table);
    router.setOptions(options);
    state = { format: 1, listen: opts.listen, options, table };
    // One write at a time, each of the newest state: the file never goes back to an older table.
    writing = writing.catch(() => undefined).then(() => writeTableFile(paths.routerTableFile, state));
    await writing;
  };
  // Loaded only now: the control API's schemas (zod) take longer to load than the router itself, and a restarted router serves first.
  const [{ createControlServer, listenOnSocket }, { routerRoutes }] = await Promise.all([import('../daemon/control-server.js'), import('./router-api.js')]);
  // Told to stop meanwhile: the control socket stays with whichever router serves it.
  if (stopping) return;
  control = createControlServer(routerRoutes({ router, events, status, apply }), { log });
  await listenOnSocket(control, paths.routerSocket, { replace: true });
  log(`serving ${opts.listen} (${saved ? `the last table: ${describeWeights(state.table.weights)}` : 'no table on disk yet: 503 until the agent sends one'}); control ${paths.routerSocket}${opts.restarts > 0 ? `; restart ${opts.restarts} by the keeper` : ''}`);
  process.send?.({ type: 'serving', pid: process.pid } satisfies RouterMessage);
}

function listenOnFd(router: Router, fd: number): Promise<void> {
  return new Promise((resolve, reject) => {
    router.server.once('error', reject);
    router.server.listen({ fd }, () => {
      router.server.off('error', reject);
      resolve();
    });
  });
}

function countConnections(router: Router): Counters {
  const counters = { connections: 0 };
  router.server.on('connection', (socket) => {
    counters.connections++;
    socket.once('close', () => counters.connections--);
  });
  return counters;
}

/** Notices when the keeper is gone (its IPC channel closes): the router keeps serving, but nothing restarts it. */
function watchKeeper(keeperPid: number | null, log: (l: string) => void, gone: (pid: null) => void): number | null {
  if (keeperPid === null || !process.connected) return null;
  process.once('disconnect', () => {
    log(`the keeper (pid ${keeperPid}) is gone: still serving, but nothing restarts this router if it dies`);
    gone(null);
  });
  return keeperPid;
}

function processStatus(router: Router, state: RouterTableState, who: Omit<RouterProcessStatus, 'weights' | 'backends' | 'connections' | 'inFlight' | 'ejected'>, counters: Counters): RouterProcessStatus {
  const table = router.table();
  const versions = new Set([...Object.keys(table.weights), ...table.backends.map((b) => b.version)]);
  return {
    ...who,
    weights: { ...state.table.weights },
    backends: table.backends.length,
    connections: counters.connections,
    inFlight: table.backends.reduce((n, b) => n + router.inFlight(b.id), 0),
    ejected: [...versions].filter((v) => router.stats(v, 1000).ejected === true),
  };
}

/**
 * SIGTERM from the keeper: leave the control socket at once (the agent's
 * long-poll breaks, so it finds the router that replaces this one and sends it
 * the table), stop accepting, let in-flight requests finish, finish writing the
 * table, exit.
 */
async function stop(router: Router, control: () => Server | null, writing: () => Promise<void>, log: (l: string) => void): Promise<void> {
  log('stopping: finishing the requests in flight');
  control()?.close();
  control()?.closeAllConnections();
  await router.shutdown({ timeoutMs: DEFAULT_ROUTER_SHUTDOWN_MS });
  await writing().catch(() => undefined);
  log('stopped');
  process.exit(0);
}
