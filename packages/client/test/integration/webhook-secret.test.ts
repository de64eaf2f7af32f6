/**
 * The webhook secret through the typed client (against the local stack) and the CLI (in process,
 * `runCli`). Rotation is not done for real here: other test files verify deliveries with these
 * callers' secrets concurrently, so the CLI's `--rotate` is checked against a recording fetch.
 */
import { describe, expect, inject, it } from 'vitest';
import { runCli } from '../../src/cli.ts';
import { LongrunClient } from '../../src/index.ts';

function io(fetchImpl?: typeof fetch) {
  let stdout = '';
  let stderr = '';
  return {
    io: {
      stdout: { write: (t: string) => (stdout += t) },
      stderr: { write: (t: string) => (stderr += t) },
      env: {},
      ...(fetchImpl && { fetch: fetchImpl }),
    },
    out: () => stdout,
    err: () => stderr,
  };
}

describe('webhook secret in the client and the CLI', () => {
  it('client.webhookSecret(): the same whsec_ secret each time', async () => {
    const stack = inject('localStack');
    const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0] });
    const first = await client.webhookSecret();
    expect(first.secret).toMatch(/^whsec_/);
    expect((await client.webhookSecret()).secret).toBe(first.secret);
  });

  it('longrun webhook-secret prints the secret (stdout only, nothing else)', async () => {
    const stack = inject('localStack');
    const client = new LongrunClient({ baseUrl: stack.baseUrl, apiKey: stack.apiKeys[0] });
    const run = io();
    expect(await runCli(['webhook-secret', '--url', stack.baseUrl, '--api-key', stack.apiKeys[0]!], run.io)).toBe(0);
    expect(run.out()).toBe(`${(await client.webhookSecret()).secret}\n`);
  });

  it('longrun webhook-secret --rotate POSTs and says until when the previous secret signs', async () => {
    const seen: Array<{ method: string; url: string }> = [];
    const fake = (async (url: string, init: RequestInit) => {
      seen.push({ method: String(init.method), url: String(url) });
      return new Response(
        JSON.stringify({ secret: 'whsec_bmV3', createdAt: '2026-01-01T00:00:00.000Z', previousSecretExpiresAt: '2026-01-02T00:00:00.000Z' }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      );
    }) as unknown as typeof fetch;
    const run = io(fake);
    expect(await runCli(['webhook-secret', '--rotate', '--url', 'http://api.test/v1', '--api-key', 'k'], run.io)).toBe(0);
    expect(seen).toEqual([{ method: 'POST', url: 'http://api.test/v1/webhook-secret' }]);
    expect(run.out()).toBe('whsec_bmV3\n');
    expect(run.err()).toContain('2026-01-02T00:00:00.000Z');
  });

  it('--rotate belongs to webhook-secret only', async () => {
    const run = io();
    expect(await runCli(['status', 'x', '--rotate'], run.io)).toBe(2);
  });
});
