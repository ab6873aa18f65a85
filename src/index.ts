/** tflog's JupyterLab extension: the plugins it is made of. */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { alertsPlugin } from './plugins/alerts';
import { clientPlugin } from './plugins/client';
import { comparePlugin } from './plugins/compare';
import { historyPlugin } from './plugins/history';
import { linksPlugin } from './plugins/links';
import { logsPlugin } from './plugins/logs';
import { notebookPathPlugin } from './plugins/notebookPath';
import { panelPlugin } from './plugins/panel';
import { statusBarPlugin } from './plugins/statusBar';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  clientPlugin,
  notebookPathPlugin,
  panelPlugin,
  alertsPlugin,
  comparePlugin,
  historyPlugin,
  linksPlugin,
  logsPlugin,
  statusBarPlugin
];

export default plugins;
