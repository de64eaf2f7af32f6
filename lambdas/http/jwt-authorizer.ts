/**
 * API Gateway TOKEN authorizer for the construct's `auth: { type: 'jwt' }` mode: verifies the
 * bearer token (signature against the issuer's JWKS, `iss`, `aud`, a required `exp`, `sub` and
 * `iat` no older than the maximum token age, and `typ`, when present, one of the accepted types)
 * and allows the caller on the whole stage, with the token's `sub` as `principalId` (the task
 * owner, see `#http/request`).
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { config } from '#config';

const JWKS_CACHE_MAX_AGE_MS = 5 * 60_000;

// Once per container: jose caches the fetched keys, refetching on an unknown `kid` and at the
// latest after 5 minutes, so a key the issuer withdrew stops verifying within that time.
let jwks: JWTVerifyGetKey | undefined;
function issuerKeys(): JWTVerifyGetKey {
  jwks ??= createRemoteJWKSet(new URL(config.jwtJwksUri ?? `${config.jwtIssuer.replace(/\/$/, '')}/.well-known/jwks.json`), {
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
  });
  return jwks;
}

/** API Gateway turns exactly this message into its 401 (UNAUTHORIZED gateway response). */
const unauthorized = (): Error => new Error('Unauthorized');

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  // Read (and validated) outside the token's try: a misconfiguration fails loudly, not as 401s.
  const clockTolerance = config.jwtClockToleranceSeconds;
  const maxTokenAge = config.jwtMaxTokenAgeSeconds;
  const tokenTypes = config.jwtTokenTypes;
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(event.authorizationToken ?? '');
  if (!match) throw unauthorized();
  let sub: string | undefined;
  try {
    // The algorithm list is explicit so that `alg: none` and HMAC confusion are refused; a token
    // without `exp` would never stop working, so it is refused too.
    // `maxTokenAge` requires `iat`: a token older than that is refused even if its `exp` is far off.
    const { payload, protectedHeader } = await jwtVerify(match[1]!, issuerKeys(), {
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      algorithms: ['RS256', 'ES256'],
      requiredClaims: ['exp', 'sub', 'iat'],
      maxTokenAge,
      clockTolerance,
    });
    // Explicit typing (RFC 8725 3.11): a token of another kind from the same issuer is not an access token.
    const typ = protectedHeader.typ?.toLowerCase().replace(/^application\//, '');
    if (typ !== undefined && !tokenTypes.includes(typ)) throw unauthorized();
    sub = payload.sub;
  } catch {
    // Nothing about the token is logged: the reason is the client's problem, the token a secret.
    throw unauthorized();
  }
  if (!sub) throw unauthorized();
  // arn:aws:execute-api:region:account:apiId/stage/METHOD/path -> allow the whole stage, so that
  // the cached decision (keyed by token) is valid for every route the caller calls next.
  const [apiArn, stage] = event.methodArn.split('/');
  return {
    principalId: sub,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: `${apiArn}/${stage}/*/*` }],
    },
  };
}
