import { spawn } from 'node:child_process';

/**
 * systemd integration (Type=notify, NotifyAccess=all): tells systemd the agent is
 * ready, and after a handover which process is now the main one, so systemd keeps
 * tracking the agent across `shipgate agent restart`. Does nothing outside systemd.
 */
export function notifySystemd(fields: Record<string, string>, env: NodeJS.ProcessEnv = process.env): void {
  if (!env.NOTIFY_SOCKET) return;
  const args = Object.entries(fields).map(([k, v]) => `${k}=${v}`);
  const child = spawn('systemd-notify', args, { stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
}
