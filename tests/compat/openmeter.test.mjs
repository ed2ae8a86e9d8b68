// OpenMeter's own SDK against Metering's /api/v1, used as its README shows; values read back through /api/v1 and /v1.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { OpenMeter } from '@openmeter/sdk';
import { baseUrl, call, ok, newTenant, minuteOf, addMinutes } from './helpers.mjs';

let key;
let openmeter;
const start = addMinutes(minuteOf(new Date()), -15);
const at = (minute) => new Date(addMinutes(start, minute).getTime() + 5000);
const range = { from: start, to: addMinutes(start, 10) };
const event = (id, subject, minute, model, type, tokens) => ({ id, source: 'llm-gateway', type: 'ai-tokens', subject, time: at(minute), data: { model, type, tokens } });

before(async () => {
  key = await newTenant();
  await ok(key, 'POST', '/v1/customers', { id: 'acme', currency: 'USD' });
  await ok(key, 'POST', '/v1/customers', { id: 'beta', currency: 'USD' });
  await ok(key, 'POST', '/v1/plans', { code: 'pro', currency: 'USD', interval: 'month' });
  await ok(key, 'POST', '/v1/subscriptions', { id: 'sub_a', customer_id: 'acme', plan: 'pro', started_at: addMinutes(start, -60).toISOString(), subjects: ['customer-acme', 'customer-acme-2'] });
  await ok(key, 'POST', '/v1/subscriptions', { id: 'sub_b', customer_id: 'beta', plan: 'pro', started_at: addMinutes(start, -60).toISOString(), subjects: ['customer-beta'] });
  openmeter = new OpenMeter({ baseUrl, apiKey: key });

  const meter = await openmeter.meters.create({ slug: 'ai_tokens', name: 'AI tokens', eventType: 'ai-tokens', aggregation: 'SUM', valueProperty: '$.tokens', groupBy: { model: '$.model', type: '$.type' } });
  assert.equal(meter.slug, 'ai_tokens');
  await openmeter.meters.create({ slug: 'avg_tokens', eventType: 'ai-tokens', aggregation: 'AVG', valueProperty: '$.tokens', groupBy: { model: '$.model' } });

  // One event, then an array, as the README shows; then the first again and a batch repeating one: counted once.
  await openmeter.events.ingest(event('evt-1', 'customer-acme', 1, 'gpt-4', 'input', 100));
  await openmeter.events.ingest([
    event('evt-2', 'customer-acme', 1, 'gpt-4', 'output', 50),
    event('evt-3', 'customer-acme-2', 2, 'gpt-3.5', 'input', 30),
    event('evt-4', 'customer-beta', 2, 'gpt-4', 'input', 7),
    event('evt-5', 'customer-acme', 3, 'gpt-4', 'input', 25),
  ]);
  await openmeter.events.ingest(event('evt-1', 'customer-acme', 1, 'gpt-4', 'input', 100));
  await openmeter.events.ingest([event('evt-2', 'customer-acme', 1, 'gpt-4', 'output', 50), event('evt-6', 'customer-acme', 3, 'gpt-3.5', 'output', 10)]);
});

const rows = (result) => result.data.map((r) => [r.windowStart.toISOString(), r.subject ?? null, JSON.stringify(r.groupBy), r.value])
  .sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1));

test('meters are listed and read in OpenMeter\'s shape', async () => {
  const meters = await openmeter.meters.list();
  assert.deepEqual(meters.map((m) => m.slug).sort(), ['ai_tokens', 'avg_tokens']);
  const meter = await openmeter.meters.get('avg_tokens');
  assert.equal(meter.aggregation, 'AVG');
  assert.equal(meter.valueProperty, '$.tokens');
  assert.deepEqual(meter.groupBy, { model: '$.model' });
  assert.equal(meter.eventType, 'ai-tokens');
});

test('a MINUTE query grouped by model gives exact values per minute, each duplicate counted once', async () => {
  const result = await openmeter.meters.query('ai_tokens', { ...range, windowSize: 'MINUTE', groupBy: ['model'] });
  assert.equal(result.windowSize, 'MINUTE');
  const m = (k) => addMinutes(start, k).toISOString();
  assert.deepEqual(rows(result), [
    [m(1), null, '{"model":"gpt-4"}', 150],
    [m(2), null, '{"model":"gpt-3.5"}', 30],
    [m(2), null, '{"model":"gpt-4"}', 7],
    [m(3), null, '{"model":"gpt-3.5"}', 10],
    [m(3), null, '{"model":"gpt-4"}', 25],
  ].sort((a, b) => (a.join('|') < b.join('|') ? -1 : 1)));
  assert.equal(result.data.find((r) => r.windowStart.toISOString() === m(1)).windowEnd.toISOString(), m(2));
});

test('queries by subject span subscriptions; subject filters, group filters and totals are exact', async () => {
  const bySubject = await openmeter.meters.query('ai_tokens', { ...range, groupBy: ['subject'] });
  assert.deepEqual(bySubject.data.map((r) => [r.subject, r.value]).sort(), [['customer-acme', 185], ['customer-acme-2', 30], ['customer-beta', 7]]);
  const one = await openmeter.meters.query('ai_tokens', { ...range, subject: ['customer-acme', 'customer-beta'] });
  assert.deepEqual(one.data.map((r) => r.value), [192]);
  const gpt4 = await openmeter.meters.query('ai_tokens', { ...range, filterGroupBy: { model: 'gpt-4' } });
  assert.deepEqual(gpt4.data.map((r) => r.value), [182]);
  const inputs = await openmeter.meters.query('ai_tokens', { ...range, filterGroupBy: { type: 'input' }, groupBy: ['model'] });
  assert.deepEqual(inputs.data.map((r) => [r.groupBy.model, r.value]).sort(), [['gpt-3.5', 30], ['gpt-4', 132]]);
});

test('AVG is the mean of the events in each window, never a mean of means', async () => {
  const total = await openmeter.meters.query('avg_tokens', { ...range, groupBy: ['model'] });
  assert.deepEqual(total.data.map((r) => [r.groupBy.model, r.value]).sort(), [['gpt-3.5', 20], ['gpt-4', 45.5]]);
  const perMinute = await openmeter.meters.query('avg_tokens', { ...range, windowSize: 'MINUTE', filterGroupBy: { model: 'gpt-4' } });
  assert.deepEqual(perMinute.data.map((r) => r.value), [75, 7, 25]);
});

test('HOUR windows follow windowTimeZone (Asia/Kolkata windows start at :30 UTC)', async () => {
  const result = await openmeter.meters.query('ai_tokens', { ...range, windowSize: 'HOUR', windowTimeZone: 'Asia/Kolkata' });
  assert.ok(result.data.length >= 1);
  assert.equal(result.data.reduce((s, r) => s + r.value, 0), 222);
  for (const r of result.data) {
    const end = r.windowEnd.getTime();
    assert.ok(end === range.to.getTime() || new Date(end).getUTCMinutes() === 30, `window ends at ${r.windowEnd.toISOString()}`);
  }
});

test('the same usage read through /v1 matches, minute by minute', async () => {
  const q = `meter=ai_tokens&from=${range.from.toISOString()}&to=${range.to.toISOString()}&window=minute&group_by=model`;
  const usage = await ok(key, 'GET', `/v1/subscriptions/sub_a/usage?${q}`);
  assert.equal(usage.value, '215');
  assert.equal(usage.events, 5);
  assert.deepEqual(usage.windows.map((w) => [w.start.replace('.000', ''), w.value]), [
    [addMinutes(start, 1).toISOString().replace('.000', ''), '150'],
    [addMinutes(start, 2).toISOString().replace('.000', ''), '30'],
    [addMinutes(start, 3).toISOString().replace('.000', ''), '35'],
  ]);
  assert.deepEqual(usage.groups.model, { 'gpt-3.5': '40', 'gpt-4': '175' });
});

test('an event whose subject no subscription holds refuses the request, naming the subject; nothing of it is stored', async () => {
  await assert.rejects(
    openmeter.events.ingest([event('evt-7', 'customer-acme', 4, 'gpt-4', 'input', 1000), event('evt-8', 'nobody', 4, 'gpt-4', 'input', 1)]),
    (error) => error.status === 422 && error.title === 'Unknown subject' && error.message.includes("'nobody'"));
  const total = await openmeter.meters.query('ai_tokens', range);
  assert.deepEqual(total.data.map((r) => r.value), [222]);
});

test('a bad event refuses its batch with a problem the SDK reads; a charset suffix is accepted', async () => {
  const bad = await fetch(baseUrl + '/api/v1/events', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/cloudevents-batch+json' },
    body: JSON.stringify([{ ...event('evt-9', 'customer-acme', 4, 'gpt-4', 'input', 1), specversion: '1.0', time: at(4).toISOString() }, { id: 'evt-10', source: 'x', specversion: '1.0', subject: 'customer-acme' }]),
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('content-type'), 'application/problem+json');
  const problem = await bad.json();
  assert.ok(problem.errors['[1].type'], JSON.stringify(problem));
  const single = await fetch(baseUrl + '/api/v1/events', {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/cloudevents+json; charset=utf-8' },
    body: JSON.stringify({ ...event('evt-11', 'customer-beta', 4, 'gpt-4', 'input', 1), specversion: '1.0', time: at(4).toISOString() }),
  });
  assert.equal(single.status, 204);
  assert.equal(await single.text(), '');
  const total = await openmeter.meters.query('ai_tokens', range);
  assert.deepEqual(total.data.map((r) => r.value), [223]);
});
