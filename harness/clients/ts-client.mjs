// ts-client.mjs: the TypeScript SDK's client (@temporalio/client on @grpc/grpc-js) as an mTLS probe.
//
//   npm ci --prefix harness/clients
//   node harness/clients/ts-client.mjs --address 127.0.0.1:7233 --server-name frontend.temporal.demo \
//        --ca root-ca.pem --cert client-chain.pem --key client.pkcs8.pem [--namespace default] [--timeout 10]
//
// Prints exactly one JSON line and exits 0 / 1:
//   {"ok":true,"client":"typescript","namespace":"default"}
//   {"ok":false,"client":"typescript","error":"<class>: <message>"}
//
// What it does, in the SDK's own terms: Connection with tls = {serverNameOverride (SNI and the
// certificate host check), serverRootCACertificate (the only trust anchor), clientCertPair}, then
// ensureConnected() (the SDK's GetSystemInfo probe) and workflowService.describeNamespace().
// Connection.connect(options) is exactly `Connection.lazy(options)` followed by
// `ensureConnected()`; the two steps are written out here so that the connection object exists
// even when connecting fails, and is closed on every path.
//
// Time bound: one deadline, --timeout seconds (default 10) from the start, is the SDK's
// connectTimeout and the gRPC deadline of the call; a watchdog a few seconds later ends the
// process whatever happens.
//
// Diagnostics: on a failed handshake grpc-js only retries quietly until the deadline, and the SDK
// then reports "Failed to connect before the deadline". To name the real cause, the grpc-js
// "subchannel" tracer is switched on (GRPC_NODE_TRACE, read when grpc-js loads, hence the
// dynamic loading below) and its log lines go to a private logger, not to stderr. A subchannel
// failure that is a TLS failure (certificate, host name, alert, handshake) ends the attempt at
// once, as the first failed handshake does for the Java probe; other connection failures (e.g.
// refused) are left to the SDK's retrying until the deadline.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const CLIENT = 'typescript';
const WATCHDOG_GRACE_MS = 5000;

let finished = false;

function finish(code, payload) {
  if (finished) return;
  finished = true;
  const line = JSON.stringify({ ok: code === 0, client: CLIENT, ...payload }) + '\n';
  process.stdout.write(line, () => process.exit(code));
}

function describe(err) {
  if (err === null || err === undefined) return 'Error: (no error object)';
  if (typeof err !== 'object') return `Error: ${String(err)}`;
  const cls = err.constructor?.name || err.name || 'Error';
  let text = err.message || String(err);
  // The SDK wraps gRPC errors (e.g. ServiceError "Failed to connect to Temporal server").
  const cause = err.cause;
  if (cause && typeof cause === 'object' && cause.message && !text.includes(cause.message)) {
    text += ` (cause: ${cause.constructor?.name || 'Error'}: ${cause.message})`;
  }
  return `${cls}: ${text}`;
}

class UsageError extends Error {}

class TlsHandshakeError extends Error {}

function parseArgs(argv) {
  const known = new Set(['address', 'server-name', 'ca', 'cert', 'key', 'namespace', 'timeout']);
  const seen = new Map();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument '${a}'`);
    let flag;
    let value;
    const eq = a.indexOf('=');
    if (eq > 0) {
      flag = a.slice(2, eq);
      value = a.slice(eq + 1);
    } else {
      flag = a.slice(2);
      if (i + 1 >= argv.length) throw new UsageError(`--${flag} needs a value`);
      value = argv[++i];
    }
    if (!known.has(flag)) throw new UsageError(`unknown option --${flag}`);
    if (seen.has(flag)) throw new UsageError(`--${flag} given twice`);
    seen.set(flag, value);
  }
  const need = (flag) => {
    const v = seen.get(flag);
    if (v === undefined || v === '') throw new UsageError(`--${flag} is required`);
    return v;
  };
  const opts = {
    address: need('address'),
    serverName: need('server-name'),
    ca: need('ca'),
    cert: need('cert'),
    key: need('key'),
    namespace: seen.get('namespace') ?? 'default',
    timeoutMs: 10_000,
  };
  if (!/^(\[[0-9A-Fa-f:.]+\]|[^\s:[\]]+):\d{1,5}$/.test(opts.address)) {
    throw new UsageError(`--address must be HOST:PORT, got '${opts.address}'`);
  }
  if (opts.namespace === '') throw new UsageError('--namespace is empty');
  if (seen.has('timeout')) {
    const s = Number(seen.get('timeout'));
    if (!(s > 0 && s <= 600)) throw new UsageError('--timeout must be in (0, 600] seconds');
    opts.timeoutMs = Math.round(s * 1000);
  }
  return opts;
}

// A subchannel line looks like:
//   <time> | v1.14.7 <pid> | subchannel | (1) 127.0.0.1:7233 CONNECTING -> TRANSIENT_FAILURE with error "<text>"
const TRANSIENT_FAILURE = /-> TRANSIENT_FAILURE with error "([\s\S]*)"\s*$/;
const TLS_HINT = /ERR_TLS|ERR_SSL|SSL routines|alert|certificate|altname|self[- ]signed|issuer|TLS|handshake/i;

// grpc-js appends " (<ISO time>)" to a connection error; OpenSSL texts end in a newline.
function tidy(text) {
  return text
    .replace(/\s*\(\d{4}-\d\d-\d\dT[\d:.]+Z\)\s*$/, '')
    .replace(/\b[0-9A-F]{8,16}:error:/g, 'error:') // OpenSSL's per-thread prefix varies run to run
    .replace(/\s+/g, ' ')
    .trim();
}

function tapGrpcLog(grpc, onFailure, echo) {
  const sink = (...parts) => {
    const text = parts.map((p) => (typeof p === 'string' ? p : String(p))).join(' ');
    if (echo) process.stderr.write(text + '\n');
    const m = TRANSIENT_FAILURE.exec(text);
    if (m) onFailure(tidy(m[1]));
  };
  grpc.setLogger({ error: sink, info: sink, debug: sink });
  grpc.setLogVerbosity(grpc.logVerbosity.DEBUG);
}

async function main() {
  const started = Date.now();
  const opts = parseArgs(process.argv.slice(2));
  const deadline = started + opts.timeoutMs;
  setTimeout(() => {
    finish(1, { error: `Error: no answer within ${opts.timeoutMs + WATCHDOG_GRACE_MS} ms (watchdog)` });
  }, opts.timeoutMs + WATCHDOG_GRACE_MS); // kept referenced: the process cannot end without a verdict

  const tls = {
    serverNameOverride: opts.serverName,
    serverRootCACertificate: readFileSync(opts.ca),
    clientCertPair: { crt: readFileSync(opts.cert), key: readFileSync(opts.key) },
  };

  // Must be set before grpc-js is loaded: it reads the tracer list once, at load time.
  const userTrace = process.env.GRPC_NODE_TRACE ?? process.env.GRPC_TRACE;
  process.env.GRPC_NODE_TRACE = [userTrace, 'subchannel'].filter(Boolean).join(',');
  const require = createRequire(import.meta.url);
  const grpc = require('@grpc/grpc-js');
  const { Connection } = require('@temporalio/client');

  let lastConnectionError;
  let rejectTls;
  const tlsFailed = new Promise((_, reject) => {
    rejectTls = reject;
  });
  tlsFailed.catch(() => {}); // observed through Promise.race only
  tapGrpcLog(
    grpc,
    (text) => {
      lastConnectionError = text;
      if (TLS_HINT.test(text)) rejectTls(new TlsHandshakeError(text));
    },
    Boolean(userTrace),
  );

  const connection = Connection.lazy({
    address: opts.address,
    tls,
    connectTimeout: Math.max(1, deadline - Date.now()),
  });
  try {
    await Promise.race([connection.ensureConnected(), tlsFailed]);
    const response = await Promise.race([
      connection.withDeadline(deadline, () =>
        connection.workflowService.describeNamespace({ namespace: opts.namespace }),
      ),
      tlsFailed,
    ]);
    const name = response?.namespaceInfo?.name;
    if (name !== opts.namespace) {
      throw new Error(`asked for namespace '${opts.namespace}', got '${name}'`);
    }
    return name;
  } catch (err) {
    if (lastConnectionError && err && typeof err === 'object' && !(err instanceof TlsHandshakeError)) {
      const msg = String(err.message ?? '');
      if (!msg.includes(lastConnectionError)) {
        err.message = `${msg}; last connection error: ${lastConnectionError}`;
      }
    }
    throw err;
  } finally {
    await connection.close();
  }
}

main().then(
  (namespace) => finish(0, { namespace }),
  (err) => finish(1, { error: describe(err) }),
);
