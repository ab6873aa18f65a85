import { Widget } from '@lumino/widgets';

import { RunModel } from '../model/runModel';
import type { IRunSummary } from '../tokens';
import { RunHeader } from '../views/runHeader';
import { RunList } from '../views/runList';
import { FakeClient, summary } from './fakes';

const ESC = String.fromCharCode(27);

function header(run: IRunSummary): RunHeader {
  const widget = new RunHeader();
  Widget.attach(widget, document.body);
  widget.setRunModel(
    new RunModel({
      client: new FakeClient(),
      runId: run.run_id,
      view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [] },
      summary: run
    })
  );
  return widget;
}

describe('RunHeader', () => {
  it('gives a finished run with NaN values a NaN badge, not a plain success', () => {
    const widget = header(
      summary({
        status: 'finished',
        last_metrics: { loss: 'NaN', accuracy: 0.5 },
        counts: { events: 1, errors: 0, warnings: 0, nan: 1 }
      })
    );
    const node = widget.node;
    expect(node.dataset.runNonfinite).toBe('NaN');
    const badge = node.querySelector<HTMLElement>('.jp-tflog-badge-nonfinite');
    expect(badge?.hidden).toBe(false);
    expect(badge?.textContent).toBe('NaN');
    expect(
      node
        .querySelector('.jp-tflog-run-status')
        ?.classList.contains('jp-tflog-mod-nonfinite')
    ).toBe(true);
    widget.dispose();
  });

  it('lists last values as a metric × train/validation table in one format', () => {
    const widget = header(
      summary({
        last_metrics: {
          loss: 1313.757202,
          val_loss: 6.438714196558399e21,
          accuracy: 0.5
        }
      })
    );
    const table = widget.node.querySelector('table.jp-tflog-last-values')!;
    const rows = [...table.querySelectorAll('tr')].map(row =>
      [...row.children].map(cell => cell.textContent)
    );
    expect(rows).toEqual([
      ['metric', 'train', 'validation'],
      ['loss', '1313.8', '6.44e21'],
      ['accuracy', '0.5', '']
    ]);
    widget.dispose();
  });

  it('shows no badge for a run whose values were finite', () => {
    const widget = header(
      summary({ status: 'finished', last_metrics: { loss: 0.25 } })
    );
    expect(widget.node.dataset.runNonfinite).toBeUndefined();
    expect(
      widget.node.querySelector<HTMLElement>('.jp-tflog-badge-nonfinite')
        ?.hidden
    ).toBe(true);
    widget.dispose();
  });

  it('shows a failed run’s error without terminal codes, with its lines and a folded traceback', () => {
    const widget = header(
      summary({
        status: 'failed',
        error: {
          type: 'ValueError',
          message: `${ESC}[0;31mshapes (3,) and (4,)\nnot aligned${ESC}[0m`,
          stack_trace: `${ESC}[1;32mTraceback${ESC}[0m (most recent call last)\n  File "<cell>", line 3\nValueError`
        }
      })
    );
    const error = widget.node.querySelector<HTMLElement>('.jp-tflog-run-error');
    expect(error?.hidden).toBe(false);
    expect(
      widget.node.querySelector('.jp-tflog-run-error-message')?.textContent
    ).toBe('ValueError: shapes (3,) and (4,)\nnot aligned');
    const details = widget.node.querySelector('details');
    expect(details?.open).toBe(false);
    expect(details?.querySelector('pre')?.textContent).toBe(
      'Traceback (most recent call last)\n  File "<cell>", line 3\nValueError'
    );
    expect(widget.node.textContent).not.toContain(ESC);
    widget.dispose();
  });
});

describe('RunHeader health', () => {
  it('shows the score with its components in the tooltip', () => {
    const widget = header(
      summary({
        status: 'finished',
        health: {
          score: 72,
          components: { outcome: 100, stability: 0, cleanliness: 96 },
          losses: {}
        }
      })
    );
    const badge = widget.node.querySelector('.jp-tflog-run-health');
    expect(badge?.textContent).toBe('health 72');
    expect(badge?.classList.contains('jp-tflog-mod-fair')).toBe(true);
    expect((badge as HTMLElement).title).toBe(
      'Health score 72 of 100\noutcome: 100\nstability: 0\nerrors and warnings: 96'
    );
    expect(widget.node.dataset.runHealth).toBe('72');
    widget.dispose();
  });

  it('is hidden for a run without one', () => {
    const widget = header(summary({ status: 'running' }));
    expect(
      (widget.node.querySelector('.jp-tflog-run-health') as HTMLElement).hidden
    ).toBe(true);
    widget.dispose();
  });
});

describe('RunList', () => {
  it('badges runs with non-finite values', () => {
    const list = new RunList({
      scope: 'all',
      title: 'All',
      onSelect: () => undefined
    });
    list.setRuns(
      [
        summary({ run_id: 'a', status: 'finished', last_metrics: { loss: 1 } }),
        summary({
          run_id: 'b',
          status: 'finished',
          last_metrics: { loss: 'Infinity' }
        })
      ],
      null,
      'none'
    );
    const items = list.node.querySelectorAll<HTMLElement>('.jp-tflog-run-item');
    expect(items[0].dataset.runNonfinite).toBeUndefined();
    expect(items[0].querySelector('.jp-tflog-badge-nonfinite')).toBeNull();
    expect(items[1].dataset.runNonfinite).toBe('Infinity');
    expect(
      items[1].querySelector('.jp-tflog-badge-nonfinite')?.textContent
    ).toBe('+Inf');
    expect(items[1].getAttribute('aria-label')).toContain('+Inf');
    list.dispose();
  });
});

describe('run context', () => {
  const run = summary({
    notebook: 'work/exp/train.ipynb',
    status: 'finished',
    started: '2026-01-31T10:00:00.000Z',
    ended: '2026-01-31T10:02:05.000Z',
    tags: { lr: '1e-3' },
    hparams: { optimizer: 'Adam', batch_size: 32, epochs: 10, keras: 'keras 3' }
  });

  it('shows tags, hyperparameters and the notebook’s name in the run header', () => {
    const widget = header(run);
    const chips = [
      ...widget.node.querySelectorAll('.jp-tflog-run-context li')
    ].map(chip => `${chip.className} ${chip.textContent}`);
    expect(chips).toEqual([
      'jp-tflog-tag lr=1e-3',
      'jp-tflog-hparam optimizer=Adam',
      'jp-tflog-hparam batch_size=32',
      'jp-tflog-hparam epochs=10',
      'jp-tflog-hparam keras=keras 3'
    ]);
    const meta = widget.node.querySelector<HTMLElement>('.jp-tflog-run-meta');
    expect(meta?.textContent?.startsWith('train.ipynb · started')).toBe(true);
    expect(meta?.title).toBe('work/exp/train.ipynb');
    expect(
      widget.node.querySelector('.jp-tflog-run-elapsed')?.textContent
    ).toBe('2:05');
    widget.dispose();
  });

  it('shows the notebook’s name, duration, tags and main hyperparameters in list rows', () => {
    const list = new RunList({
      scope: 'all',
      title: 'All my notebooks',
      onSelect: () => undefined
    });
    Widget.attach(list, document.body);
    list.setRuns([run], null, '');
    const item = list.node.querySelector<HTMLElement>('.jp-tflog-run-item');
    const details = item?.querySelector('.jp-tflog-run-item-details');
    expect(details?.textContent).toMatch(/^train\.ipynb · .+ · 2:05$/);
    expect(
      [...(item?.querySelectorAll('.jp-tflog-run-item-context li') ?? [])].map(
        chip => chip.textContent
      )
    ).toEqual(['lr=1e-3', 'optimizer=Adam', 'batch_size=32', 'epochs=10']);
    expect(item?.getAttribute('aria-label')).toContain('optimizer=Adam');
    list.dispose();
  });
});

describe('Go to cell', () => {
  function failedHeader(
    error: IRunSummary['error'],
    goToCell: ConstructorParameters<typeof RunHeader>[0] = {}
  ): RunHeader {
    const widget = new RunHeader(goToCell);
    Widget.attach(widget, document.body);
    const run = summary({
      status: 'failed',
      notebook: 'work/train.ipynb',
      error
    });
    widget.setRunModel(
      new RunModel({
        client: new FakeClient(),
        runId: run.run_id,
        view: { axis: 'step', smoothing: 0, maxPoints: 1000, metrics: [] },
        summary: run
      })
    );
    return widget;
  }

  it('shows the cell a failed run’s error came from', () => {
    const asked: unknown[] = [];
    const widget = failedHeader(
      {
        type: 'ValueError',
        message: 'boom',
        cell_id: 'c1',
        execution_count: 4
      },
      { goToCell: location => asked.push(location) }
    );
    const button = widget.node.querySelector<HTMLButtonElement>(
      '.jp-tflog-goto-cell'
    );
    expect(button?.hidden).toBe(false);
    expect(button?.textContent).toBe('Go to cell');
    button?.click();
    expect(asked).toEqual([
      { notebook: 'work/train.ipynb', cellId: 'c1', executionCount: 4 }
    ]);
    widget.dispose();
  });

  it('is hidden when the kernel did not say which cell, or nothing can show it', () => {
    const unknownCell = failedHeader(
      { type: 'ValueError', message: 'boom' },
      { goToCell: () => undefined }
    );
    expect(
      unknownCell.node.querySelector<HTMLButtonElement>('.jp-tflog-goto-cell')
        ?.hidden
    ).toBe(true);
    unknownCell.dispose();
    const noNavigator = failedHeader({
      type: 'ValueError',
      message: 'boom',
      cell_id: 'c1'
    });
    expect(
      noNavigator.node.querySelector<HTMLButtonElement>('.jp-tflog-goto-cell')
        ?.hidden
    ).toBe(true);
    noNavigator.dispose();
  });
});
