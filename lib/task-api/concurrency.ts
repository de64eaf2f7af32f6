/**
 * Reserved concurrency for groups of functions, applied after the parts built them (the parts
 * stay unaware of it). A reservation is both a floor (the account's other functions cannot take
 * it) and a ceiling (the function is throttled above it).
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DEFAULT_RESERVED_CONCURRENCY, type ReservedConcurrency } from '../async-task-api-props.ts';

type ConcurrencyGroup = keyof ReservedConcurrency;

/** The reservation of `group` under `setting` (`undefined`: none). */
function reservationOf(setting: false | ReservedConcurrency | undefined, group: ConcurrencyGroup): number | undefined {
  if (setting === false) return undefined;
  const value = setting?.[group] ?? DEFAULT_RESERVED_CONCURRENCY[group];
  return value === false ? undefined : value;
}

/** Sets `ReservedConcurrentExecutions` on each function of the group (plus `extra` for each, when the group reserves any). */
export function reserveConcurrency(
  functions: readonly lambda.IFunction[],
  setting: false | ReservedConcurrency | undefined,
  group: ConcurrencyGroup,
  extra = 0,
): void {
  const share = reservationOf(setting, group);
  if (share === undefined) return;
  const reserved = share + extra;
  for (const fn of functions) {
    const cfn = fn.node.defaultChild;
    if (!(cfn instanceof lambda.CfnFunction)) throw new Error(`reservedConcurrency.${group}: ${fn.node.path} is not a function defined in this app`);
    cfn.reservedConcurrentExecutions = reserved;
  }
}
