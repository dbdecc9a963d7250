// The local Lambda runtime's worker: one long-lived process per warm
// "container". It loads the handler bundle once, then runs one invocation at a
// time on request from the parent (src/runtime/localRuntime.ts) over the IPC
// channel. Plain JavaScript so that both the TypeScript sources (tests) and the
// compiled CLI can fork it as is.
//
// argv: <bundle file> <handler export>

import { pathToFileURL } from 'node:url';
import { format } from 'node:util';

const [bundleFile, handlerExport] = process.argv.slice(2);
let currentRequestId;

function send(message, callback) {
  if (process.connected) process.send(message, undefined, undefined, callback);
  else callback?.();
}

// Log writes travel over the IPC channel, not the pipes, so that they reach the
// parent before the result of the invocation that wrote them.
for (const name of ['stdout', 'stderr']) {
  process[name].write = (chunk, encoding, callback) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    send({ type: 'log', text });
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

function maxRssMb() {
  return Math.ceil(process.resourceUsage().maxRSS / 1024);
}

process.on('uncaughtException', (error) => {
  const described = describeError(error);
  console.error(`Uncaught Exception \t${JSON.stringify(described)}`);
  send({ type: 'crash', errorType: described.errorType, errorMessage: described.errorMessage }, () =>
    process.exit(129),
  );
});
process.on('unhandledRejection', (reason) => {
  const described = describeError(reason);
  const errorType = 'Runtime.UnhandledPromiseRejection';
  console.error(
    `Unhandled Promise Rejection \t${JSON.stringify({ errorType, errorMessage: described.errorMessage })}`,
  );
  send({ type: 'crash', errorType, errorMessage: `${described.errorType}: ${described.errorMessage}` }, () =>
    process.exit(128),
  );
});

let handler;
try {
  const mod = await import(pathToFileURL(bundleFile).href);
  handler = mod[handlerExport] ?? mod.default?.[handlerExport];
  if (typeof handler !== 'function') {
    const errorMessage = `${bundleFile} does not export a function named ${handlerExport}`;
    console.error(`Init Error \t${JSON.stringify({ errorType: 'Runtime.HandlerNotFound', errorMessage })}`);
    send({ type: 'initError', errorType: 'Runtime.HandlerNotFound', errorMessage });
  } else {
    send({ type: 'ready', maxRssMb: maxRssMb() });
  }
} catch (error) {
  const described = describeError(error);
  const errorType = 'Runtime.ImportModuleError';
  console.error(`Init Error \t${JSON.stringify({ errorType, errorMessage: described.errorMessage })}`);
  send({ type: 'initError', errorType, errorMessage: `${described.errorType}: ${described.errorMessage}` });
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
  if (message?.type !== 'invoke') return;
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
    send({ type: 'result', requestId, result, maxRssMb: maxRssMb() });
  } catch (error) {
    const described = describeError(error);
    console.error(`Invoke Error \t${JSON.stringify(described)}`);
    send({
      type: 'error',
      requestId,
      errorType: described.errorType,
      errorMessage: described.errorMessage,
      maxRssMb: maxRssMb(),
    });
  }
});
