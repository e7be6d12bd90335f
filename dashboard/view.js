// The dashboard's DOM: every value goes in as text (textContent or a text node), never as markup.
import { describeEvent, duration, formatMs, formatPercent, formatSeconds, formatWeights, statusWords, versionRows } from './model.js';

/** An element with attributes and children; strings become text nodes. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

export function replace(id, ...children) {
  document.getElementById(id).replaceChildren(...children.flat());
}

/** `2026-01-20T10:00:00.000Z` -> `2026-01-20 10:00:00 UTC`. */
export function when(iso) {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : '–';
}

const badge = (status) => h('span', { class: `badge status-${String(status).replace(/[^a-z_]/g, '')}` }, statusWords(status));

export function environmentCards(cards) {
  if (cards.length === 0) return [h('p', { class: 'empty' }, 'No deployments yet.')];
  return cards.map((c) =>
    h(
      'article',
      { class: 'card env', 'data-env': c.environment },
      h('h3', {}, c.environment),
      h('p', { class: 'live' }, h('span', { class: 'label' }, 'live '), h('strong', { class: 'live-version' }, c.live ? c.live.version : 'nothing'), c.live ? ` since ${when(c.live.finishedAt)}` : ''),
      h(
        'p',
        { class: 'rollback' },
        c.rollback.target
          ? [h('span', { class: 'label' }, 'rollback to '), h('strong', {}, c.rollback.target), ' until ', h('span', { class: 'deadline' }, when(c.rollback.deadline)), c.rollback.open ? '' : ' (closed)']
          : h('span', { class: 'label' }, 'no rollback target'),
      ),
      c.running.map((r) => h('p', { class: 'running' }, badge(r.status), ` ${r.kind} ${r.version}${r.stage ? ` — ${r.stage}` : ''}`)),
      c.lock ? h('p', { class: 'lock' }, `locked by ${c.lock.holder} since ${when(c.lock.since)}`) : '',
    ),
  );
}

const tile = (label, value, cls) => h('div', { class: `tile ${cls}` }, h('span', { class: 'tile-value' }, value), h('span', { class: 'tile-label' }, label));

export function doraTiles(dora) {
  if (dora.environments.length === 0) return [h('p', { class: 'empty' }, 'No deployments in the window.')];
  return dora.environments.map((k) =>
    h(
      'div',
      { class: 'dora-row', 'data-env': k.environment },
      h('h3', {}, k.environment),
      h(
        'div',
        { class: 'tiles' },
        tile('deploys per day', k.deploymentFrequencyPerDay.toFixed(2), 'dora-frequency'),
        tile('lead time for changes', formatSeconds(k.leadTimeSeconds), 'dora-lead'),
        tile('change failure rate', formatPercent(k.changeFailureRate, 0), 'dora-failure'),
        tile('time to restore', formatSeconds(k.timeToRestoreSeconds), 'dora-restore'),
      ),
    ),
  );
}

function versionTable(r) {
  return h(
    'table',
    { class: 'versions' },
    h('thead', {}, h('tr', {}, h('th', {}, 'version'), h('th', {}, 'weight'), h('th', {}, 'error rate'), h('th', {}, 'p95'), h('th', {}, 'requests'))),
    h(
      'tbody',
      {},
      versionRows(r).map((v) =>
        h(
          'tr',
          { 'data-version': v.version },
          h('td', {}, v.version, v.role ? h('span', { class: 'role' }, ` ${v.role}`) : ''),
          h('td', { class: 'weight' }, h('meter', { min: 0, max: 100, value: v.weight }), h('span', { class: 'weight-value' }, `${v.weight}%`)),
          h('td', { class: 'error-rate' }, v.stats ? formatPercent(v.stats.errorRate) : '–'),
          h('td', { class: 'p95' }, v.stats ? formatMs(v.stats.p95) : '–'),
          h('td', { class: 'requests' }, v.stats ? String(v.stats.requests) : '–'),
        ),
      ),
    ),
  );
}

export function rolloutPanels(rollouts) {
  if (rollouts.length === 0) return [h('p', { class: 'empty' }, 'No rollout since this page opened.')];
  return rollouts.map((r) =>
    h(
      'article',
      { class: 'card rollout', 'data-env': r.environment, 'data-deployment': r.deploymentId, 'data-version': r.version, 'data-status': r.status },
      h('h3', {}, `${r.kind} ${r.version} → ${r.environment} `, badge(r.status), r.paused ? h('span', { class: 'badge paused' }, 'paused') : ''),
      h('p', { class: 'step' }, r.step ? `step ${r.step} (${r.stepStatus ?? ''}) at ${r.trafficPercentage ?? 0}%` : r.stage ? `stage ${r.stage}` : ''),
      versionTable(r),
      r.verdict ? h('p', { class: `verdict verdict-${r.verdict}` }, `analysis: ${r.verdict}${r.failureLimit ? ` (${r.failures} of ${r.failureLimit} failures allowed)` : ''}${r.reasons.length ? ` — ${r.reasons.join('; ')}` : ''}`) : '',
      r.weightHistory.length ? h('ol', { class: 'weight-history' }, r.weightHistory.map((w) => h('li', {}, formatWeights(w.weights), w.reason ? h('span', { class: 'why' }, ` ${w.reason}`) : ''))) : '',
      r.error ? h('p', { class: 'error-text' }, r.error) : '',
    ),
  );
}

export function historyRows(rows, selected, onSelect) {
  if (rows.length === 0) return [h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'No deployments match.'))];
  return rows.map((d) =>
    h(
      'tr',
      { 'data-deployment': d.id, 'data-status': d.status, class: d.id === selected ? 'selected' : null },
      h('td', {}, h('button', { type: 'button', class: 'link', onclick: () => onSelect(d.id) }, d.id)),
      h('td', {}, d.environment),
      h('td', {}, d.kind),
      h('td', { class: 'version' }, d.version),
      h('td', {}, badge(d.status)),
      h('td', {}, when(d.startedAt)),
      h('td', {}, formatSeconds(duration(d.startedAt, d.finishedAt))),
    ),
  );
}

export function timelineHeader(d) {
  return h(
    'div',
    { class: 'timeline-head', 'data-deployment': d.id },
    h('h3', {}, `${d.kind} ${d.version} → ${d.environment} `, badge(d.status)),
    h('p', {}, `${d.id} · by ${d.triggeredBy}${d.reason ? ` · ${d.reason}` : ''}${d.previousVersion ? ` · was ${d.previousVersion}` : ''}`),
    d.error ? h('p', { class: 'error-text' }, d.error) : '',
  );
}

export function timelineItem(e) {
  return h('li', { 'data-type': e.type, 'data-seq': e.seq }, h('time', { datetime: e.at }, e.at ? e.at.slice(11, 23) : ''), h('code', {}, e.type), h('span', { class: 'what' }, describeEvent(e)));
}
