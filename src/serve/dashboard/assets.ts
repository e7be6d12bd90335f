/**
 * The dashboard's files: plain HTML, CSS and browser modules shipped in the package's
 * `dashboard/` folder (no build step). They hold no data, so they are served without the
 * token; the page asks the API for everything with the bearer token.
 */
import { readFileSync } from 'node:fs';

/** Where the files live: `dashboard/` at the package root (from `src/serve/dashboard/` and `dist/serve/dashboard/` alike). */
export const DASHBOARD_DIR = new URL('../../../dashboard/', import.meta.url);

const TYPES = { html: 'text/html; charset=utf-8', css: 'text/css; charset=utf-8', js: 'text/javascript; charset=utf-8' } as const;

/** URL path -> file in DASHBOARD_DIR. Only these paths are open without the token. */
export const DASHBOARD_ASSETS: Readonly<Record<string, string>> = {
  '/': 'index.html',
  '/dashboard/dashboard.css': 'dashboard.css',
  '/dashboard/app.js': 'app.js',
  '/dashboard/model.js': 'model.js',
  '/dashboard/view.js': 'view.js',
};

/**
 * The page loads only its own files and talks only to its own origin; nothing may frame it
 * (the token sits in its session storage), and no inline script or style runs.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const DASHBOARD_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': DASHBOARD_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

export interface Asset {
  body: string;
  contentType: string;
}

/** Whether a request path (query string ignored) is one of the dashboard's files. */
export function isDashboardAsset(url: string): boolean {
  return Object.hasOwn(DASHBOARD_ASSETS, url.split('?')[0]!);
}

/** Reads every file once; a missing one is an error naming it (a broken install). */
export function loadAssets(dir: URL = DASHBOARD_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const [path, file] of Object.entries(DASHBOARD_ASSETS)) {
    const ext = file.slice(file.lastIndexOf('.') + 1) as keyof typeof TYPES;
    let body: string;
    try {
      body = readFileSync(new URL(file, dir), 'utf8');
    } catch (err) {
      throw new Error(`the dashboard's file ${file} is missing from ${dir.pathname} (${(err as NodeJS.ErrnoException).code ?? String(err)}): reinstall shipgate`);
    }
    assets.set(path, { body, contentType: TYPES[ext] });
  }
  return assets;
}
