// Step Functions task MakeReport --> builds a report of about `sizeKb` KiB --> resultOf (inline when small, else the results bucket)
import { resultOf } from '@longrun/worker';
import { type ReportInput, reportOf } from './report.ts';

export async function handler(state: { taskId: string; input: ReportInput }): Promise<unknown> {
  const report = reportOf(state.input);
  return state.input.inline ? report : resultOf(state.taskId, report);
}
