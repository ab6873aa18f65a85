/**
 * What the plugins do when something the user asked for fails: log it for
 * the console, and tell the user in a short notification, so that a click
 * or a double-click never fails silently.
 */
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { requestErrorText } from '../requestText';

/**
 * Log `error` and tell the user: `what` is the translated action that
 * failed ("Cannot open the History view"), followed by why.
 */
export function reportFailure(
  trans: TranslationBundle,
  what: string,
  error: unknown
): void {
  console.error(`tflog: ${what}`, error);
  Notification.error(trans.__('%1: %2', what, requestErrorText(trans, error)), {
    autoClose: 5000
  });
}

/**
 * Run `command` for a user's action. A command this JupyterLab lacks (its
 * plugin disabled or failed) is told as such rather than as Lumino's
 * English error; a failure of the command is reported.
 */
export async function executeForUser(
  commands: CommandRegistry,
  trans: TranslationBundle,
  command: string,
  args: ReadonlyPartialJSONObject,
  what: string
): Promise<void> {
  if (!commands.hasCommand(command)) {
    console.error(`tflog: ${what}: no command ${command}`);
    Notification.error(
      trans.__('%1: this JupyterLab has no command %2.', what, command),
      { autoClose: 5000 }
    );
    return;
  }
  try {
    await commands.execute(command, args);
  } catch (error) {
    reportFailure(trans, what, error);
  }
}
