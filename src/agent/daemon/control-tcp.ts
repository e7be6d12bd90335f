import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { parseListen } from '../../config/schema/local.js';
import type { ControlTcpSettings } from '../control-args.js';
import { plainControlRefusal } from '../loopback.js';
import { controlServerOptions, createControlHandler, type Routes } from './control-server.js';

/**
 * The optional TCP control API. The token grants code execution as the
 * agent's user (a version spec is an argv), so the agent itself refuses to
 * serve it in clear text beyond loopback, whatever started it; with TLS the
 * certificate and key are read from their files at start.
 */

/** Open connections at most: the token is checked per request, so clients without it could otherwise hold descriptors. */
export const MAX_TCP_CONNECTIONS = 64;
/** A TLS handshake must finish within this long (Node's default is two minutes). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** A setting the agent will not start with: reported as one line, without a stack. */
export class StartRefused extends Error {}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new StartRefused(`cannot read provider.control.tls.${what} (${path}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** The TCP control API's settings, checked and with the TLS material read: made before the agent binds anything. */
export interface PreparedControlTcp {
  readonly listen: string;
  readonly tls: { cert: Buffer; key: Buffer } | null;
}

export function prepareControlTcp(settings: ControlTcpSettings): PreparedControlTcp {
  if (settings.tls) return { listen: settings.listen, tls: { cert: readPem(settings.tls.cert, 'cert'), key: readPem(settings.tls.key, 'key') } };
  const refusal = plainControlRefusal(settings.listen);
  if (refusal !== null) throw new StartRefused(`provider.control.listen: ${refusal}`);
  return { listen: settings.listen, tls: null };
}

function createServer(prepared: PreparedControlTcp, handler: ReturnType<typeof createControlHandler>): Server {
  const options = controlServerOptions({});
  if (prepared.tls === null) return createHttpServer(options, (req, res) => void handler(req, res));
  try {
    return createHttpsServer({ ...options, ...prepared.tls, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS }, (req, res) => void handler(req, res)) as unknown as Server;
  } catch (err) {
    throw new StartRefused(`provider.control.tls: the certificate and key do not make a TLS server: ${(err as Error).message}`);
  }
}

/** Serves `routes` on the TCP address (or the inherited listening `handle`), with the token required. */
export async function listenControlTcp(prepared: PreparedControlTcp, routes: Routes, token: string, log: (line: string) => void, handle: { fd: number } | null): Promise<Server> {
  const server = createServer(prepared, createControlHandler(routes, { token, log }));
  server.maxConnections = MAX_TCP_CONNECTIONS;
  const { host, port } = parseListen(prepared.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: Error) => reject(new StartRefused(`cannot listen on the control address ${prepared.listen}: ${err.message}`)));
    if (handle) server.listen(handle, resolve);
    else server.listen(port, host, resolve);
  });
  return server;
}
