/** Small helpers the capability constructs share: exact IAM statements, encrypted queues and cdk-nag resource names. */
import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** Grants exactly `actions` on exactly `resources` (no `grant*` helper widens them). */
export function allow(grantee: iam.IGrantable, actions: string[], resources: string[]): void {
  grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
}

/** A TLS-only queue, encrypted with `key` (or SQS managed keys without one). */
export function encryptedQueue(
  scope: Construct,
  id: string,
  key: kms.IKey | undefined,
  props: Omit<sqs.QueueProps, 'encryption' | 'encryptionMasterKey' | 'enforceSSL'> = {},
): sqs.Queue {
  return new sqs.Queue(scope, id, {
    ...(key ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key } : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    ...props,
  });
}

/** `submit-task` -> `SubmitTask`: construct ids and operation names from handler names. */
export function pascalCase(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * A resource as cdk-nag names it in a finding (`Ref` -> `<Id>`, `Fn::GetAtt` -> `<Id.Attr>`), so
 * that an acknowledgment names exactly one finding whether or not the stack's region is known.
 */
export function nagResourceText(scope: Construct, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, unknown>;
    if (typeof o.Ref === 'string') return `<${o.Ref}>`;
    if (Array.isArray(o['Fn::GetAtt'])) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (Array.isArray(o['Fn::Join'])) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(sep);
    }
    return JSON.stringify(v);
  };
  return render(Stack.of(scope).resolve(value));
}
