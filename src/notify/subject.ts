/** Pure: a message's subject line. */
import type { NotificationFacts } from './contract.js';

const TITLES: Record<string, [emoji: string, words: string]> = {
  started: ['🚀', 'Deployment Started'],
  succeeded: ['✅', 'Deployment Successful'],
  failed: ['🚨', 'Deployment Failed'],
  rolled_back: ['⚠️', 'Rollback Executed'],
  rollback_failed: ['🔥', 'Rollback Failed: Action Required'],
  cancelled: ['⏹️', 'Deployment Cancelled'],
  blocked: ['⛔', 'Deployment Blocked'],
  approval_needed: ['✋', 'Deployment Awaiting Approval'],
  paused: ['⏸️', 'Rollout Paused'],
  test: ['🧪', 'Notification Test'],
  incident: ['⚠️', 'Incident'],
  alert_firing: ['🚨', 'Alert Firing'],
  alert_resolved: ['✅', 'Alert Resolved'],
};

const SEVERITY_EMOJI: Record<string, string> = { critical: '🔥', error: '🚨', warning: '⚠️', info: 'ℹ️' };

/** `Production` for `production`, `Staging-eu` for `staging-eu`. */
function titleCase(environment: string): string {
  return environment.charAt(0).toUpperCase() + environment.slice(1);
}

/** The subject line: seed 001's, with the environment's name in place of "Production". */
export function subjectOf(f: NotificationFacts): string {
  if (f.incident) return `${SEVERITY_EMOJI[f.incident.severity] ?? '⚠️'} ${titleCase(f.environment)} Incident: ${f.incident.type} (${f.incident.severity})`;
  const [emoji, words] = TITLES[f.event] ?? ['ℹ️', f.event];
  return `${emoji} ${titleCase(f.environment)} ${words}${f.alert ? `: ${f.alert.rule}` : ''}`;
}
