// ts-workflows.mjs: the one workflow of ts-worker.mjs. The worker bundles this file with webpack and runs it in its
// deterministic sandbox, so it may import nothing but @temporalio/workflow; the activity runs outside, in Node.

import { proxyActivities } from '@temporalio/workflow';

const { greet } = proxyActivities({ startToCloseTimeout: '30 seconds' });

export async function greeting(name) {
  return await greet(name);
}
