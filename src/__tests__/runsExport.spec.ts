import {
  readAllRuns,
  runColumns,
  runRow,
  runsToCsv,
  runsToJson
} from '../model/runsExport';
import type { IRunPage, IRunQuery } from '../tokens';
import { summary } from './fakes';

describe('runs export', () => {
  const run = summary({
    run_id: 'r1',
    name: '=HYPERLINK("x")',
    notebook: 'work/a, b.ipynb',
    status: 'finished',
    started: '2026-01-01T10:00:00.000Z',
    ended: '2026-01-01T10:01:30.500Z',
    hparams: { lr: 0.01, optimizer: '-adam', shuffle: true },
    tags: { team: '@vision' },
    last_metrics: { loss: 0.3, accuracy: 0.9, val_loss: 'NaN' },
    min_metrics: { loss: 0.25, accuracy: 0.5 },
    max_metrics: { loss: 2, accuracy: 0.95 },
    health: { score: 81, components: {}, losses: {} }
  });

  it('makes one row per run with the columns of %tflog export and the best by the metric’s direction', () => {
    const row = runRow(run);
    expect(row).toEqual({
      run_id: 'r1',
      name: '=HYPERLINK("x")',
      notebook: 'work/a, b.ipynb',
      status: 'finished',
      started: '2026-01-01T10:00:00.000Z',
      ended: '2026-01-01T10:01:30.500Z',
      duration_s: 90.5,
      health_score: 81,
      'best.accuracy': 0.95,
      'best.loss': 0.25,
      'hparam.lr': 0.01,
      'hparam.optimizer': '-adam',
      'hparam.shuffle': true,
      'tag.team': '@vision',
      'final.accuracy': 0.9,
      'final.loss': 0.3,
      'final.val_loss': 'NaN'
    });
    const running = runRow(summary({ run_id: 'r2', ended: null }));
    expect(running.duration_s).toBeNull();
    expect(runColumns([running, row])).toEqual([
      'run_id',
      'name',
      'notebook',
      'status',
      'started',
      'ended',
      'duration_s',
      'health_score',
      'best.accuracy',
      'best.loss',
      'hparam.lr',
      'hparam.optimizer',
      'hparam.shuffle',
      'tag.team',
      'final.accuracy',
      'final.loss',
      'final.val_loss'
    ]);
  });

  it('writes CSV whose text cells cannot run as formulas', () => {
    const csv = runsToCsv([runRow(run)]);
    const [header, line, end] = csv.split('\r\n');
    expect(header.split(',')[0]).toBe('run_id');
    expect(line).toBe(
      [
        'r1',
        '"\'=HYPERLINK(""x"")"',
        '"work/a, b.ipynb"',
        'finished',
        '2026-01-01T10:00:00.000Z',
        '2026-01-01T10:01:30.500Z',
        '90.5',
        '81',
        '0.95',
        '0.25',
        '0.01',
        "'-adam",
        'true',
        "'@vision",
        '0.9',
        '0.3',
        'NaN'
      ].join(',')
    );
    expect(end).toBe('');
  });

  it('writes JSON with the values as the API gives them', () => {
    const parsed = JSON.parse(runsToJson([runRow(run)])) as Record<
      string,
      unknown
    >[];
    expect(parsed[0]['name']).toBe('=HYPERLINK("x")');
    expect(parsed[0]['final.val_loss']).toBe('NaN');
    expect(parsed[0]['hparam.shuffle']).toBe(true);
  });

  it('reads every page of the filtered runs, up to the limit', async () => {
    const all = Array.from({ length: 5 }, (_, index) =>
      summary({ run_id: `r${index}` })
    );
    const queries: IRunQuery[] = [];
    const client = {
      runs(query: IRunQuery = {}): Promise<IRunPage> {
        queries.push(query);
        const start = Number(query.after ?? 0);
        const end = start + (query.size ?? 50);
        return Promise.resolve({
          runs: all.slice(start, end),
          total: all.length,
          next: end < all.length ? String(end) : undefined
        });
      }
    };
    const read = await readAllRuns(client, { status: ['finished'] });
    expect(read.runs.map(item => item.run_id)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4'
    ]);
    expect(read.truncated).toBe(false);
    expect(queries[0]).toEqual({
      status: ['finished'],
      size: 1000,
      after: undefined
    });
    const limited = await readAllRuns(client, {}, 2);
    expect(limited.runs.length).toBe(2);
    expect(limited.truncated).toBe(true);
    queries.length = 0;
    await readAllRuns(
      { runs: query => client.runs({ ...query, size: 2 }) },
      {}
    );
    expect(queries.map(query => query.after)).toEqual([undefined, '2', '4']);
  });
});
