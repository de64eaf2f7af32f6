/**
 * The JWT authorizer against a local JWKS: a key pair made here, its public half served from a
 * `node:http` server on 127.0.0.1, tokens signed here. No network beyond loopback.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { exportJWK, generateKeyPair, type CryptoKey as JoseKey, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiEvent, invoke } from '../support/api-event.ts';
import { putRow } from '../support/fixtures.ts';
import { useLocalStackEnv } from '../support/handler-env.ts';

const ISSUER = 'https://issuer.test/tenant';
const AUDIENCE = 'longrun-api';
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/tasks/42';

let server: Server;
let rsa: { privateKey: JoseKey; publicKey: JoseKey };
let ec: { privateKey: JoseKey; publicKey: JoseKey };
let stranger: { privateKey: JoseKey; publicKey: JoseKey };
let handler: (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
let jwksRequests = 0;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  stranger = await generateKeyPair('RS256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = createServer((req, res) => {
    jwksRequests++;
    if (req.url !== '/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  Object.assign(process.env, { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URI: `http://127.0.0.1:${port}/jwks.json` });
  ({ handler } = await import('#http/jwt-authorizer'));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

interface TokenOptions {
  sub?: string | null;
  iss?: string;
  aud?: string;
  /** `null`: no `exp` claim at all. */
  expiresAt?: number | null;
  key?: JoseKey;
  alg?: string;
  kid?: string;
  /** `typ` header. */
  typ?: string;
  /** `iat`; null leaves it out. */
  issuedAt?: number | null;
}

function token(o: TokenOptions = {}): Promise<string> {
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: o.alg ?? 'RS256', kid: o.kid ?? 'rsa-1', ...(o.typ && { typ: o.typ }) })
    .setIssuer(o.iss ?? ISSUER)
    .setAudience(o.aud ?? AUDIENCE);
  if (o.issuedAt !== null) jwt.setIssuedAt(o.issuedAt);
  if (o.expiresAt !== null) jwt.setExpirationTime(o.expiresAt ?? Math.floor(Date.now() / 1000) + 300);
  if (o.sub !== null) jwt.setSubject(o.sub ?? 'user-123');
  return jwt.sign(o.key ?? rsa.privateKey);
}

const authorize = (authorizationToken: string) => handler({ type: 'TOKEN', authorizationToken, methodArn: METHOD_ARN });
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('JWT authorizer', () => {
  it('allows a valid RS256 token on the whole stage, principalId = sub', async () => {
    const result = await authorize(`Bearer ${await token()}`);
    expect(result.principalId).toBe('user-123');
    expect(result.policyDocument).toEqual({
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*/*' }],
    });
  });

  it('allows a valid ES256 token, and fetched the JWKS once for both', async () => {
    const result = await authorize(`Bearer ${await token({ key: ec.privateKey, alg: 'ES256', kid: 'ec-1', sub: 'svc-7' })}`);
    expect(result.principalId).toBe('svc-7');
    expect(jwksRequests).toBe(1);
  });

  it('accepts typ JWT, at+jwt and application/at+jwt, and a token without typ', async () => {
    for (const typ of ['JWT', 'at+jwt', 'application/at+JWT', undefined]) {
      await expect(authorize(`Bearer ${await token({ ...(typ && { typ }) })}`), String(typ)).resolves.toMatchObject({ principalId: 'user-123' });
    }
  });

  it('tolerates 5 s of clock skew, not more', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expect(authorize(`Bearer ${await token({ expiresAt: now - 2 })}`)).resolves.toMatchObject({ principalId: 'user-123' });
    await expect(authorize(`Bearer ${await token({ expiresAt: now - 30 })}`)).rejects.toThrow(/^Unauthorized$/);
  });

  it.each<[string, () => Promise<string>]>([
    ['expired', async () => `Bearer ${await token({ expiresAt: Math.floor(Date.now() / 1000) - 3600 })}`],
    ['no exp (a token that would never expire)', async () => `Bearer ${await token({ expiresAt: null })}`],
    ['wrong audience', async () => `Bearer ${await token({ aud: 'someone-else' })}`],
    ['wrong issuer', async () => `Bearer ${await token({ iss: 'https://evil.test/tenant' })}`],
    ['bad signature (a key not in the JWKS, same kid)', async () => `Bearer ${await token({ key: stranger.privateKey })}`],
    [
      'tampered payload',
      async () => {
        const [h, , s] = (await token()).split('.');
        return `Bearer ${h}.${b64({ sub: 'admin', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}.${s}`;
      },
    ],
    ['alg: none, no signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'admin', iss: ISSUER, aud: AUDIENCE })}.`],
    ['alg: none, some signature', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ sub: 'admin', iss: ISSUER, aud: AUDIENCE })}.AAAA`],
    [
      'HS256 (not an accepted algorithm)',
      async () => {
        const secret = new TextEncoder().encode('a-shared-secret-of-at-least-32-bytes!!');
        return `Bearer ${await new SignJWT({ sub: 'admin' }).setProtectedHeader({ alg: 'HS256', kid: 'rsa-1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(secret)}`;
      },
    ],
    ['no sub', async () => `Bearer ${await token({ sub: null })}`],
    ['no iat (its age cannot be told)', async () => `Bearer ${await token({ issuedAt: null })}`],
    [
      'issued more than the maximum token age ago (24 h), though not expired',
      async () => `Bearer ${await token({ issuedAt: Math.floor(Date.now() / 1000) - 25 * 3600 })}`,
    ],
    ['typ of another kind of token (a security event token)', async () => `Bearer ${await token({ typ: 'secevent+jwt' })}`],
    ['missing header', async () => ''],
    ['non-Bearer scheme', async () => `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['token without scheme', async () => token()],
    ['doubled scheme', async () => `Bearer Bearer ${await token()}`],
    ['garbage', async () => 'Bearer not.a.jwt'],
  ])('refuses %s with Unauthorized', async (_, make) => {
    const error = await authorize(await make()).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toBe('Unauthorized');
  });
});

describe('JWT authorizer configuration', () => {
  it.each(['61', '-1', '2.5', 'soon'])('fails loudly (not as 401s) with JWT_CLOCK_TOLERANCE_SECONDS=%s (bounded to 0..60)', async (value) => {
    const saved = process.env.JWT_CLOCK_TOLERANCE_SECONDS;
    process.env.JWT_CLOCK_TOLERANCE_SECONDS = value;
    try {
      vi.resetModules();
      const { handler } = await import('#http/jwt-authorizer');
      await expect(
        handler({ type: 'TOKEN', authorizationToken: 'Bearer a.b.c', methodArn: 'arn:aws:execute-api:us-east-1:1:api/v1/GET/tasks' }),
      ).rejects.toThrow(/JWT_CLOCK_TOLERANCE_SECONDS must be an integer from 0 to 60/);
    } finally {
      if (saved === undefined) delete process.env.JWT_CLOCK_TOLERANCE_SECONDS;
      else process.env.JWT_CLOCK_TOLERANCE_SECONDS = saved;
    }
  });

  it('honours a configured tolerance: 0 s refuses a token expired 2 s ago, 30 s accepts one expired 20 s ago', async () => {
    const now = Math.floor(Date.now() / 1000);
    const load = async (seconds: string) => {
      process.env.JWT_CLOCK_TOLERANCE_SECONDS = seconds;
      vi.resetModules();
      return (await import('#http/jwt-authorizer')).handler;
    };
    try {
      const strict = await load('0');
      await expect(
        strict({ type: 'TOKEN', authorizationToken: `Bearer ${await token({ expiresAt: now - 2 })}`, methodArn: METHOD_ARN }),
      ).rejects.toThrow(/^Unauthorized$/);
      const lenient = await load('30');
      await expect(
        lenient({ type: 'TOKEN', authorizationToken: `Bearer ${await token({ expiresAt: now - 20 })}`, methodArn: METHOD_ARN }),
      ).resolves.toMatchObject({ principalId: 'user-123' });
    } finally {
      delete process.env.JWT_CLOCK_TOLERANCE_SECONDS;
    }
  });
});

describe('owner from the authorizer', () => {
  it("a route handler takes principalId as owner sub:<sub> and sees that owner's tasks only", async () => {
    useLocalStackEnv();
    const { handler: listTasks } = await import('#http/list-tasks');
    const sub = `user-${crypto.randomUUID()}`;
    const mine = await putRow({ owner: `sub:${sub}` });
    await putRow({ owner: `sub:other-${sub}` });
    // The key id of a usage plan, if any, does not win over the token's subject.
    const event = apiEvent({ method: 'GET', resource: '/tasks', authorizer: { principalId: sub }, apiKeyId: 'key-someone' });
    const response = await invoke(listTasks, event);
    expect(response.status).toBe(200);
    expect(response.body!.items.map((t: { id: string }) => t.id)).toEqual([mine.id]);
  });
});
