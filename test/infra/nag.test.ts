import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildStack } from './fixture.ts';

/**
 * cdk-nag 3 is a policy validation plugin, not an Aspect: its findings are no longer Annotations
 * (so `Annotations.findError` would always be empty). `validateScope` runs the same rules that
 * `Validations.of(app).addPlugins(...)` runs at synth, and skips acknowledged findings.
 */
function violations(props: Parameters<typeof buildStack>[0] = {}): string[] {
  const { app, stack } = buildStack(props);
  const report = new AwsSolutionsChecks(app, { verbose: true }).validateScope(stack);
  return report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged error or warning in the stack', () => {
    expect(violations()).toEqual([]);
  });

  it('finds nothing either when the stack has a concrete account and region', () => {
    expect(violations({ env: { account: '123456789012', region: 'eu-west-1' } })).toEqual([]);
  });

  it('with waf: false, only APIG3 is acknowledged in its place', () => {
    expect(violations({ api: { waf: false } })).toEqual([]);
  });

  it('does report a finding that is not acknowledged (the check can fail)', () => {
    const { app, stack } = buildStack();
    // A role with a wildcard action, which nothing acknowledges.
    stack.api.functions['get-task']!.addToRolePolicy(new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: ['*'] }));
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations.map((v) => v.ruleName)).toContain('AwsSolutions-IAM5[Action::dynamodb:*]');
  });

  it('every acknowledgment carries a written reason', () => {
    const { stack } = buildStack();
    const reasons: string[] = [];
    for (const c of stack.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const reason of Object.values(m.data as Record<string, unknown>))
          reasons.push(String(typeof reason === 'object' ? JSON.stringify(reason) : reason));
      }
    }
    expect(reasons.length).toBeGreaterThan(5);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(40);
  });
});
