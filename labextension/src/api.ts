/**
 * The client of nbtrack's server endpoints (`/nbtrack/api/...`).
 *
 * It knows URLs, JSON shapes and error messages, not how a request is sent:
 * JupyterLab passes a requester that adds the token and XSRF header
 * (`connection.ts`), the unit tests pass their own.
 */
import type {
  ICellsReply,
  IComparison,
  IExportReply,
  IMetricHistory,
  IModelsReply,
  IRunDetail,
  IRunRow,
  IRunsPage,
  IRunsQuery
} from './tokens';

/** What a requester answers: the parts of a fetch `Response` the client reads. */
export interface IResponseLike {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

/** Sends one request to an endpoint below `/nbtrack/api/`. */
export type Requester = (endpoint: string, init?: RequestInit) => Promise<IResponseLike>;

/** A failed call, with a one-line message that says what to do. */
export class NbtrackRequestError extends Error {
  constructor(
    message: string,
    readonly status: number
  ) {
    super(message);
    this.name = 'NbtrackRequestError';
  }
}

/** The message shown when the server part is missing (its routes answer 404 with HTML). */
export const SERVER_EXTENSION_MISSING =
  'the nbtrack server extension is not enabled: run `jupyter server extension enable nbtrack` ' +
  'and restart JupyterLab';

/** Build `name?k=v&...`, leaving out empty values. */
export function withQuery(
  name: string,
  query: Record<string, string | number | undefined | null>
): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') {
      continue;
    }
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `${name}?${parts.join('&')}` : name;
}

/** The endpoint that lists runs for a query. */
export function runsEndpoint(query: IRunsQuery): string {
  return withQuery('runs', {
    path: query.path,
    filter: query.filter?.trim(),
    sort: query.sort,
    limit: query.limit,
    offset: query.offset,
    ids: query.ids?.join(',')
  });
}

function encodeRunId(runId: string): string {
  if (!/^r-[0-9a-z]{4,12}$/.test(runId)) {
    throw new NbtrackRequestError(
      `${JSON.stringify(runId)} is not a run id; use an id such as r-6fegfw1t (4+ characters after r-)`,
      400
    );
  }
  return runId;
}

/** Typed calls to every nbtrack endpoint. */
export class NbtrackClient {
  constructor(private readonly request: Requester) {}

  /** Runs of the store beside `query.path`, newest first unless `sort` says otherwise. */
  async runs(query: IRunsQuery): Promise<IRunsPage> {
    return this.call<IRunsPage>(runsEndpoint(query));
  }

  /** The runs `runIds` side by side; a run no longer in the store is an error. */
  async compare(runIds: string[], path: string): Promise<IComparison> {
    const page = await this.runs({ path, ids: runIds, limit: runIds.length });
    const byId = new Map(page.runs.map(run => [run.run_id, run]));
    const missing = runIds.filter(id => !byId.has(id));
    if (missing.length) {
      throw new NbtrackRequestError(
        `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} no longer in the store; ` +
          'refresh the runs list and pick again',
        404
      );
    }
    return {
      runs: runIds.map(id => byId.get(id) as IRunRow),
      differing_params: page.differing_params
    };
  }

  /** Every registered model of the store beside `path`, with versions and history. */
  async models(path: string): Promise<IModelsReply> {
    return this.call<IModelsReply>(withQuery('models', { path }));
  }

  /** One run in full. */
  async run(runId: string, path: string): Promise<IRunDetail> {
    return this.call<IRunDetail>(withQuery(`runs/${encodeRunId(runId)}`, { path }));
  }

  /** Every point of one metric of one run. */
  async history(runId: string, key: string, path: string): Promise<IMetricHistory> {
    return this.call<IMetricHistory>(
      withQuery(`runs/${encodeRunId(runId)}/metrics/${encodeURIComponent(key)}`, { path })
    );
  }

  /** The latest run and run count of each of a notebook's cells that has runs. */
  async cells(path: string, cellIds: string[]): Promise<ICellsReply> {
    if (cellIds.length === 0) {
      return { cells: {}, store: '' };
    }
    return this.call<ICellsReply>(withQuery('cells', { path, ids: cellIds.join(',') }));
  }

  /** Write the run as a notebook named `name` beside the notebook at `path`. */
  async exportRun(runId: string, path: string, name: string): Promise<IExportReply> {
    return this.call<IExportReply>(`runs/${encodeRunId(runId)}/export`, {
      method: 'POST',
      body: JSON.stringify({ path, name })
    });
  }

  private async call<T>(endpoint: string, init: RequestInit = {}): Promise<T> {
    let response: IResponseLike;
    try {
      response = await this.request(endpoint, init);
    } catch (error) {
      throw new NbtrackRequestError(
        `cannot reach the Jupyter server (${errorText(error)}); check that it is still running`,
        0
      );
    }
    const text = await response.text();
    let data: unknown = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!response.ok) {
      throw new NbtrackRequestError(failureMessage(response.status, data), response.status);
    }
    if (data === null) {
      throw new NbtrackRequestError(SERVER_EXTENSION_MISSING, response.status);
    }
    return data as T;
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The one-line message for a failed call. */
export function failureMessage(status: number, data: unknown): string {
  const message =
    data !== null && typeof data === 'object' && 'message' in data
      ? String((data as { message: unknown }).message)
      : '';
  if (status === 404 && !message) {
    return SERVER_EXTENSION_MISSING;
  }
  if (status === 403 && !message) {
    return 'the Jupyter server refused the request (403); reload JupyterLab to log in again';
  }
  return message || `the nbtrack server extension answered ${status}; see the Jupyter server log`;
}
