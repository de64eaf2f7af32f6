/**
 * API Gateway TOKEN authorizer for the construct's `auth: { type: 'jwt' }` mode: verifies the
 * bearer token against the issuer's JWKS and allows the caller on the whole stage, with the
 * token's `sub` as `principalId` (the task owner, see `#http/request`).
 */
import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = requiredEnv('JWT_ISSUER');
const audience = requiredEnv('JWT_AUDIENCE');
// Once per container: jose caches the fetched keys and refetches only on an unknown `kid`.
const jwks = createRemoteJWKSet(new URL(process.env.JWT_JWKS_URI || `${issuer.replace(/\/$/, '')}/.well-known/jwks.json`));

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

/** API Gateway turns exactly this message into its 401 (UNAUTHORIZED gateway response). */
const unauthorized = (): Error => new Error('Unauthorized');

export async function handler(event: APIGatewayTokenAuthorizerEvent): Promise<APIGatewayAuthorizerResult> {
  const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/.exec(event.authorizationToken ?? '');
  if (!match) throw unauthorized();
  let sub: string | undefined;
  try {
    // The algorithm list is explicit so that `alg: none` and HMAC confusion are refused.
    const { payload } = await jwtVerify(match[1]!, jwks, {
      issuer,
      audience,
      algorithms: ['RS256', 'ES256'],
      clockTolerance: 5,
    });
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
