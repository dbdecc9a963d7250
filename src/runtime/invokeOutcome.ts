/**
 * What one invocation of the handler came to. The local runtime produces it;
 * the event source mapping and `replay` consume it. A failed invocation is
 * always `functionError: "Unhandled"`, as Lambda reports thrown errors,
 * timeouts and crashed runtimes alike.
 */
export type InvokeOutcome =
  | {
      ok: true;
      /** The handler's return value after a JSON round trip (`undefined` when it returned nothing). */
      result: unknown;
      /** The invocation's request id, when the invoker knows it. */
      requestId?: string;
    }
  | {
      ok: false;
      functionError: 'Unhandled';
      /** `Error`, `TypeError`, `Sandbox.Timedout`, `Runtime.ExitError`, ... */
      errorType: string;
      errorMessage: string;
      /** What went wrong: the handler threw (or rejected), ran out of time, or its process died. */
      reason: 'error' | 'timeout' | 'crash';
      requestId?: string;
    };
