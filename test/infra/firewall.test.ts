/** The WAF lets the contract through: 256 KiB bodies to POST /tasks, a rate rule per caller answering 429. */
import { describe, expect, it } from 'vitest';
import { BODY_SIZE_LABEL, RATE_LIMIT_RETRY_AFTER_SECONDS, SUBMIT_BODY_BLOCK_BYTES } from '../../lib/task-api/firewall.ts';
import { buildStack } from './fixture.ts';

function webAcl(props: Parameters<typeof buildStack>[0] = {}) {
  const acls = Object.values(buildStack(props).template.findResources('AWS::WAFv2::WebACL'));
  expect(acls).toHaveLength(1);
  return acls[0]!.Properties as Record<string, any>;
}
const rule = (acl: Record<string, any>, name: string) => {
  const found = acl.Rules.find((r: { Name: string }) => r.Name === name);
  if (!found) throw new Error(`no rule ${name}`);
  return found;
};

const acl = webAcl();
const POST_TASKS = {
  AndStatement: {
    Statements: [
      {
        ByteMatchStatement: {
          FieldToMatch: { Method: {} },
          PositionalConstraint: 'EXACTLY',
          SearchString: 'POST',
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
      {
        ByteMatchStatement: {
          FieldToMatch: { UriPath: {} },
          PositionalConstraint: 'ENDS_WITH',
          SearchString: '/tasks',
          TextTransformations: [{ Priority: 0, Type: 'NONE' }],
        },
      },
    ],
  },
};

describe('web application firewall', () => {
  it('keeps the managed Common rule set, with its 8 KB body rule overridden to count', () => {
    expect(rule(acl, 'AWSManagedRulesCommonRuleSet')).toMatchObject({
      OverrideAction: { None: {} },
      Statement: {
        ManagedRuleGroupStatement: {
          VendorName: 'AWS',
          Name: 'AWSManagedRulesCommonRuleSet',
          RuleActionOverrides: [{ Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } }],
        },
      },
    });
    expect(rule(acl, 'AWSManagedRulesKnownBadInputsRuleSet').Statement.ManagedRuleGroupStatement.RuleActionOverrides).toBeUndefined();
  });

  it('still refuses a body over 8 KB on every route but POST /tasks, with a 413 problem', () => {
    expect(rule(acl, 'BodyOnlyWhereAccepted')).toMatchObject({
      Action: { Block: { CustomResponse: { ResponseCode: 413, CustomResponseBodyKey: 'payload-too-large' } } },
      Statement: {
        AndStatement: {
          Statements: [{ LabelMatchStatement: { Scope: 'LABEL', Key: BODY_SIZE_LABEL } }, { NotStatement: { Statement: POST_TASKS } }],
        },
      },
    });
    // After the rule group whose label it reads.
    expect(rule(acl, 'BodyOnlyWhereAccepted').Priority).toBeGreaterThan(rule(acl, 'AWSManagedRulesCommonRuleSet').Priority);
  });

  it('refuses POST /tasks declaring 300,000 bytes or more (256 KiB + margin) with 413; 256 KiB passes to the API', () => {
    const submit = rule(acl, 'SubmitBodyOverLimit');
    expect(submit.Action.Block.CustomResponse).toEqual({ ResponseCode: 413, CustomResponseBodyKey: 'payload-too-large' });
    expect(submit.Statement.AndStatement.Statements[0]).toEqual(POST_TASKS);
    const regex = submit.Statement.AndStatement.Statements[1].RegexMatchStatement;
    expect(regex.FieldToMatch).toEqual({ SingleHeader: { Name: 'content-length' } });
    const blocks = (length: number | string) => new RegExp(regex.RegexString).test(String(length));
    expect(SUBMIT_BODY_BLOCK_BYTES).toBe(300_000);
    for (const ok of [0, 8_192, 262_144, 262_145, 299_999]) expect(blocks(ok), `${ok}`).toBe(false);
    for (const refused of [300_000, 999_999, 1_000_000, 10_485_760, '0300000']) expect(blocks(refused), `${refused}`).toBe(true);
  });

  it('rate-limits each caller by its API key (not by IP), answering 429 with Retry-After and a problem body', () => {
    expect(rule(acl, 'RateLimitPerCaller')).toMatchObject({
      Action: {
        Block: {
          CustomResponse: {
            ResponseCode: 429,
            CustomResponseBodyKey: 'too-many-requests',
            ResponseHeaders: [{ Name: 'Retry-After', Value: String(RATE_LIMIT_RETRY_AFTER_SECONDS) }],
          },
        },
      },
      Statement: {
        RateBasedStatement: {
          Limit: 15_000,
          EvaluationWindowSec: 300,
          AggregateKeyType: 'CUSTOM_KEYS',
          CustomKeys: [{ Header: { Name: 'x-api-key', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
        },
      },
    });
    const body = JSON.parse(acl.CustomResponseBodies['too-many-requests'].Content);
    expect(body).toMatchObject({ type: 'https://longrun.dev/problems/too-many-requests', title: 'Too Many Requests', status: 429 });
    expect(JSON.parse(acl.CustomResponseBodies['payload-too-large'].Content)).toMatchObject({
      type: 'https://longrun.dev/problems/payload-too-large',
      status: 413,
    });
  });

  it('keys the rate rule on the bearer token in JWT mode, and follows the stage throttle', () => {
    const jwt = webAcl({
      api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' }, throttle: { rateLimit: 10, burstLimit: 20 } },
    });
    expect(rule(jwt, 'RateLimitPerCaller').Statement.RateBasedStatement).toMatchObject({
      Limit: 3_000,
      CustomKeys: [{ Header: { Name: 'authorization', TextTransformations: [{ Priority: 0, Type: 'NONE' }] } }],
    });
  });

  it('requests without the caller header are limited per IP (WAF leaves them out of a header-keyed rule), and so is every IP, as a backstop', () => {
    const withoutCaller = rule(acl, 'RateLimitWithoutCaller');
    expect(withoutCaller.Action).toEqual(rule(acl, 'RateLimitPerCaller').Action);
    expect(withoutCaller.Statement.RateBasedStatement).toMatchObject({
      Limit: 1_500,
      AggregateKeyType: 'IP',
      ScopeDownStatement: {
        NotStatement: {
          Statement: { SizeConstraintStatement: { FieldToMatch: { SingleHeader: { Name: 'x-api-key' } }, ComparisonOperator: 'GE', Size: 0 } },
        },
      },
    });
    // Junk keys each start a fresh per-caller count: per IP, twice a caller's limit stops that.
    expect(rule(acl, 'RateLimitPerIp').Statement.RateBasedStatement).toEqual({ Limit: 30_000, EvaluationWindowSec: 300, AggregateKeyType: 'IP' });
    const jwt = webAcl({ api: { auth: { type: 'jwt', issuer: 'https://issuer.example.com', audience: 'a' } } });
    expect(
      rule(jwt, 'RateLimitWithoutCaller').Statement.RateBasedStatement.ScopeDownStatement.NotStatement.Statement.SizeConstraintStatement.FieldToMatch,
    ).toEqual({
      SingleHeader: { Name: 'authorization' },
    });
    // Rate rules come first: a request blocked by a managed rule is still counted.
    const ratePriorities = ['RateLimitPerCaller', 'RateLimitWithoutCaller', 'RateLimitPerIp'].map((name) => rule(acl, name).Priority);
    expect(Math.max(...ratePriorities)).toBeLessThan(rule(acl, 'AWSManagedRulesCommonRuleSet').Priority);
  });

  it('keeps no sampled requests anywhere (they would show x-api-key and authorization values); metrics stay on', () => {
    for (const config of [acl.VisibilityConfig, ...acl.Rules.map((r: { VisibilityConfig: unknown }) => r.VisibilityConfig)]) {
      expect(config).toMatchObject({ SampledRequestsEnabled: false, CloudWatchMetricsEnabled: true });
    }
  });

  it('gives every rule a distinct priority', () => {
    const priorities = acl.Rules.map((r: { Priority: number }) => r.Priority);
    expect(new Set(priorities).size).toBe(priorities.length);
  });
});
