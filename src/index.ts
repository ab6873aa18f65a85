/** tflog's JupyterLab extension: the plugins it is made of. */
import type { JupyterFrontEndPlugin } from '@jupyterlab/application';

import { alertsPlugin } from './plugins/alerts';
import { clientPlugin } from './plugins/client';
import { comparePlugin } from './plugins/compare';
import { linksPlugin } from './plugins/links';
import { notebookPathPlugin } from './plugins/notebookPath';
import { panelPlugin } from './plugins/panel';

const plugins: JupyterFrontEndPlugin<unknown>[] = [
  clientPlugin,
  notebookPathPlugin,
  panelPlugin,
  alertsPlugin,
  comparePlugin,
  linksPlugin
];

export default plugins;
