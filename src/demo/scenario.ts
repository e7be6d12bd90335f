/** The demo's script: what it deploys, with which faults, and what must happen. */

export interface DemoStep {
  version: string;
  /** faults.json of this version's release (see examples/demo-app/server.js). */
  faults: Record<string, unknown> | null;
  /** The deployment status the demo expects. */
  expect: 'succeeded' | 'rolled_back';
  what: string;
}

export const DEMO_STEPS: DemoStep[] = [
  { version: 'v1.0.0', faults: null, expect: 'succeeded', what: 'first deployment (nothing to canary against: straight to 100%)' },
  { version: 'v1.1.0', faults: null, expect: 'succeeded', what: 'canary 5% -> 50% -> 100%, promoted by analysis' },
  { version: 'v1.2.0', faults: { errorRate: 0.2 }, expect: 'rolled_back', what: 'canary with a 20% error rate: caught at 5% and rolled back' },
];

/** Requests per second of the synthetic traffic. */
export const DEMO_RPS = 200;
export const DEMO_CONNECTIONS = 8;

export function demoConfig(port: number): string {
  return `# written by shipgate demo
app: demo
provider:
  type: local
  command: ["node", "dist/server.js"]
  instances: 2
  listen: 127.0.0.1:${port}
  readiness: { path: /health, interval: 200ms, timeout: 1s, grace: 15s }
  stopTimeout: 5s
  deadman: 10s
build:
  command: ["node", "build.js"]
  artifacts: [dist]
rollout:
  strategy: canary
  steps: [{ weight: 5, pause: 5s }, { weight: 50, pause: 4s }, { weight: 100, pause: 2s }]
  analysis: { interval: 1s, failureLimit: 2, maxErrorRate: 0.05, maxP95: 500ms, minRequests: 5, onInconclusive: continue }
smoke:
  - { name: home, url: "http://127.0.0.1:${port}/", expect: [200] }
`;
}
