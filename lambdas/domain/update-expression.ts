/** A conditional UpdateItem as data: what transitions and bookkeeping writes are made of. Pure, no AWS imports. */

/** The parts of a conditional UpdateItem that move a task to `to`; the caller adds its own SET values. */
export interface TransitionExpression {
  /** `SET ...` clauses referring to `:to`, `:now` and the caller's placeholders. */
  set: string[];
  /** Attributes removed by the write (`REMOVE ...`): a terminal write takes the task out of the open-task index. */
  remove: string[];
  condition: string;
  names: Record<string, string>;
  /** Literal values; `:now` and caller values are added by whoever runs the update. */
  values: Record<string, LiteralValue>;
}

/** A literal of an expression: a string, a number or the empty list (the history's start). */
export type LiteralValue = string | number | readonly never[];

/** The `UpdateExpression` of a transition or progress write: `SET …` and, if any, ` REMOVE …`. */
export function updateExpression(expression: Pick<TransitionExpression, 'set' | 'remove'>): string {
  const clauses = [];
  if (expression.set.length > 0) clauses.push(`SET ${expression.set.join(', ')}`);
  if (expression.remove.length > 0) clauses.push(`REMOVE ${expression.remove.join(', ')}`);
  return clauses.join(' ');
}
