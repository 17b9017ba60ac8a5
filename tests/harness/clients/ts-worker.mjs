// ts-worker.mjs: the TypeScript SDK doing real work over mTLS: a worker (@temporalio/worker, NativeConnection on the
// Rust core) and a client (@temporalio/client, Connection on grpc-js), both given exactly the PEM files named.
//
//   NODE_PATH="$(scripts/ts-client.sh)/node_modules" node harness/clients/ts-worker.mjs \
//        --address HOST:PORT --server-name NAME --ca server-roots.pem --cert client-chain.pem --key client.pkcs8.pem \
//        --task-queue Q [--namespace default] [--timeout 60]
//
// Starts a worker on the task queue, runs one workflow (ts-workflows.mjs) that calls one activity, shuts the worker
// down and prints one JSON line, exit 0 / 1:
//   {"ok":true,"client":"typescript","workflow_id":"...","result":"hello Q from typescript"}
//   {"ok":false,"client":"typescript","error":"<class>: <message>"}
//
// The SDK is loaded with require(), not import: ESM ignores NODE_PATH, and node_modules lives in the user's cache,
// outside the checkout. The workflow bundler (webpack) is pointed at the same node_modules for the same reason.
// --timeout bounds the whole run: when it expires the line is printed and the process exits, whatever is pending.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLIENT = 'typescript';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

let finished = false;

function finish(code, payload) {
  if (finished) return;
  finished = true;
  const line = JSON.stringify({ ok: code === 0, client: CLIENT, ...payload }) + '\n';
  process.stdout.write(line, () => process.exit(code));
}

function describe(err) {
  if (err === null || typeof err !== 'object') return `Error: ${String(err)}`;
  let text = `${err.constructor?.name || err.name || 'Error'}: ${err.message || String(err)}`;
  // The SDK wraps the transport's error; its message is the one that names the TLS failure.
  const cause = err.cause;
  if (cause && typeof cause === 'object' && cause.message && !text.includes(cause.message)) {
    text += ` (cause: ${cause.constructor?.name || 'Error'}: ${cause.message})`;
  }
  return text.slice(0, 2000);
}

function options() {
  const { values } = parseArgs({
    strict: true,
    options: Object.fromEntries(
      ['address', 'namespace', 'server-name', 'ca', 'cert', 'key', 'task-queue', 'timeout'].map((k) => [k, { type: 'string' }]),
    ),
  });
  for (const k of ['address', 'server-name', 'ca', 'cert', 'key', 'task-queue']) {
    if (!values[k]) throw new Error(`--${k} is required`);
  }
  const seconds = Number(values.timeout ?? 60);
  if (!(seconds > 0 && seconds <= 600)) throw new Error('--timeout must be in (0, 600] seconds');
  return { ...values, namespace: values.namespace || 'default', timeoutMs: Math.round(seconds * 1000) };
}

async function greet(name) {
  return `hello ${name} from typescript`;
}

async function work(opts, deadline) {
  const { DefaultLogger, NativeConnection, Runtime, Worker } = require('@temporalio/worker');
  const { Client, Connection } = require('@temporalio/client');
  const toStderr = ({ level, message, meta }) =>
    process.stderr.write(`${level} ${message}${meta && Object.keys(meta).length ? ' ' + JSON.stringify(meta) : ''}\n`);
  // Core's own logs are forwarded to this logger too: left alone they would go to the console, past the one line.
  Runtime.install({
    logger: new DefaultLogger('WARN', toStderr),
    telemetryOptions: { logging: { filter: { core: 'WARN', other: 'ERROR' }, forward: {} } },
  });
  const tls = {
    serverNameOverride: opts['server-name'],
    serverRootCACertificate: readFileSync(opts.ca),
    clientCertPair: { crt: readFileSync(opts.cert), key: readFileSync(opts.key) },
  };
  const remaining = () => Math.max(1, deadline - Date.now());
  const closers = [];
  try {
    const native = await NativeConnection.connect({ address: opts.address, tls });
    closers.push(() => native.close());
    const connection = await Connection.connect({ address: opts.address, tls, connectTimeout: remaining() });
    closers.push(() => connection.close());
    const modules = path.resolve(require.resolve('@temporalio/workflow/package.json'), '..', '..', '..');
    const worker = await Worker.create({
      connection: native,
      namespace: opts.namespace,
      taskQueue: opts['task-queue'],
      workflowsPath: path.join(HERE, 'ts-workflows.mjs'),
      activities: { greet },
      bundlerOptions: {
        // webpack looks only in node_modules above the workflow file; the SDK may have come from NODE_PATH instead.
        webpackConfigHook: (config) => {
          config.resolve.modules.push(modules);
          return config;
        },
      },
    });
    const client = new Client({ connection, namespace: opts.namespace });
    const workflowId = `${opts['task-queue']}-${Date.now()}-${process.pid}`;
    // runUntil shuts the worker down once the workflow's result is in, and waits for it to stop.
    const result = await worker.runUntil(
      client.workflow.execute('greeting', {
        args: [opts['task-queue']],
        taskQueue: opts['task-queue'],
        workflowId,
        workflowExecutionTimeout: remaining(),
      }),
    );
    const expected = `hello ${opts['task-queue']} from typescript`;
    if (result !== expected) {
      throw new Error(`the workflow returned ${JSON.stringify(result)}, not ${JSON.stringify(expected)}`);
    }
    return { workflow_id: workflowId, result };
  } finally {
    for (const close of closers.reverse()) await close().catch(() => {});
  }
}

function main() {
  let opts;
  try {
    opts = options();
  } catch (err) {
    finish(1, { error: describe(err) });
    return;
  }
  const deadline = Date.now() + opts.timeoutMs;
  // Kept referenced: without a verdict by the deadline the process must not linger on the SDK's retries.
  setTimeout(() => finish(1, { error: `Error: no result within ${opts.timeoutMs} ms` }), opts.timeoutMs);
  work(opts, deadline).then(
    (out) => finish(0, out),
    (err) => finish(1, { error: describe(err) }),
  );
}

main();
