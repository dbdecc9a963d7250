// The local Lambda runtime's worker: one long-lived process per warm
// "container". It loads the handler bundle once, the way the Node.js Lambda
// runtime loads a function, then runs one invocation at a time on request from
// the parent (src/runtime/localRuntime.ts). Plain JavaScript so that both the
// TypeScript sources (tests) and the compiled CLI can fork it as is.
//
// argv: <bundle file> <handler path> [--probe]
//   handler path: the part of Lambda's handler setting after the module name,
//   e.g. `handler` or `handlers.main` (a property path, as Lambda resolves it).
//   --probe: load the module, report what it exports and exit (build checks).
//
// Requests arrive over the IPC channel. Everything the worker says (log text,
// results, crashes) goes the other way as NDJSON written synchronously to fd 4:
// what was written before the process dies is in the pipe and still reaches
// the parent, in the order it was written. An IPC send is asynchronous and is
// lost when the process exits right after it.

import { existsSync, readFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const CHANNEL_FD = 4;
const [bundleFile, handlerPath, mode] = process.argv.slice(2);
const probe = mode === '--probe';
let currentRequestId;

function emit(message) {
  const bytes = Buffer.from(`${JSON.stringify(message)}\n`);
  let offset = 0;
  while (offset < bytes.length) {
    try {
      offset += writeSync(CHANNEL_FD, bytes, offset);
    } catch (error) {
      // A non-blocking pipe that is full: wait for the parent to read.
      if (error.code !== 'EAGAIN') return;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    emit({ type: 'log', text });
    const done = typeof encoding === 'function' ? encoding : callback;
    if (done) done();
    return true;
  };
}

// The Node.js Lambda runtime's console format: time, request id, level, message.
// A message keeps its line breaks as \r so that it stays one log event.
const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
for (const [method, level] of Object.entries(levels)) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[method] = (...args) => {
    const message = format(...args).replace(/\r?\n/g, '\r');
    stream.write(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}\n`);
  };
}

function describeError(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      stack: error.stack?.split('\n') ?? [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), stack: [] };
}

// The peak of this process's own memory. getrusage's maxRSS is no good here:
// Linux carries it over fork and exec, so a worker forked by a CLI holding
// 300 MB would report 300 MB before running a line. VmHWM belongs to the
// address space exec created; getrusage remains only where /proc does not exist.
function maxRssMb() {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (match) return Math.ceil(Number(match[1]) / 1024);
  } catch {}
  return Math.ceil(process.resourceUsage().maxRSS / 1024);
}

process.on('uncaughtException', (error) => {
  const described = describeError(error);
  console.error(`Uncaught Exception \t${JSON.stringify(described)}`);
  emit({ type: 'crash', errorType: described.errorType, errorMessage: described.errorMessage });
  process.exit(129);
});
process.on('unhandledRejection', (reason) => {
  const described = describeError(reason);
  const errorType = 'Runtime.UnhandledPromiseRejection';
  console.error(
    `Unhandled Promise Rejection \t${JSON.stringify({ errorType, errorMessage: described.errorMessage })}`,
  );
  emit({ type: 'crash', errorType, errorMessage: `${described.errorType}: ${described.errorMessage}` });
  process.exit(128);
});

class RuntimeLoadError extends Error {
  constructor(name, message, cause) {
    super(message, { cause });
    this.name = name;
  }
}

// Node's rule for `.js`: the nearest package.json decides; the Lambda runtime
// stops at a node_modules folder as well.
function nearestPackageType(dir) {
  for (let folder = dir; ; folder = path.dirname(folder)) {
    if (folder.endsWith(`${path.sep}node_modules`)) return undefined;
    const file = path.join(folder, 'package.json');
    if (existsSync(file)) {
      try {
        return JSON.parse(readFileSync(file, 'utf8'))?.type;
      } catch {
        return undefined;
      }
    }
    if (path.dirname(folder) === folder) return undefined;
  }
}

/** What Lambda's loader gets for the file: `module.exports` (require) or the namespace (import). */
async function loadModule(file) {
  const ext = path.extname(file);
  const esm = ext === '.mjs' || (ext === '.js' && nearestPackageType(path.dirname(file)) === 'module');
  try {
    if (esm) return { format: 'esm', module: await import(pathToFileURL(file).href) };
    return { format: 'cjs', module: createRequire(file)(file) };
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new RuntimeLoadError('Runtime.UserCodeSyntaxError', String(error), error);
    if (error?.code === 'MODULE_NOT_FOUND' || error?.code === 'ERR_MODULE_NOT_FOUND') {
      throw new RuntimeLoadError('Runtime.ImportModuleError', String(error), error);
    }
    throw error;
  }
}

function resolveHandler(module, property) {
  return property.split('.').reduce((nested, key) => nested?.[key], module);
}

function exportNames(module) {
  if (module === null || (typeof module !== 'object' && typeof module !== 'function')) return [];
  return Object.keys(module);
}

const handlerName = `${path.parse(bundleFile).name}.${handlerPath}`;
let handler;
try {
  const loaded = await loadModule(bundleFile);
  const found = resolveHandler(loaded.module, handlerPath);
  if (probe) {
    emit({ type: 'probe', format: loaded.format, exports: exportNames(loaded.module), kind: typeof found });
    process.exit(0);
  }
  if (found === undefined || found === null) {
    throw new RuntimeLoadError('Runtime.HandlerNotFound', `${handlerName} is undefined or not exported`);
  }
  if (typeof found !== 'function') {
    throw new RuntimeLoadError('Runtime.HandlerNotFound', `${handlerName} is not a function`);
  }
  handler = found;
  emit({ type: 'ready', maxRssMb: maxRssMb() });
} catch (error) {
  const described = describeError(error);
  if (probe) {
    emit({ type: 'probeError', errorType: described.errorType, errorMessage: described.errorMessage });
    process.exit(0);
  }
  // An error that is not the loader's own is the user's init code failing.
  const errorType = error instanceof RuntimeLoadError ? error.name : 'Runtime.ImportModuleError';
  const errorMessage =
    error instanceof RuntimeLoadError
      ? described.errorMessage
      : `${described.errorType}: ${described.errorMessage}`;
  console.error(
    `Uncaught Exception \t${JSON.stringify({ errorType, errorMessage, stack: described.stack })}`,
  );
  emit({ type: 'initError', errorType, errorMessage });
}

function run(event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (error, value) => {
      if (settled) return;
      settled = true;
      if (error !== null && error !== undefined) reject(error);
      else resolve(value);
    };
    let returned;
    try {
      returned = handler(event, context, callback);
    } catch (error) {
      callback(error ?? new Error('handler threw a nullish value'));
      return;
    }
    if (returned && typeof returned.then === 'function') {
      returned.then(
        (value) => callback(null, value),
        (error) => callback(error ?? new Error('handler rejected with a nullish value')),
      );
    } else if (handler.length < 3) {
      callback(null, returned);
    }
  });
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke' || !handler) return;
  const { requestId, event, timeoutMs, context: fields } = message;
  currentRequestId = requestId;
  const deadline = Date.now() + timeoutMs;
  const context = {
    ...fields,
    awsRequestId: requestId,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const value = await run(event, context);
    const result = value === undefined ? undefined : JSON.parse(JSON.stringify(value));
    emit({ type: 'result', requestId, result, maxRssMb: maxRssMb() });
  } catch (error) {
    const described = describeError(error);
    console.error(`Invoke Error \t${JSON.stringify(described)}`);
    emit({
      type: 'error',
      requestId,
      errorType: described.errorType,
      errorMessage: described.errorMessage,
      maxRssMb: maxRssMb(),
    });
  }
});
