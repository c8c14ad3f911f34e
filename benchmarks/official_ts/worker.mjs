// The official TypeScript SDK's job worker (@camunda8/orchestration-cluster-api), no-op handler.
//
// Run by benchmarks/_runner.py as `node worker.mjs '<spec as JSON>'` from the folder the
// benchmark installed the SDK into; prints "ready" once started, drains and exits on SIGTERM.
import createCamundaClient from '@camunda8/orchestration-cluster-api';

const spec = JSON.parse(process.argv[2]);
const client = createCamundaClient({
  config: {
    CAMUNDA_REST_ADDRESS: spec.url.replace(/\/v2$/, ''),
    CAMUNDA_AUTH_STRATEGY: 'NONE',
    CAMUNDA_SDK_LOG_LEVEL: 'error',
  },
});
const worker = client.createJobWorker({
  jobType: spec.job_type,
  maxParallelJobs: spec.max_concurrent_jobs,
  jobTimeoutMs: spec.timeout_ms,
  pollTimeoutMs: spec.request_timeout_ms,
  workerName: 'bench',
  validateSchemas: false,
  jobHandler: (job) => job.complete(),
});
process.on('SIGTERM', async () => {
  await worker.stopGracefully({ waitUpToMs: 10000 });
  process.exit(0);
});
console.log('ready');
