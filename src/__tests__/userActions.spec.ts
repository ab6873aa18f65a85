import { Notification } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';

import { errorFromResponse } from '../request';
import { executeForUser } from '../plugins/userActions';
import { markingBundle } from './translation';

function notices() {
  return Notification.manager.notifications.map(notice => ({
    type: notice.type,
    message: notice.message
  }));
}

describe('executeForUser', () => {
  const trans = markingBundle();

  beforeEach(() => {
    Notification.dismiss();
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('runs the command with its arguments', async () => {
    const commands = new CommandRegistry();
    const ran: unknown[] = [];
    commands.addCommand('x:open', { execute: args => void ran.push(args) });
    await executeForUser(commands, trans, 'x:open', { a: 1 }, 'open');
    expect(ran).toEqual([{ a: 1 }]);
    expect(notices()).toEqual([]);
  });

  it('tells the user when the command is missing or fails, and logs it', async () => {
    const commands = new CommandRegistry();
    commands.addCommand('x:fail', {
      execute: () =>
        Promise.reject(
          errorFromResponse(502, undefined, '', 'http://localhost/tflog/api/v1')
        )
    });
    await executeForUser(commands, trans, 'x:none', {}, '«Cannot open»');
    await executeForUser(commands, trans, 'x:fail', {}, '«Cannot open»');
    // Newest first.
    expect(notices()).toEqual([
      {
        type: 'error',
        message: expect.stringMatching(
          /^««Cannot open»: «The tflog service is unreachable \(HTTP 502\)/
        )
      },
      {
        type: 'error',
        message: '««Cannot open»: this JupyterLab has no command x:none.»'
      }
    ]);
    expect(console.error).toHaveBeenCalledTimes(2);
  });
});
