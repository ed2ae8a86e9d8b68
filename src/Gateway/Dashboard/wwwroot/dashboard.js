// Metering dashboard: signs in with a key kept in sessionStorage (never in the URL), then polls the API every 1.5 s.
'use strict';

const KEY = 'metering.dashboard.key';
const POLL_MS = 1500;
const SVG = 'http://www.w3.org/2000/svg';
const state = { key: null, admin: false, timer: null, open: null, history: [] };

const $ = id => document.getElementById(id);

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, cls) {
  const tr = el('tr', null, cls);
  for (const c of cells) {
    const td = c instanceof Node ? c : null;
    if (td && td.tagName === 'TD') tr.appendChild(td);
    else { const cell = el('td'); if (c instanceof Node) cell.appendChild(c); else cell.textContent = c ?? ''; tr.appendChild(cell); }
  }
  return tr;
}

function fill(tableId, rows) {
  const body = $(tableId).querySelector('tbody');
  body.replaceChildren(...rows);
}

async function api(path) {
  const response = await fetch(path, { headers: { Authorization: 'Bearer ' + state.key }, cache: 'no-store', referrerPolicy: 'no-referrer' });
  let body = null;
  try { body = await response.json(); } catch { body = null; }
  return { status: response.status, body };
}

function fmt(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '-';
  return Number(n).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

// A line chart: each series is { values: [number|null], label }. Scales to the highest value.
function lineChart(svg, series, unit) {
  const w = 600, h = 160, left = 44, bottom = 18, top = 8;
  const all = series.flatMap(s => s.values).filter(v => v !== null && v !== undefined);
  const max = Math.max(1, ...all);
  const n = Math.max(2, ...series.map(s => s.values.length));
  const x = i => left + (i * (w - left - 4)) / (n - 1);
  const y = v => top + (h - top - bottom) * (1 - v / max);
  const nodes = [];
  const axis = document.createElementNS(SVG, 'path');
  axis.setAttribute('d', `M${left},${top} V${h - bottom} H${w - 4}`);
  axis.setAttribute('class', 'axis');
  axis.setAttribute('fill', 'none');
  nodes.push(axis);
  for (const [label, v] of [[fmt(max, 1), max], ['0', 0]]) {
    const t = document.createElementNS(SVG, 'text');
    t.setAttribute('x', 2); t.setAttribute('y', y(v) + 4); t.textContent = label;
    nodes.push(t);
  }
  const colors = ['#2f6fde', '#d9822b', '#2a9d55', '#9b1c1c'];
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => (v === null || v === undefined ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter(p => p);
    const line = document.createElementNS(SVG, 'polyline');
    line.setAttribute('points', points.join(' '));
    line.setAttribute('fill', 'none');
    line.setAttribute('stroke', colors[k % colors.length]);
    line.setAttribute('stroke-width', '2');
    line.setAttribute('data-series', s.label);
    line.setAttribute('data-points', String(points.length));
    nodes.push(line);
    const legend = document.createElementNS(SVG, 'text');
    legend.setAttribute('x', left + 8 + k * 90); legend.setAttribute('y', h - 4);
    legend.setAttribute('fill', colors[k % colors.length]);
    legend.textContent = s.label + (unit ? ' ' + unit : '');
    nodes.push(legend);
  });
  svg.replaceChildren(...nodes);
}

// Hourly bars of one meter's usage windows.
function barChart(windows) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 240 40');
  svg.setAttribute('class', 'bars');
  const values = windows.map(w => Number(w.value ?? 0));
  const max = Math.max(1, ...values);
  const width = 240 / Math.max(1, values.length);
  values.forEach((v, i) => {
    const bar = document.createElementNS(SVG, 'rect');
    const height = (38 * v) / max;
    bar.setAttribute('x', (i * width).toFixed(1)); bar.setAttribute('width', Math.max(1, width - 1).toFixed(1));
    bar.setAttribute('y', (40 - height).toFixed(1)); bar.setAttribute('height', height.toFixed(1));
    bar.setAttribute('fill', '#2f6fde');
    svg.appendChild(bar);
  });
  svg.style.height = '2.5rem';
  return svg;
}

async function refreshCluster() {
  const { status, body } = await api(state.admin ? '/admin/v1/dashboard/cluster' : '/v1/cluster');
  if (status !== 200) return status;
  const now = Date.parse(body.now) || Date.now();
  fill('silos', body.silos.map(s => {
    const status = s.suspected && s.status === 'active' ? 'suspected' : s.status;
    const age = (now - Date.parse(s.last_heartbeat)) / 1000;
    const statusCell = el('td', status, 'status');
    return row([String(s.id), s.address ?? '', statusCell, s.partitions, s.activations, fmt(Math.max(0, age), 1) + ' s'], 'silo status-' + status);
  }));
  return status;
}

async function refreshTraffic() {
  const { status, body } = await api('/admin/v1/dashboard/traffic');
  if (status !== 200) return;
  const t = body.totals;
  const samples = body.samples;
  const last = samples[samples.length - 1] ?? {};
  // Latency and commit size of the latest second that had any (a quiet second has none).
  const lastLatency = [...samples].reverse().find(s => s.ingest_p50_ms !== null && s.ingest_p50_ms !== undefined) ?? {};
  const lastCommits = [...samples].reverse().find(s => s.commit_size_avg !== null && s.commit_size_avg !== undefined) ?? {};
  const nodes = body.nodes ?? [];
  $('traffic-node').textContent = body.scope === 'cluster' ? `cluster · ${nodes.length} silo${nodes.length === 1 ? '' : 's'} (asked ${body.silo})` : 'node ' + body.silo;
  fill('traffic-nodes', nodes.map(n => row([n.silo, n.address, n.status, fmt(n.ingest_rate, 1), fmt(n.ingest_p99_ms, 2), fmt(n.events_accepted), fmt(n.server_errors)],
    'node status-' + (n.status === 'ok' ? 'active' : 'dead'))));
  $('events-accepted').textContent = fmt(t.events_accepted);
  $('ingest-rate').textContent = fmt(last.ingest_rate, 1);
  $('ingest-p50').textContent = fmt(lastLatency.ingest_p50_ms, 2);
  $('ingest-p99').textContent = fmt(lastLatency.ingest_p99_ms, 2);
  $('consume-rate').textContent = fmt(last.consume_rate, 1);
  $('check-rate').textContent = fmt(last.check_rate, 1);
  $('quota-denials').textContent = fmt(t.consumes_denied + t.checks_denied);
  $('commit-size').textContent = fmt(lastCommits.commit_size_avg, 1);
  $('server-errors').textContent = fmt(t.server_errors);
  lineChart($('chart-ingest'), [{ label: 'accepted', values: samples.map(s => s.ingest_rate) }, { label: 'refused', values: samples.map(s => s.refused_rate) }], '/s');
  lineChart($('chart-latency'), [{ label: 'p50', values: samples.map(s => s.ingest_p50_ms) }, { label: 'p99', values: samples.map(s => s.ingest_p99_ms) }], 'ms');
  lineChart($('chart-quota'), [{ label: 'consumes', values: samples.map(s => s.consume_rate) }, { label: 'checks', values: samples.map(s => s.check_rate) }], '/s');
  lineChart($('chart-commits'), [{ label: 'events/commit', values: samples.map(s => s.commit_size_avg) }], '');
  const recent = {};
  for (const s of samples) for (const [code, n] of Object.entries(s.refused_by_code ?? {})) recent[code] = (recent[code] ?? 0) + n;
  fill('errors', Object.entries(t.refused_by_code).map(([code, n]) => row([code, fmt(n), fmt(recent[code] ?? 0)])));
}

async function refreshGrains() {
  const { status, body } = await api(state.admin ? '/admin/v1/dashboard/grains' : '/v1/dashboard/grains');
  if (status !== 200) return;
  const unreachable = body.unreachable ?? [];
  $('grains-node').textContent = (body.scope === 'cluster' ? 'cluster' : 'node ' + body.silo) + (unreachable.length ? ` (no answer from ${unreachable.join(', ')})` : '');
  fill('hot-grains', body.grains.map(g => {
    let key = g.key;
    if (g.subscription_id) {
      key = el('a', g.key, 'open');
      key.addEventListener('click', () => openSubscription(g.tenant_id, g.subscription_id));
    }
    return row([g.type, key, g.silo, g.partition, fmt(g.calls)]);
  }));
}

async function refreshJobs() {
  const { status, body } = await api(state.admin ? '/admin/v1/dashboard/jobs' : '/v1/dashboard/jobs');
  if (status !== 200) return;
  fill('billing-runs', body.billing_runs.map(r => {
    const bar = el('span', null, 'progress');
    const inner = el('span');
    inner.style.width = (r.total > 0 ? (100 * r.done) / r.total : (r.status === 'completed' ? 100 : 0)) + '%';
    bar.appendChild(inner);
    const progress = el('span');
    progress.append(bar, ` ${r.done} / ${r.total}` + (r.failed ? ` (${r.failed} failed)` : ''));
    return row([r.tenant_id, r.id, r.status, progress, r.created_at]);
  }));
  fill('rerating-jobs', body.rerating_jobs.map(j => row([j.tenant_id, j.id, j.status, j.recomputed, j.adjustments])));
}

async function openSubscription(tenant, id) {
  state.open = { tenant, id };
  if (state.admin) $('search-tenant').value = tenant ?? '';
  $('search-subscription').value = id;
  await refreshSubscription();
}

async function refreshSubscription() {
  if (!state.open) return;
  const { tenant, id } = state.open;
  const path = state.admin
    ? `/admin/v1/dashboard/tenants/${encodeURIComponent(tenant)}/subscriptions/${encodeURIComponent(id)}`
    : `/v1/dashboard/subscriptions/${encodeURIComponent(id)}`;
  const { status, body } = await api(path);
  if (status !== 200) {
    $('subscription-view').hidden = true;
    $('subscription-error').textContent = status === 404 ? `Subscription '${id}' was not found.` : `HTTP ${status}`;
    return;
  }
  $('subscription-error').textContent = '';
  $('subscription-view').hidden = false;
  $('subscription-summary').textContent =
    `${body.subscription_id} of tenant ${body.tenant_id}: customer ${body.customer_id}, plan ${body.plan}, period ${body.period_start} to ${body.period_end}`;
  fill('usage', body.meters.map(m => {
    const tr = row([m.meter, m.aggregation, m.value ?? '-', fmt(m.events), barChart(m.windows)]);
    tr.dataset.meter = m.meter;
    return tr;
  }));
  fill('quotas', body.quotas.map(q => row([q.meter, q.period, q.limit, q.used, q.remaining, q.resets_at ?? '-'])));
  fill('invoices', body.invoices.map(i => row([i.period_start, i.status, `${i.total} ${i.currency}`, i.id])));
}

async function tick() {
  try {
    const status = await refreshCluster();
    if (status === 401 || status === 403) { signOut('The key is no longer accepted.'); return; }
    await Promise.all([state.admin ? refreshTraffic() : null, refreshGrains(), refreshJobs(), refreshSubscription()]);
    $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  } catch (e) {
    $('updated').textContent = 'cannot reach the server: ' + e.message;
  }
}

async function signIn(key) {
  state.key = key;
  let probe = await api('/admin/v1/dashboard/cluster');
  if (probe.status === 200) {
    state.admin = true;
  } else {
    probe = await api('/v1/cluster');
    if (probe.status !== 200) {
      state.key = null;
      sessionStorage.removeItem(KEY);
      $('login-error').textContent = probe.status === 401 ? 'This key is not accepted.' : `Sign-in failed (HTTP ${probe.status}).`;
      return;
    }
    state.admin = false;
  }
  sessionStorage.setItem(KEY, key);
  $('login-error').textContent = '';
  $('login').hidden = true;
  $('app').hidden = false;
  $('sign-out').hidden = false;
  $('traffic').hidden = !state.admin;
  $('search-tenant').hidden = !state.admin;
  $('search-tenant').required = state.admin;
  $('mode').textContent = state.admin ? 'admin: whole node' : 'tenant view';
  await tick();
  state.timer = setInterval(tick, POLL_MS);
}

function signOut(message) {
  clearInterval(state.timer);
  sessionStorage.removeItem(KEY);
  Object.assign(state, { key: null, admin: false, timer: null, open: null });
  $('app').hidden = true;
  $('sign-out').hidden = true;
  $('login').hidden = false;
  $('mode').textContent = '';
  $('login-error').textContent = message ?? '';
}

document.addEventListener('DOMContentLoaded', () => {
  $('login-form').addEventListener('submit', e => {
    e.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    signIn(key);
  });
  $('search-form').addEventListener('submit', e => {
    e.preventDefault();
    openSubscription($('search-tenant').value.trim(), $('search-subscription').value.trim());
  });
  $('sign-out').addEventListener('click', () => signOut());
  const saved = sessionStorage.getItem(KEY);
  if (saved) signIn(saved);
});
