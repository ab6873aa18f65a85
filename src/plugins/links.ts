/**
 * Links that reopen a tflog view: a URL `<base>/lab?tflog=<JSON {command,
 * args}>` runs one of the allow-listed tflog commands once JupyterLab is
 * restored, then leaves the parameter out of the address bar.
 */
import {
  IRouter,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { decodeLink, LINK_PARAMETER, searchWithoutLink } from '../links';
import { requestErrorText } from '../requestText';
import { TRANSLATION_DOMAIN } from '../views/text';

/** The commands a link may run: views that only read, never act. */
export const LINK_COMMANDS: readonly string[] = [
  'tflog:compare',
  'tflog:open-history',
  'tflog:open-panel'
];

/** Run by the router for a URL that carries a link; not for the palette. */
export const OPEN_LINK_COMMAND = 'tflog:open-link';

export const linksPlugin: JupyterFrontEndPlugin<void> = {
  id: 'tflog:links',
  description:
    'Opens the tflog view a link names (`?tflog=` in the URL), for commands of an allow-list.',
  autoStart: true,
  requires: [IRouter],
  optional: [ITranslator],
  activate: (
    app: JupyterFrontEnd,
    router: IRouter,
    translator: ITranslator | null
  ): void => {
    const trans = (translator ?? nullTranslator).load(TRANSLATION_DOMAIN);
    // JupyterLab may route the same address twice while it loads (e.g. when
    // it moves to a new workspace because the default one is open in
    // another tab): a link is followed once per page.
    const followed = new Set<string>();

    app.commands.addCommand(OPEN_LINK_COMMAND, {
      label: trans.__('Open tflog Link'),
      execute: args => {
        const search = typeof args.search === 'string' ? args.search : '';
        const value = new URLSearchParams(search).get(LINK_PARAMETER);
        if (value === null || followed.has(value)) {
          forgetLink();
          return;
        }
        followed.add(value);
        forgetLink();
        let link;
        try {
          link = decodeLink(search, LINK_COMMANDS, trans);
        } catch (error) {
          Notification.error(
            trans.__(
              'Cannot open the tflog link: %1',
              error instanceof Error ? error.message : String(error)
            ),
            { autoClose: false }
          );
          return;
        }
        if (link === null) {
          return;
        }
        // Not awaited: the router waits for this command before JupyterLab
        // restores its layout, and the commands a link runs need that done.
        void app.restored.then(async () => {
          if (!app.commands.hasCommand(link.command)) {
            Notification.error(
              trans.__(
                'This link opens %1, which this JupyterLab does not have.',
                link.command
              ),
              { autoClose: false }
            );
            return;
          }
          try {
            await app.commands.execute(link.command, link.args);
          } catch (error) {
            Notification.error(
              trans.__(
                'The tflog link could not be opened: %1',
                requestErrorText(trans, error)
              ),
              { autoClose: false }
            );
          }
        });
      }
    });

    router.register({
      command: OPEN_LINK_COMMAND,
      pattern: new RegExp(`[?&]${LINK_PARAMETER}=`)
    });
  }
};

/** A reload should not open the view again: the parameter leaves the address bar. */
function forgetLink(): void {
  const { pathname, search, hash } = window.location;
  window.history.replaceState(
    window.history.state,
    '',
    pathname + searchWithoutLink(search) + hash
  );
}
