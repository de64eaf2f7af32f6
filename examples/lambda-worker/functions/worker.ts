// Step Functions task BuildReport --> the report, one day at a time --> progressReporter (@longrun/worker)
import { progressReporter, TaskFailed, type WorkerHandler } from '@longrun/worker';
import { addDay, type DaySales, daysOf, type Report, type ReportInput, salesOf } from './report.ts';

/**
 * Builds the monthly sales report of `input.month`. The returned report is the task's result;
 * a month that has not ended yet fails the task with a message for the caller.
 */
export const handler: WorkerHandler<ReportInput, Report | { cancelled: true }> = async ({ taskId, input }) => {
  const region = input.region ?? 'eu';
  const days = daysOf(input.month);
  if (`${days.at(-1)}T23:59:59.999Z` > new Date().toISOString()) {
    throw new TaskFailed(`No complete sales data for ${input.month} yet: the month has not ended.`);
  }

  const report = progressReporter(taskId);
  let result: Report = { month: input.month, region, days: 0, orders: 0, revenueCents: 0, busiestDay: '' };
  let busiest: DaySales | undefined;
  for (const [i, day] of days.entries()) {
    const sales = salesOf(region, day);
    result = addDay(result, sales, busiest);
    if (!busiest || sales.orders > busiest.orders) busiest = sales;
    const { cancelled } = await report({ percent: ((i + 1) / days.length) * 100, step: `added ${day}` });
    // Cancelled meanwhile: stop now; whatever is returned is discarded.
    if (cancelled) return { cancelled: true };
  }
  return result;
};
