// Set-up through Metering's own API (/v1 and the admin API), shared by the SDK tests.
import { randomUUID } from 'node:crypto';

export const baseUrl = process.env.METERING_URL ?? 'http://127.0.0.1:8080';
const adminKey = process.env.METERING_ADMIN_KEY ?? '';

export async function call(key, method, path, body) {
  const response = await fetch(baseUrl + path, {
    method,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: text ? JSON.parse(text) : null };
}

export async function ok(key, method, path, body) {
  const answer = await call(key, method, path, body);
  if (answer.status >= 300) {
    throw new Error(`${method} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  return answer.body;
}

/** A tenant of its own, so each run starts from nothing; returns its API key. */
export async function newTenant() {
  const created = await ok(adminKey, 'POST', '/admin/v1/tenants', { id: 't_' + randomUUID().replaceAll('-', '').slice(0, 12) });
  return created.api_key;
}

/** The start of the minute holding `date`, as a Date. */
export function minuteOf(date) {
  return new Date(Math.floor(date.getTime() / 60000) * 60000);
}

export function addMinutes(date, minutes) {
  return new Date(date.getTime() + minutes * 60000);
}
