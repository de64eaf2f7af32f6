/**
 * The smallest worker: the `echo` task type answers its input as its result, in one Pass state.
 * Stages that did not ask for the demo worker run this one until you plug in your own job (replace
 * this file, or pass your worker in bin/stages.ts): it deploys, costs nothing, and answers the smoke
 * test's generic checks.
 */
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import type { StackWorker } from '../lib/demo/longrun-stack.ts';

export function echoWorker(scope: Construct): StackWorker {
  return {
    chain: new sfn.Pass(scope, 'Echo', { comment: 'The task result is its input.', outputPath: '$.input' }),
    taskTypes: {
      echo: {
        type: 'object',
        description: 'Answers its input as its result (the placeholder worker of stages without the demo).',
        maxProperties: 16,
      },
    },
  };
}
