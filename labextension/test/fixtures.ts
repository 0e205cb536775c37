import type { Requester } from '../src/api';
import type { IRunRow } from '../src/tokens';

/** A run row with sensible defaults. */
export function row(overrides: Partial<IRunRow> & { run_id: string }): IRunRow {
  return {
    name: null,
    status: 'FINISHED',
    experiment: 'Default',
    start_time: 1_800_000_000,
    duration: 1.5,
    cell_id: null,
    params: {},
    metrics: {},
    headline: null,
    ...overrides
  };
}

/** A requester answering from a function of the endpoint; it records every call. */
export function fakeServer(
  answer: (endpoint: string, init: RequestInit) => { status: number; body: unknown } | Error
): { request: Requester; calls: { endpoint: string; init: RequestInit }[] } {
  const calls: { endpoint: string; init: RequestInit }[] = [];
  const request: Requester = async (endpoint, init = {}) => {
    calls.push({ endpoint, init });
    const reply = answer(endpoint, init);
    if (reply instanceof Error) {
      throw reply;
    }
    return {
      ok: reply.status >= 200 && reply.status < 300,
      status: reply.status,
      text: async () => (typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
    };
  };
  return { request, calls };
}
