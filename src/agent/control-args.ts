/**
 * How the TCP control API is set up, as the agent process's arguments (the
 * token travels in the environment instead: SHIPGATE_AGENT_TOKEN). The CLI
 * starts an agent with these, and an agent hands them to its successor.
 */
export interface ControlTcpSettings {
  /** `host:port` of the TCP control API. */
  listen: string;
  /** Absolute paths of the PEM certificate and key: the API speaks HTTPS. */
  tls?: { cert: string; key: string };
}

export function controlArgs(s: ControlTcpSettings | undefined): string[] {
  if (!s) return [];
  return ['--control-listen', s.listen, ...(s.tls ? ['--control-tls-cert', s.tls.cert, '--control-tls-key', s.tls.key] : [])];
}

/** The settings back from an agent's argv (`arg` reads one flag's value); undefined without --control-listen. */
export function controlSettingsFrom(arg: (name: string) => string | undefined): ControlTcpSettings | undefined {
  const listen = arg('--control-listen');
  if (!listen) return undefined;
  const cert = arg('--control-tls-cert');
  const key = arg('--control-tls-key');
  return cert && key ? { listen, tls: { cert, key } } : { listen };
}
