// The dashboard: reads the API with the bearer token and follows the journal stream.
// The token comes from a `#token=` fragment (never sent to the server in a URL) or the
// form, and is kept in this tab's session storage only.
import { STATUSES, SseParser, applyEvent, historyQuery, startedRollout, tokenFromFragment } from './model.js';
import { doraTiles, environmentCards, h, historyRows, replace, rolloutPanels, timelineHeader, timelineItem } from './view.js';

const TOKEN_KEY = 'shipgate.serve.token';
const RECONNECT_MS = 2000;
const REFRESH_DEBOUNCE_MS = 250;

class Unauthorized extends Error {}

const state = {
  token: null,
  overview: null,
  /** environment -> rollout view of its newest deployment seen */
  rollouts: new Map(),
  filters: { environment: '', status: '' },
  selected: null,
  /** Newest journal seq seen: the stream resumes after it. */
  lastSeq: 0,
  /** Stream events that arrive while the first load runs wait here. */
  buffer: [],
  loading: true,
  refreshTimer: null,
};

const byId = (id) => document.getElementById(id);

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { authorization: `Bearer ${state.token}` }, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (res.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    showLogin('The server refused the token.');
    throw new Unauthorized('unauthorized');
  }
  if (!res.ok) throw new Error(`${path.split('?')[0]}: HTTP ${res.status}`);
  return res;
}

const getJson = async (path) => (await (await api(path)).json()).data;

function showError(err) {
  if (err instanceof Unauthorized) return;
  byId('error').hidden = false;
  byId('error').textContent = String(err?.message ?? err);
}

function showLogin(message) {
  state.token = null;
  byId('main').hidden = true;
  byId('login').hidden = false;
  byId('login-message').textContent = message ?? '';
}

function setLive(live) {
  const el = byId('live');
  el.dataset.state = live ? 'live' : 'reconnecting';
  el.textContent = live ? 'live' : 'reconnecting…';
}

// --- the overview: environments and DORA ---

async function loadOverview() {
  const o = await getJson('/api/dashboard/overview');
  state.overview = o;
  byId('app').textContent = o.app;
  replace('environments', environmentCards(o.environments));
  replace('dora', doraTiles(o.dora));
  byId('dora-window').textContent = `last ${Math.round((Date.parse(o.dora.window.to) - Date.parse(o.dora.window.from)) / 86_400_000)} days`;
  const select = byId('filter-environment');
  const current = select.value;
  select.replaceChildren(h('option', { value: '' }, 'all environments'), ...o.environments.map((e) => h('option', { value: e.environment }, e.environment)));
  select.value = o.environments.some((e) => e.environment === current) ? current : '';
  return o;
}

// --- history and the timeline ---

async function loadHistory() {
  const rows = await getJson(historyQuery(state.filters));
  const body = byId('history-rows');
  body.replaceChildren(...historyRows(rows, state.selected, select));
  body.dataset.filter = `${state.filters.environment}|${state.filters.status}`;
}

async function select(id) {
  state.selected = id;
  const { deployment, events } = await getJson(`/api/deployments/${encodeURIComponent(id)}`);
  if (state.selected !== id) return;
  replace('timeline', timelineHeader(deployment), h('ol', { id: 'timeline-events', class: 'timeline' }, events.map(timelineItem)));
  for (const row of byId('history-rows').querySelectorAll('tr')) row.classList.toggle('selected', row.dataset.deployment === id);
}

// --- rollouts: the journal of running deployments, then the stream ---

function renderRollouts() {
  const list = [...state.rollouts.values()].sort((a, b) => (a.deploymentId < b.deploymentId ? 1 : -1));
  replace('rollouts', rolloutPanels(list));
}

function keep(view) {
  const shown = state.rollouts.get(view.environment);
  if (!shown || shown.deploymentId <= view.deploymentId) state.rollouts.set(view.environment, view);
}

async function loadRollout(id) {
  const { deployment, events } = await getJson(`/api/deployments/${encodeURIComponent(id)}`);
  const first = events.find((e) => e.type === 'deploy:started') ?? { deploymentId: id, seq: 0, data: {}, context: {} };
  let view = startedRollout({ ...first, context: { environment: deployment.environment, kind: deployment.kind, version: deployment.version } });
  view = { ...view, previousVersion: view.previousVersion ?? deployment.previousVersion };
  for (const e of events) if (e !== first) view = applyEvent(view, e);
  const live = state.rollouts.get(view.environment);
  // The stream may have moved it on while the journal was read: keep the one that saw more.
  if (live && live.deploymentId === id && live.lastSeq >= view.lastSeq) return;
  keep(view);
  renderRollouts();
}

function onEvent(e) {
  state.lastSeq = Math.max(state.lastSeq, e.seq ?? 0);
  const env = e.context?.environment;
  const shown = state.rollouts.get(env);
  if (e.type === 'deploy:started') keep(startedRollout(e));
  else if (shown && shown.deploymentId === e.deploymentId) state.rollouts.set(env, applyEvent(shown, e));
  else if (!shown || shown.deploymentId < e.deploymentId) loadRollout(e.deploymentId).catch(showError);
  renderRollouts();
  if (state.selected === e.deploymentId) byId('timeline-events')?.append(timelineItem(e));
  if (e.type === 'deploy:started' || e.type === 'deploy:finished' || e.type === 'deploy:acknowledged' || e.type === 'stage:started') scheduleRefresh(e.deploymentId);
}

function scheduleRefresh(deploymentId) {
  clearTimeout(state.refreshTimer);
  state.refreshTimer = setTimeout(() => {
    Promise.all([loadOverview(), loadHistory(), state.selected === deploymentId ? refreshTimelineHead(deploymentId) : null]).catch(showError);
  }, REFRESH_DEBOUNCE_MS);
}

async function refreshTimelineHead(id) {
  const { deployment } = await getJson(`/api/deployments/${encodeURIComponent(id)}`);
  if (state.selected === id) byId('timeline').querySelector('.timeline-head')?.replaceWith(timelineHeader(deployment));
}

function receive(message) {
  let event;
  try {
    event = JSON.parse(message.data);
  } catch {
    return;
  }
  if (state.loading) state.buffer.push(event);
  else onEvent(event);
}

async function follow() {
  for (;;) {
    try {
      const res = await api(`/api/events${state.lastSeq > 0 ? `?after=${state.lastSeq}` : ''}`);
      setLive(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const m of parser.push(value)) receive(m);
      }
    } catch (err) {
      if (err instanceof Unauthorized) return;
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
  }
}

async function start() {
  byId('login').hidden = true;
  byId('main').hidden = false;
  void follow();
  try {
    const overview = await loadOverview();
    await loadHistory();
    for (const card of overview.environments) for (const r of card.running) await loadRollout(r.deploymentId);
  } catch (err) {
    showError(err);
  } finally {
    state.loading = false;
    state.buffer.splice(0).forEach(onEvent);
    renderRollouts();
  }
}

function setUpControls() {
  byId('filter-status').replaceChildren(h('option', { value: '' }, 'any status'), ...STATUSES.map((s) => h('option', { value: s }, s.replace(/_/g, ' '))));
  for (const [id, key] of [['filter-environment', 'environment'], ['filter-status', 'status']]) {
    byId(id).addEventListener('change', (ev) => {
      state.filters[key] = ev.target.value;
      loadHistory().catch(showError);
    });
  }
  byId('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const token = byId('token').value.trim();
    byId('token').value = '';
    if (token === '') return;
    sessionStorage.setItem(TOKEN_KEY, token);
    state.token = token;
    start();
  });
  byId('forget').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.reload();
  });
}

function boot() {
  setUpControls();
  const fromFragment = tokenFromFragment(location.hash);
  if (fromFragment) {
    sessionStorage.setItem(TOKEN_KEY, fromFragment);
    history.replaceState(null, '', location.pathname + location.search);
  }
  state.token = sessionStorage.getItem(TOKEN_KEY);
  if (state.token) start();
  else showLogin();
}

boot();
