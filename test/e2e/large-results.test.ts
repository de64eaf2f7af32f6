/**
 * Results of any size over real HTTP: a large result is stored by the worker helper and answered
 * with 303 to a presigned URL of the local S3; one too large for the workflow or the table fails
 * the task with result-too-large, recorded by the workflow itself.
 */
import { createHash } from 'node:crypto';
import { LongrunClient } from '@longrun/client';
import { describe, expect, it } from 'vitest';
import { reportOf } from '../../lib/demo/functions/report.ts';
import { http, localStack, pollUntil } from '../support/http.ts';
import { violations } from '../support/openapi-conformance.ts';

const terminal = (task: { status: string }) => ['succeeded', 'failed', 'cancelled'].includes(task.status);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function runReport(input: Record<string, unknown>) {
  const submitted = await http('POST', '/tasks', { body: { type: 'report', input } });
  expect(submitted.status).toBe(202);
  const location = submitted.headers.get('location')!;
  const { task } = await pollUntil(location, terminal, { timeoutMs: 60_000, maxWaitMs: 250 });
  return { task, location };
}

/** GET the result without following redirects, checked against the OpenAPI document. */
async function getResultManually(location: string): Promise<Response> {
  const stack = localStack();
  // Location is absolute (built from the request's host and stage).
  const url = `${location}/result`;
  const response = await fetch(url, { headers: { 'x-api-key': stack.apiKeys[0]! }, redirect: 'manual' });
  const text = await response.clone().text();
  expect(violations('GET', new URL(url).pathname, response.status, response.headers, text)).toEqual([]);
  return response;
}

describe('results of any size', () => {
  it('a 2 MB result round-trips byte for byte: 303 to a presigned URL that needs no API key', async () => {
    const input = { sizeKb: 2048 };
    const { task, location } = await runReport(input);
    expect(task.status).toBe('succeeded');

    const answer = await getResultManually(location);
    expect(answer.status).toBe(303);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const link = new URL(answer.headers.get('location')!);
    expect(link.origin).toBe(localStack().s3Endpoint);
    expect(link.pathname).toBe(`/${localStack().resultsBucketName}/results/${task.id}.json`);
    expect(Number(link.searchParams.get('X-Amz-Expires'))).toBe(300);

    // No x-api-key, no Authorization: the URL is the credential. A browser that followed the 303
    // from the API's origin says `Origin: null`; the test stack allows one browser origin, so CORS is on.
    const download = await fetch(link, { headers: { origin: 'null' } });
    expect(download.status).toBe(200);
    expect(download.headers.get('access-control-allow-origin')).toBe('*');
    const bytes = new Uint8Array(await download.arrayBuffer());
    const expected = Buffer.from(JSON.stringify(reportOf(input)));
    expect(bytes.byteLength).toBeGreaterThan(2 * 1024 * 1024);
    expect(bytes.byteLength).toBe(expected.byteLength);
    expect(sha256(bytes)).toBe(sha256(expected));
  });

  it('the typed client follows the 303 itself, sending its API key only to the API', async () => {
    const input = { sizeKb: 300, label: 'via the client' };
    const { task } = await runReport(input);
    const sent: Array<{ url: string; key: string | null }> = [];
    const client = new LongrunClient({
      baseUrl: localStack().baseUrl,
      apiKey: localStack().apiKeys[0],
      fetch: (url, init) => {
        sent.push({ url: String(url), key: new Headers(init?.headers).get('x-api-key') });
        return fetch(url, init);
      },
    });
    expect(await client.result(task.id)).toEqual(reportOf(input));
    expect(sent).toHaveLength(2);
    expect(sent[0]!.url.startsWith(localStack().baseUrl)).toBe(true);
    expect(sent[0]!.key).toBe(localStack().apiKeys[0]);
    expect(sent[1]!.url.startsWith(localStack().s3Endpoint)).toBe(true);
    expect(sent[1]!.key).toBeNull();
  });

  it('a small result stays inline: 200 with the result itself', async () => {
    const { task, location } = await runReport({ sizeKb: 8 });
    expect(task.status).toBe('succeeded');
    const answer = await http('GET', `${location}/result`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual(reportOf({ sizeKb: 8 }));
  });

  it('a result over 256 KB returned without the helper fails the task with result-too-large, saying what to do', async () => {
    const { task, location } = await runReport({ sizeKb: 300, inline: true });
    expect(task.status).toBe('failed');
    expect(task.error).toMatchObject({
      type: 'https://longrun.dev/problems/result-too-large',
      title: 'Result too large',
      detail: expect.stringContaining('storeLargeResult'),
    });
    const result = await http('GET', `${location}/result`);
    expect(result.status).toBe(409);
  });

  it('a result that would make the task record exceed 400 KB is never dropped silently: result-too-large', async () => {
    // ~190 KB of input (kept in the record) + ~220 KB of inline result (it echoes the label).
    const { task } = await runReport({ sizeKb: 30, inline: true, label: 'x'.repeat(190_000) });
    expect(task.status).toBe('failed');
    expect(task.error.type).toBe('https://longrun.dev/problems/result-too-large');
  });
});

describe("the body limit is ours, not the firewall's", () => {
  it('accepts a 200 KB body (the WAF managed rule would block anything over 8 KB) and answers 413 one byte over 256 KiB', async () => {
    const big = await http('POST', '/tasks', { body: { type: 'report', input: { sizeKb: 1, label: 'y'.repeat(200_000) } } });
    expect(big.status).toBe(202);

    const prefix = '{"type":"fail","input":{"message":"';
    const suffix = '"}}';
    const raw = prefix + 'z'.repeat(256 * 1024 + 1 - prefix.length - suffix.length) + suffix;
    expect(Buffer.byteLength(raw)).toBe(256 * 1024 + 1);
    const over = await http('POST', '/tasks', { raw, headers: { 'content-type': 'application/json' } });
    expect(over.status).toBe(413);
    expect(over.body.type).toBe('https://longrun.dev/problems/payload-too-large');
  });
});
