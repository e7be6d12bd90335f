// @ts-check
/**
 * Debian's nginx as the reference reverse proxy of the router benchmark: one
 * worker, keep-alive to the app (upstream keepalive 32, HTTP/1.1, empty
 * Connection header), no access log, in the foreground with a throwaway
 * prefix directory. Stopped (SIGQUIT, then SIGKILL) by `stop()` or at clean-up.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchError, onCleanup } from './harness.js';
import { waitForPort } from './load.js';

export const NGINX = '/usr/sbin/nginx';

/**
 * @param {{ prefix: string, listenPort: number, upstreamPort: number }} o
 * @returns {string} nginx.conf
 */
export function nginxConfig({ prefix, listenPort, upstreamPort }) {
  return `worker_processes 1;
daemon off;
master_process on;
pid ${join(prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${join(prefix, 'client_body')};
  proxy_temp_path ${join(prefix, 'proxy')};
  fastcgi_temp_path ${join(prefix, 'fastcgi')};
  uwsgi_temp_path ${join(prefix, 'uwsgi')};
  scgi_temp_path ${join(prefix, 'scgi')};
  keepalive_requests 1000000;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 32;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${listenPort};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
}

/**
 * Starts nginx in the foreground; resolves once it accepts connections.
 * @param {{ prefix: string, listenPort: number, upstreamPort: number, pin: (argv: string[]) => string[] }} o
 * @returns {Promise<{ pid: number, stop: () => Promise<void> }>}
 */
export async function startNginx({ prefix, listenPort, upstreamPort, pin }) {
  mkdirSync(prefix, { recursive: true });
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ prefix, listenPort, upstreamPort }));
  const argv = pin([NGINX, '-p', prefix, '-c', conf, '-e', 'stderr']);
  const child = spawn(/** @type {string} */ (argv[0]), argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGQUIT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await new Promise((resolve) => child.once('exit', resolve));
    clearTimeout(killer);
  };
  onCleanup(stop);
  const exited = new Promise((_, reject) => child.once('exit', (code) => reject(new BenchError(`nginx exited with ${code}:\n${stderr}`))));
  await Promise.race([waitForPort(listenPort), exited]);
  return { pid: /** @type {number} */ (child.pid), stop };
}
