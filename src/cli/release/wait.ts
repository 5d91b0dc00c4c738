import { InterruptedError, WaitOptions } from './context';

/** What ends a wait: a message, an exit code, and whatever else the judge adds. */
export interface Verdict {
  readonly result: string;
  readonly code: number;
}

/** How a wait ended. */
export type WaitEnd<T, V extends Verdict = Verdict> = ({ readonly ended: 'condition'; readonly value: T } & V) | { readonly ended: 'timeout' };

/**
 * Reads until `judge` says the wait is over (a message and an exit code), sleeping `pollMillis`
 * between reads, for at most `timeoutMillis` of sleeps. Ctrl-C rejects with InterruptedError;
 * any other failure of a read rejects with it: the caller closes what it opened either way.
 */
export async function pollUntil<T, V extends Verdict = Verdict>(
  wait: WaitOptions, read: () => Promise<T>, judge: (value: T) => V | undefined | Promise<V | undefined>,
): Promise<WaitEnd<T, V>> {
  let waited = 0;
  while (waited < wait.timeoutMillis) {
    if (wait.signal.aborted) throw new InterruptedError();
    await wait.sleep(wait.pollMillis, wait.signal);
    waited += wait.pollMillis;
    if (wait.signal.aborted) throw new InterruptedError();
    const value = await read();
    const verdict = await judge(value);
    if (verdict) return { ended: 'condition', value, ...verdict };
  }
  return { ended: 'timeout' };
}

/** setTimeout that rejects with InterruptedError when the signal aborts. */
export function sleep(millis: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new InterruptedError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, millis);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
