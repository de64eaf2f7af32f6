/**
 * The dial-time SSRF guard and the response rules of one webhook POST, against real sockets on
 * 127.0.0.1. DNS is stubbed (the `lookup` option) so public-looking names resolve to private
 * addresses; the receiver counts what actually reaches it: nothing, in every hostile case.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from '#clients/webhook-post';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/** A resolver that answers `address` for every name (what a hostile DNS zone can do). */
function resolvingTo(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as unknown as LookupFunction;
}

describe('webhook POST: dial-time guard', () => {
  const receiver = new WebhookReceiver();
  beforeAll(async () => {
    await receiver.start();
  });
  afterAll(() => receiver.stop());

  it.each(['127.0.0.1', '10.0.0.7', '169.254.169.254', '100.64.0.1', '::1', '::ffff:127.0.0.1', 'fd00:ec2::254', '0.0.0.0'])(
    'a public name resolving to %s is refused before connecting',
    async (address) => {
      const outcome = await postWebhook(`https://hooks.example.com:${receiver.port}/x`, '{}', {}, { lookup: resolvingTo(address) });
      expect(outcome).toEqual({ reason: 'blocked-address' });
      expect(receiver.requests).toHaveLength(0);
    },
  );

  it('an http:// URL to the receiver is refused outright outside the local stack', async () => {
    expect(await postWebhook(receiver.url, '{}', {})).toEqual({ reason: 'refused-url' });
    expect(await postWebhook(`https://2130706433:${receiver.port}/`, '{}', {})).toEqual({ reason: 'refused-url' });
    expect(receiver.requests).toHaveLength(0);
  });

  it('even with loopback allowed (local stack), a name resolving to a private non-loopback address is refused', async () => {
    const outcome = await postWebhook(`http://localhost:${receiver.port}/x`, '{}', {}, { allowLoopback: true, lookup: resolvingTo('10.0.0.7') });
    expect(outcome).toEqual({ reason: 'blocked-address' });
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('webhook POST: what is done with the answer', () => {
  let server: Server;
  let port = 0;
  let handler: Parameters<typeof createServer>[1] = () => {};
  beforeAll(async () => {
    server = createServer((req, res) => handler!(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = () => `http://127.0.0.1:${port}/hook`;
  const local = { allowLoopback: true };

  it('does not follow a redirect to another local address: the target gets nothing, the attempt counts as a 302', async () => {
    const target = await new WebhookReceiver().start();
    handler = (_req, res) => {
      res.writeHead(302, { location: target.url });
      res.end();
    };
    try {
      expect(await postWebhook(url(), '{}', {}, local)).toEqual({ statusCode: 302 });
      expect(target.requests).toHaveLength(0);
    } finally {
      await target.stop();
    }
  });

  it('reads at most a few KB of a huge answer and keeps only status and Retry-After', async () => {
    let written = 0;
    handler = (_req, res) => {
      res.writeHead(503, { 'retry-after': '30' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 50 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
        if (written < 50 * 1024 * 1024) res.once('drain', pump);
        else res.end();
      };
      pump();
    };
    expect(await postWebhook(url(), '{}', {}, local)).toEqual({ statusCode: 503, retryAfterSeconds: 30 });
    expect(written).toBeLessThan(50 * 1024 * 1024);
  });

  it('a receiver that never answers ends in a timeout, not a hang', async () => {
    handler = () => {};
    expect(await postWebhook(url(), '{}', {}, { ...local, timeoutMs: 300 })).toEqual({ reason: 'timeout' });
  });

  it('a connection torn down mid-answer, or garbage instead of HTTP, is a network failure', async () => {
    handler = (req) => req.socket.end('NOT HTTP AT ALL\r\n\r\n');
    expect(await postWebhook(url(), '{}', {}, local)).toEqual({ reason: 'network' });
  });

  it('sends exactly the given body and headers', async () => {
    const receiver = await new WebhookReceiver().start();
    try {
      const outcome = await postWebhook(receiver.url, '{"a":1}', { 'webhook-id': 'msg_1', 'content-type': 'application/json' }, local);
      expect(outcome).toEqual({ statusCode: 204 });
      expect(receiver.requests[0]).toMatchObject({ body: '{"a":1}', headers: { 'webhook-id': 'msg_1', 'content-length': '7' } });
    } finally {
      await receiver.stop();
    }
  });
});
