import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { json } from '../support/project.js';
import { makeLocalProject, type LocalProject } from '../support/local-project.js';

/**
 * The dashboard in a real Chromium during a real canary with the local provider: the page,
 * opened once, shows the weights move and the failing version rolled back, from the journal
 * stream alone. With SHIPGATE_DASHBOARD_SCREENSHOT=FILE it also writes a screenshot there
 * (the README's).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TOKEN = 'e2e-dashboard-token-0123456789abcdef';
const LISTENING = /on (http:\/\/127\.0\.0\.1:\d+)/;
const CANARY = `rollout:
  strategy: canary
  steps: [{ weight: 50, pause: 20s }, { weight: 100, pause: 0s }]
  analysis: { interval: 500ms, failureLimit: 2, maxErrorRate: 0.05, minRequests: 3, onInconclusive: continue }
`;

let p: LocalProject | null = null;
let browser: Browser | null = null;
afterAll(async () => {
  await browser?.close();
  await p?.dispose();
});

function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`the dashboard test drives Chromium at ${CHROMIUM}, which is missing: install it (Debian: apt-get install chromium) or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** The text of the first element `selector` matches, once `accept` takes it. */
async function textOf(page: Page, selector: string, accept: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const text = ((await page.locator(selector).first().textContent({ timeout: 1000 }).catch(() => null)) ?? '').trim();
    if (accept(text)) return text;
    if (Date.now() > deadline) throw new Error(`the page never showed ${what} (${selector} reads "${text}")`);
    await page.waitForTimeout(50);
  }
}

describe('the dashboard', () => {
  it('shows a canary\'s weights move and its rollback live, without a reload', async () => {
    const [project, b] = await Promise.all([makeLocalProject(CANARY), launch()]);
    p = project;
    browser = b;
    // The page opens while the first version deploys (the store exists once the gates stage starts).
    const first = p.spawn(['deploy', 'v1.0.0']);
    await first.waitFor('stage gates started');
    const server = p.spawn(['serve', '--port', '0'], { env: { SHIPGATE_SERVE_TOKEN: TOKEN } });
    const base = LISTENING.exec(await server.waitFor(LISTENING))![1]!;

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const urls: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (err) => problems.push(String(err)));
    page.on('request', (r) => urls.push(r.url()));
    page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
    await page.goto(`${base}/#token=${TOKEN}`);
    await page.waitForSelector('#live[data-state="live"]');
    await page.evaluate('window.sameDocument = true');
    expect(await page.evaluate('location.hash')).toBe(''); // the token left the address bar
    expect((await first.done).code).toBe(0);
    await textOf(page, '[data-env="production"] .live-version', (t) => t === 'v1.0.0', 'the live version');

    // A canary of a version that fails half its answers, under load.
    await p.write('faults.json', JSON.stringify({ errorRate: 0.5 }));
    const q = p;
    let loading = true;
    const load = (async () => {
      while (loading) await q.get('/').catch(() => undefined);
    })();
    const started = Date.now();
    const deploy = p.spawn(['deploy', 'v1.1.0', '--json']);
    const panel = 'article.rollout[data-version="v1.1.0"]';
    try {
      await textOf(page, `${panel} tr[data-version="v1.1.0"] .weight-value`, (t) => t === '50%', 'v1.1.0 at 50%');
      const at50Ms = Date.now() - started;
      expect(await page.textContent(`${panel} tr[data-version="v1.0.0"] .weight-value`)).toBe('50%');
      await page.waitForSelector(`${panel}[data-status="rolled_back"]`, { timeout: 20_000 });
      console.log(`dashboard: the page showed v1.1.0 at 50% ${at50Ms} ms and rolled back ${Date.now() - started} ms after the deploy started`);
    } finally {
      loading = false;
      await load;
    }
    const result = await deploy.done;
    expect(result.code, result.stderr).toBe(1);
    expect(json<{ status: string }>(result).status).toBe('rolled_back');

    // The panel: weights back on v1.0.0, the candidate's figures, and every weight change in order.
    expect(await page.textContent(`${panel} tr[data-version="v1.1.0"] .weight-value`)).toBe('0%');
    expect(await page.textContent(`${panel} tr[data-version="v1.0.0"] .weight-value`)).toBe('100%');
    const errorRate = (await page.textContent(`${panel} tr[data-version="v1.1.0"] .error-rate`))!;
    expect(Number(errorRate.replace('%', ''))).toBeGreaterThan(5);
    expect(await page.textContent(`${panel} tr[data-version="v1.1.0"] .p95`)).toMatch(/^\d+ ms$/);
    expect(await page.textContent(`${panel} .verdict`)).toMatch(/^analysis: fail/);
    const changes = await page.locator(`${panel} .weight-history li`).allTextContents();
    const at50 = changes.findIndex((c) => c.startsWith('v1.0.0 50% · v1.1.0 50%'));
    expect(at50, changes.join('\n')).toBeGreaterThanOrEqual(0);
    expect(changes.slice(at50 + 1).some((c) => c.startsWith('v1.0.0 100%')), changes.join('\n')).toBe(true);

    // The rest of the page caught up too: live version, DORA, history with a filter, the timeline.
    await textOf(page, '[data-env="production"] .dora-failure .tile-value', (t) => t === '50%', 'a change failure rate of 50%');
    expect(await page.textContent('[data-env="production"] .live-version')).toBe('v1.0.0');
    await page.selectOption('#filter-status', 'rolled_back');
    // A locator's wait, not waitForFunction: a string predicate polls through eval, which the page's CSP forbids (as it should).
    await page.locator('#history-rows[data-filter="|rolled_back"]').waitFor({ state: 'attached' });
    expect(await page.locator('#history-rows td.version').allTextContents()).toEqual(['v1.1.0']);
    await page.click('#history-rows button');
    await textOf(page, '#timeline-events li[data-type="deploy:finished"] .what', (t) => t.startsWith('finished: rolled back'), 'the timeline');
    expect(await page.locator('#timeline-events li[data-type="rollout:weights"]').count()).toBeGreaterThanOrEqual(2);

    expect(await page.evaluate('window.sameDocument')).toBe(true); // never reloaded
    expect(problems).toEqual([]); // no script error, no CSP violation, no request refused
    expect(urls.filter((u) => u.includes(TOKEN))).toEqual([]);
    await page.evaluate('window.scrollTo(0, 0)');
    if (process.env.SHIPGATE_DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.SHIPGATE_DASHBOARD_SCREENSHOT, fullPage: false });
    server.child.kill('SIGTERM');
    expect((await server.done).code).toBe(0); // also with the page's stream open
  }, 60_000);
});
