import type { IComparedRun } from '../model/compareData';
import {
  csvField,
  exportFileName,
  exportRows,
  toCsv,
  toJson
} from '../model/compareExport';
import { series, summary } from './fakes';

const started = Date.parse('2026-01-31T10:00:00.000Z');

const runs: IComparedRun[] = [
  {
    runId: 'run-a',
    summary: summary({ run_id: 'run-a', name: 'lr, "small"' }),
    metrics: [],
    series: [
      series('loss', [
        { x: started + 2000, y: 0.5, time: '2026-01-31T10:00:02.000Z' },
        {
          x: started + 4000,
          y: null,
          nonfinite: 'Infinity',
          time: '2026-01-31T10:00:04.000Z'
        }
      ]),
      series(
        'acc',
        [{ x: started + 4000, y: 0.75, time: '2026-01-31T10:00:04.000Z' }],
        { scope: 'epoch' }
      )
    ],
    error: null
  },
  {
    runId: 'run-b',
    summary: summary({ run_id: 'run-b', name: null }),
    metrics: [],
    series: [
      series('loss', [
        { x: started + 1000, y: 0.25, time: '2026-01-31T10:00:01.000Z' }
      ])
    ],
    error: null
  }
];

describe('comparison export', () => {
  it('has one row per run, metric and point, raw values', () => {
    const rows = exportRows(runs, 'relative');
    expect(rows).toEqual([
      {
        run_id: 'run-a',
        run_name: 'lr, "small"',
        metric: 'loss',
        scope: 'batch',
        x: 2,
        time: '2026-01-31T10:00:02.000Z',
        value: 0.5,
        nonfinite: null
      },
      {
        run_id: 'run-a',
        run_name: 'lr, "small"',
        metric: 'loss',
        scope: 'batch',
        x: 4,
        time: '2026-01-31T10:00:04.000Z',
        value: null,
        nonfinite: 'Infinity'
      },
      {
        run_id: 'run-a',
        run_name: 'lr, "small"',
        metric: 'acc',
        scope: 'epoch',
        x: 4,
        time: '2026-01-31T10:00:04.000Z',
        value: 0.75,
        nonfinite: null
      },
      {
        run_id: 'run-b',
        run_name: 'run-b',
        metric: 'loss',
        scope: 'batch',
        x: 1,
        time: '2026-01-31T10:00:01.000Z',
        value: 0.25,
        nonfinite: null
      }
    ]);
  });

  it('writes RFC 4180 CSV with the axis as the x column', () => {
    const csv = toCsv(exportRows(runs, 'relative'), 'relative');
    expect(csv.split('\r\n')).toEqual([
      'run_id,run_name,metric,scope,elapsed_s,time,value,nonfinite',
      'run-a,"lr, ""small""",loss,batch,2,2026-01-31T10:00:02.000Z,0.5,',
      'run-a,"lr, ""small""",loss,batch,4,2026-01-31T10:00:04.000Z,,Infinity',
      'run-a,"lr, ""small""",acc,epoch,4,2026-01-31T10:00:04.000Z,0.75,',
      'run-b,run-b,loss,batch,1,2026-01-31T10:00:01.000Z,0.25,',
      ''
    ]);
    expect(toCsv([], 'step')).toBe(
      'run_id,run_name,metric,scope,step,time,value,nonfinite\r\n'
    );
    expect(csvField('a\nb')).toBe('"a\nb"');
    expect(csvField(null)).toBe('');
  });

  it('keeps a spreadsheet from reading text cells as formulas', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(
      '"\'=HYPERLINK(""http://x"")"'
    );
    expect(csvField('+1')).toBe("'+1");
    expect(csvField('-lr')).toBe("'-lr");
    expect(csvField('@sum')).toBe("'@sum");
    expect(csvField('\tloss')).toBe("'\tloss");
    expect(csvField('\rloss')).toBe('"\'\rloss"');
    expect(csvField('loss=1')).toBe('loss=1');
    // Numbers stay numbers, negative ones too.
    expect(csvField(-0.5)).toBe('-0.5');
    const rows = exportRows(
      [
        {
          runId: 'run-c',
          summary: summary({ run_id: 'run-c', name: '=1+1' }),
          metrics: [],
          series: [
            series('-delta', [{ x: 3, y: -2, time: '2026-01-31T10:00:00Z' }])
          ],
          error: null
        }
      ],
      'step'
    );
    expect(toCsv(rows, 'step').split('\r\n')[1]).toBe(
      "run-c,'=1+1,'-delta,batch,3,2026-01-31T10:00:00Z,-2,"
    );
  });

  it('writes JSON objects with the same columns', () => {
    const parsed = JSON.parse(toJson(exportRows(runs, 'wall'), 'wall'));
    expect(parsed).toHaveLength(4);
    expect(parsed[1]).toEqual({
      run_id: 'run-a',
      run_name: 'lr, "small"',
      metric: 'loss',
      scope: 'batch',
      time_ms: started + 4000,
      time: '2026-01-31T10:00:04.000Z',
      value: null,
      nonfinite: 'Infinity'
    });
  });

  it('names files safely', () => {
    expect(exportFileName('tflog compare/a:b', 'csv')).toBe(
      'tflog_compare_a_b.csv'
    );
    expect(exportFileName('', 'json')).toBe('tflog.json');
  });
});
