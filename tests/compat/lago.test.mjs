// Lago's own client against Metering's /lago/api/v1, used as its README shows; values read back through Lago's current
// usage and through /v1.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { Client, getLagoError } from 'lago-javascript-client';
import { baseUrl, ok, newTenant, addMinutes } from './helpers.mjs';

let key;
let lago;
const now = Math.floor(Date.now() / 1000);
const event = (transaction_id, calls, timestamp = now - 60) => ({ transaction_id, external_subscription_id: 'sub_lago', code: 'api_calls', timestamp, properties: { calls } });

async function lagoError(promise) {
  try {
    await promise;
  } catch (error) {
    return { status: error.status, body: await getLagoError(error) };
  }
  assert.fail('the call succeeded');
}

before(async () => {
  key = await newTenant();
  await ok(key, 'POST', '/v1/meters', { code: 'api_calls', event_type: 'api_call', aggregation: 'sum', value_property: 'calls' });
  await ok(key, 'POST', '/v1/customers', { id: 'cust_lago', currency: 'EUR', tax_rate: '0.20' });
  await ok(key, 'POST', '/v1/plans', { code: 'lago_plan', currency: 'EUR', interval: 'month', fixed_fee: '10' });
  await ok(key, 'POST', '/v1/plans/lago_plan/prices', { meter: 'api_calls', model: 'per_unit', properties: { unit_price: '0.5' }, effective_from: '2020-01-01T00:00:00Z' });
  await ok(key, 'POST', '/v1/subscriptions', { id: 'sub_lago', customer_id: 'cust_lago', plan: 'lago_plan', started_at: addMinutes(new Date(), -24 * 60).toISOString(), subjects: ['lago:cust_lago'] });
  lago = Client(key, { baseUrl: baseUrl + '/lago/api/v1' });
});

test('createEvent answers the event in Lago\'s shape; timestamps as integers, floats and numeric strings', async () => {
  const { data } = await lago.events.createEvent({ event: event('tx-1', 3) });
  assert.equal(data.event.transaction_id, 'tx-1');
  assert.equal(data.event.external_subscription_id, 'sub_lago');
  assert.equal(data.event.lago_subscription_id, 'sub_lago');
  assert.equal(data.event.lago_customer_id, 'cust_lago');
  assert.equal(data.event.code, 'api_calls');
  assert.deepEqual(data.event.properties, { calls: 3 });
  assert.equal(new Date(data.event.timestamp).getTime(), (now - 60) * 1000);
  assert.match(data.event.lago_id, /^[0-9a-f-]{36}$/);
  const float = await lago.events.createEvent({ event: event('tx-2', 2, now - 50.5) });
  assert.equal(new Date(float.data.event.timestamp).getTime(), (now - 50.5) * 1000);
  const text = await lago.events.createEvent({ event: event('tx-3', 1, String(now - 40)) });
  assert.equal(new Date(text.data.event.timestamp).getTime(), (now - 40) * 1000);
});

test('a transaction id sent again answers Lago\'s 422 value_already_exist and is counted once', async () => {
  const { status, body } = await lagoError(lago.events.createEvent({ event: event('tx-1', 3) }));
  assert.equal(status, 422);
  assert.deepEqual(body, { status: 422, error: 'Unprocessable Entity', code: 'validation_errors', error_details: { transaction_id: ['value_already_exist'] } });
});

test('createBatchEvents stores a batch; a batch with one bad or taken event stores none of it', async () => {
  const { data } = await lago.events.createBatchEvents({ events: [event('tx-4', 4), event('tx-5', 5)] });
  assert.deepEqual(data.events.map((e) => e.transaction_id), ['tx-4', 'tx-5']);
  const unknown = await lagoError(lago.events.createBatchEvents({ events: [event('tx-6', 100), { ...event('tx-7', 100), code: 'nope' }] }));
  assert.equal(unknown.status, 422);
  assert.deepEqual(unknown.body.error_details, { 1: { code: ['metric_not_found'] } });
  const taken = await lagoError(lago.events.createBatchEvents({ events: [event('tx-1', 3), event('tx-8', 100)] }));
  assert.deepEqual(taken.body.error_details, { 0: { transaction_id: ['value_already_exist'] } });
  const tooMany = await lagoError(lago.events.createBatchEvents({ events: Array.from({ length: 101 }, (_, i) => event(`tx-many-${i}`, 1)) }));
  assert.equal(tooMany.status, 422);
});

test('findCustomerCurrentUsage prices the current period by the plan\'s price book', async () => {
  const { data } = await lago.customers.findCustomerCurrentUsage('cust_lago', { external_subscription_id: 'sub_lago' });
  const usage = data.customer_usage;
  assert.equal(usage.currency, 'EUR');
  assert.equal(usage.amount_cents, 750);
  assert.equal(usage.taxes_amount_cents, 150);
  assert.equal(usage.total_amount_cents, 900);
  assert.equal(usage.charges_usage.length, 1);
  const charge = usage.charges_usage[0];
  assert.equal(charge.units, '15');
  assert.equal(charge.events_count, 5);
  assert.equal(charge.amount_cents, 750);
  assert.deepEqual([charge.billable_metric.code, charge.billable_metric.aggregation_type, charge.charge.charge_model], ['api_calls', 'sum_agg', 'standard']);
  assert.ok(new Date(usage.from_datetime) <= new Date() && new Date() < new Date(usage.to_datetime));
  const missing = await lagoError(lago.customers.findCustomerCurrentUsage('cust_other', { external_subscription_id: 'sub_lago' }));
  assert.equal(missing.status, 404);
});

test('the same usage read through /v1 matches', async () => {
  const usage = await ok(key, 'GET', '/v1/subscriptions/sub_lago/usage?meter=api_calls');
  assert.equal(usage.value, '15');
  assert.equal(usage.events, 5);
});
