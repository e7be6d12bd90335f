import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parseListen, type ControlConfig } from '../config/schema/local.js';
import type { AgentEndpoint } from './client.js';
import type { StartOptions } from './lifecycle.js';

/**
 * `provider.control` for the two ends of the TCP control API: how the CLI
 * starts the agent with it, and how a client reaches it (HTTPS verified
 * against `tls.ca`, or the certificate itself when self-signed). File paths
 * are relative to the config file's folder `root`.
 */

function fromRoot(root: string, path: string): string {
  return isAbsolute(path) ? path : resolve(root, path);
}

export function controlStartOptions(control: ControlConfig | undefined, root: string): StartOptions {
  if (!control) return {};
  const tls = control.tls ? { cert: fromRoot(root, control.tls.cert), key: fromRoot(root, control.tls.key) } : undefined;
  return { controlListen: control.listen, controlToken: control.token, ...(tls ? { controlTls: tls } : {}) };
}

/** Where a client on this machine reaches the TCP control API (a wildcard address is reached on loopback). */
export function controlEndpoint(control: ControlConfig, root: string): AgentEndpoint {
  const { host, port } = parseListen(control.listen);
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const ca = control.tls ? readFileSync(fromRoot(root, control.tls.ca ?? control.tls.cert)) : undefined;
  return { host: reach, port, token: control.token, ...(ca ? { ca } : {}) };
}
