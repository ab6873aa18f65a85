import type { IChartRow } from '../model/series';
import {
  LogMarkers,
  MARKER_KINDS,
  MARKER_LEVELS,
  markersFor
} from '../model/logMarkers';
import type { ILogPage, ILogQuery, ITflogDocument } from '../tokens';
import { FakeClient } from './fakes';
import { logLine } from './logFixtures';

function row(x: number, timeSeconds: number): IChartRow {
  return {
    series: 'loss',
    role: 'train',
    x,
    y: 1,
    raw: 1,
    nonfinite: null,
    time: timeSeconds * 1000
  };
}

describe('markersFor', () => {
  const rows = [row(10, 100), row(20, 200), row(30, 300)];

  it('places a line at its own step or epoch when it has one', () => {
    const lines = [
      logLine(150, {
        level: 'warning',
        kind: 'warning',
        step: 17,
        epoch: 2,
        message: 'careful'
      })
    ];
    expect(markersFor(lines, 'step', rows).map(m => m.x)).toEqual([17]);
    expect(markersFor(lines, 'epoch', rows).map(m => m.x)).toEqual([2]);
  });

  it('places a line without step at the point nearest in time', () => {
    const lines = [
      logLine(240, { level: 'warning', kind: 'warning' }),
      logLine(260, { level: 'error', kind: 'error' })
    ];
    expect(markersFor(lines, 'step', rows).map(m => m.x)).toEqual([20, 30]);
  });

  it('places a line at its own time on the time axis', () => {
    const lines = [logLine(240, { level: 'warning', kind: 'warning' })];
    expect(markersFor(lines, 'time', rows).map(m => m.x)).toEqual([240000]);
  });

  it('leaves out a line it cannot place, and lines that are not problems', () => {
    const lines = [
      logLine(240, { level: 'info', kind: 'log' }),
      logLine(250, { level: 'warning', kind: 'warning' })
    ];
    expect(markersFor(lines, 'step', [])).toEqual([]);
    expect(markersFor(lines, 'step', rows)).toHaveLength(1);
  });

  it('makes one marker of the lines at one x, from the first of them', () => {
    const markers = markersFor(
      [
        logLine(202, { level: 'warning', kind: 'warning', message: 'source' }),
        logLine(201, { level: 'warning', kind: 'warning', message: 'warning' }),
        logLine(203, { level: 'error', kind: 'error', message: 'error' })
      ],
      'step',
      rows
    );
    expect(
      markers.map(m => [m.x, m.severity, m.summary, m.lines, m.lineId])
    ).toEqual([
      [20, 'warning', 'warning', 2, 'run-1:201'],
      [20, 'error', 'error', 1, 'run-1:203']
    ]);
  });

  it('says how bad, and the start of the message without terminal codes', () => {
    const long = `\u001b[31mNaN loss\u001b[0m ${'x'.repeat(200)}`;
    const [nan, warning] = markersFor(
      [
        logLine(100, { level: 'warning', kind: 'nan', message: long }),
        logLine(200, { level: 'WARNING', kind: 'warning', message: 'slow' })
      ],
      'step',
      rows
    );
    expect(nan.severity).toBe('error');
    expect(nan.summary.startsWith('NaN loss x')).toBe(true);
    expect(nan.summary.length).toBeLessThanOrEqual(120);
    expect(nan.lineId).toBe('run-1:100');
    expect(nan.time).toBe(new Date(100000).toISOString());
    expect(warning.severity).toBe('warning');
    expect(warning.level).toBe('warning');
  });
});

class LogClient extends FakeClient {
  answers: ILogPage[] = [];
  logs(runId: string, query: ILogQuery = {}): Promise<ILogPage> {
    this.logQueries.push({ runId, query });
    const answer = this.answers.shift();
    return answer
      ? Promise.resolve(answer)
      : Promise.reject(new Error('no answer'));
  }
}

describe('LogMarkers', () => {
  it('reads the run’s warnings and errors, newest first, and says so', async () => {
    const client = new LogClient();
    const lines = [logLine(3, { level: 'error', kind: 'error' })];
    client.answers.push({ lines, total: 1 });
    const markers = new LogMarkers({ client, runId: 'run-1' });
    const seen: ITflogDocument[][] = [];
    markers.changed.connect((_, value) => seen.push([...value]));
    await markers.refresh();
    expect(client.logQueries[0]).toEqual({
      runId: 'run-1',
      query: {
        levels: MARKER_LEVELS,
        kinds: MARKER_KINDS,
        order: 'desc',
        size: 200
      }
    });
    expect(seen).toEqual([lines]);
    expect(markers.lines).toEqual(lines);
    markers.dispose();
  });

  it('keeps the lines it has when a read fails, and reports the error', async () => {
    const client = new LogClient();
    const lines = [logLine(3, { level: 'error', kind: 'error' })];
    client.answers.push({ lines, total: 1 });
    const markers = new LogMarkers({ client, runId: 'run-1' });
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    await markers.refresh();
    await markers.refresh();
    expect(markers.lines).toEqual(lines);
    expect(markers.error?.message).toBe('no answer');
    expect(warn).toHaveBeenCalledTimes(1);
    warn.mockRestore();
    markers.dispose();
  });
});
