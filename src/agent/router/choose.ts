/**
 * Which version serves a request: `X-Shipgate-Version` reaches a version at
 * any weight (including 0); else a sticky cookie keeps a client on its version
 * while that version still has a weight and a ready instance and is not
 * ejected; else the smooth
 * weighted round-robin decides (and the sticky cookie, when enabled, is set).
 */
import { cookieValue } from './headers.js';
import { noReadyInstance, noReadyInstanceOf, type RouterError } from './errors.js';
import type { Routing, VersionRoute } from './routing.js';

export interface ChooseOptions {
  stickyCookie: string | false;
  versionHeader: boolean;
}

export interface ChooseInput {
  /** X-Shipgate-Version, '' when absent. */
  version: string;
  /** The Cookie header(s), '' when absent. */
  cookie: string;
  /** Set to the version to write into the sticky cookie, '' for none. */
  setCookie: string;
}

/** The version for the request, or null (then {@link whyNoRoute} says why). */
export function chooseVersion(routing: Routing, input: ChooseInput, opts: ChooseOptions): VersionRoute | null {
  if (opts.versionHeader && input.version !== '') {
    const route = routing.versions.get(input.version);
    return route !== undefined && route.available.length > 0 ? route : null;
  }
  if (opts.stickyCookie === false) return routing.byWeight() ?? null;
  const pinned = input.cookie === '' ? '' : cookieValue(input.cookie, opts.stickyCookie);
  if (pinned !== '') {
    const route = routing.versions.get(pinned);
    if (route !== undefined && routing.routable(route)) return route;
  }
  const route = routing.byWeight();
  if (route === undefined) return null;
  if (route.version !== pinned) input.setCookie = route.version;
  return route;
}

export function whyNoRoute(routing: Routing, input: ChooseInput, opts: ChooseOptions): RouterError {
  if (opts.versionHeader && input.version !== '') {
    return noReadyInstanceOf(input.version, routing.versions.get(input.version)?.backends.length ?? 0);
  }
  return noReadyInstance(routing.readiness());
}

/** The Set-Cookie value that pins a client to `version` (for the browser session). */
export function stickyCookieHeader(name: string, version: string): string {
  return `${name}=${version}; Path=/; HttpOnly; SameSite=Lax`;
}
