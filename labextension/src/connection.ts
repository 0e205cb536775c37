/**
 * Requests to nbtrack's endpoints through Jupyter's own connection, which adds
 * the token, the XSRF header and the base URL.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { Requester } from './api';

/** A requester for the server behind `settings`. */
export function serverRequester(settings: ServerConnection.ISettings): Requester {
  const base = URLExt.join(settings.baseUrl, 'nbtrack', 'api');
  return (endpoint, init = {}) =>
    ServerConnection.makeRequest(`${base}/${endpoint}`, init, settings);
}
