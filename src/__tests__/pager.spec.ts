import { listenToRunRows } from '../views/historyCells';
import { Pager } from '../views/pager';
import { defaultBundle } from '../views/text';

function click(element: Element, type = 'click'): void {
  element.dispatchEvent(new MouseEvent(type, { bubbles: true }));
}

function key(element: Element, name: string): KeyboardEvent {
  const event = new KeyboardEvent('keydown', {
    key: name,
    bubbles: true,
    cancelable: true
  });
  element.dispatchEvent(event);
  return event;
}

describe('Pager', () => {
  const classes = {
    node: 'jp-tflog-logs-paging',
    previous: 'jp-tflog-logs-previous',
    next: 'jp-tflog-logs-next',
    range: 'jp-tflog-logs-range'
  };

  it('draws Previous, the range and Next, and turns the pages', () => {
    const turned: string[] = [];
    const pager = new Pager({
      trans: defaultBundle(),
      tag: 'span',
      buttonStyle: 'jp-mod-minimal',
      classes,
      onPrevious: () => turned.push('previous'),
      onNext: () => turned.push('next')
    });
    expect(pager.node.tagName).toBe('SPAN');
    expect(pager.node.className).toBe('jp-tflog-logs-paging');
    expect([...pager.node.children].map(child => child.className)).toEqual([
      'jp-Button jp-mod-minimal jp-tflog-logs-previous',
      'jp-tflog-logs-range',
      'jp-Button jp-mod-minimal jp-tflog-logs-next'
    ]);
    expect(pager.node.textContent).toBe('PreviousNext');
    click(pager.node.querySelector('.jp-tflog-logs-next')!);
    click(pager.node.querySelector('.jp-tflog-logs-previous')!);
    expect(turned).toEqual(['next', 'previous']);
    pager.dispose();
    click(pager.node.querySelector('.jp-tflog-logs-next')!);
    expect(turned).toEqual(['next', 'previous']);
  });

  it('shows where it stands and keeps the buttons off while loading or at an end', () => {
    const pager = new Pager({
      trans: defaultBundle(),
      tag: 'div',
      buttonStyle: 'jp-mod-styled',
      classes,
      onPrevious: () => undefined,
      onNext: () => undefined
    });
    const previous = pager.node.querySelector<HTMLButtonElement>(
      '.jp-tflog-logs-previous'
    )!;
    const next = pager.node.querySelector<HTMLButtonElement>(
      '.jp-tflog-logs-next'
    )!;
    const range = pager.node.querySelector('.jp-tflog-logs-range')!;
    expect(range.getAttribute('aria-live')).toBe('polite');
    pager.update({
      hasPrevious: false,
      hasNext: true,
      loading: false,
      text: '1–50 of 70'
    });
    expect([previous.disabled, next.disabled]).toEqual([true, false]);
    expect(range.textContent).toBe('1–50 of 70');
    pager.update({
      hasPrevious: true,
      hasNext: true,
      loading: true,
      text: '51–70 of 70'
    });
    expect([previous.disabled, next.disabled]).toEqual([true, true]);
    expect(range.textContent).toBe('51–70 of 70');
  });
});

describe('listenToRunRows', () => {
  function table(): HTMLTableSectionElement {
    const body = document.createElement('tbody');
    for (const runId of ['a', 'b', '']) {
      const row = body.insertRow();
      if (runId) {
        row.dataset.runId = runId;
      }
      row.insertCell().textContent = runId || 'none';
      row.tabIndex = -1;
    }
    document.body.append(body);
    return body;
  }

  it('focuses a clicked row, opens its run on a double click or Enter, and moves with the arrows', () => {
    const body = table();
    const opened: string[] = [];
    const listeners = listenToRunRows(body, runId => opened.push(runId));
    const [first, second, third] = [...body.rows];
    click(second.cells[0]);
    expect(document.activeElement).toBe(second);
    expect([...body.rows].map(row => row.tabIndex)).toEqual([-1, 0, -1]);
    click(first.cells[0], 'dblclick');
    expect(key(second, 'Enter').defaultPrevented).toBe(true);
    expect(opened).toEqual(['a', 'b']);
    expect(key(second, 'ArrowDown').defaultPrevented).toBe(true);
    expect(document.activeElement).toBe(third);
    // A row without a run opens nothing.
    key(third, 'Enter');
    click(third.cells[0], 'dblclick');
    expect(opened).toEqual(['a', 'b']);
    expect(key(third, 'a').defaultPrevented).toBe(false);
    listeners.dispose();
    click(first.cells[0], 'dblclick');
    expect(opened).toEqual(['a', 'b']);
    body.remove();
  });
});
