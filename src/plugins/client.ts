/** Provides ITflogClient: requests to the tflog service through Jupyter's server proxy. */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

import { TflogClient } from '../request';
import { ITflogClient } from '../tokens';

export const clientPlugin: JupyterFrontEndPlugin<ITflogClient> = {
  id: 'tflog:client',
  description:
    "Requests to the tflog service's query API v1, through Jupyter's server proxy.",
  autoStart: true,
  provides: ITflogClient,
  activate: (app: JupyterFrontEnd): ITflogClient =>
    new TflogClient({ serverSettings: app.serviceManager.serverSettings })
};
