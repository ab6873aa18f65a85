/**
 * Real kernel output (captured from ipykernel kernels running Keras 3 and
 * Keras 2 fits): every epoch's values must come out, checked against values
 * read independently of the parser: the printed text, Keras' own History
 * (`*.history.json`), and the Keras callback's records in spool captures.
 */
import * as fs from 'fs';
import * as path from 'path';
import { IEndRecord, IMetricsRecord, ITflogDocument } from '../../src/types';
import {
  epochDocuments,
  expectedEpochsFromText,
  expectPrintedValue,
  expectRoundedFrom,
  fixtureFiles,
  parseAll,
  rawRecords,
  readSpool
} from './helpers';

const kerasOutputs = fixtureFiles('.stdout.txt').filter(file =>
  /^Epoch \d+\/\d+$/m.test(fs.readFileSync(file, 'utf8'))
);
const spoolFiles = fixtureFiles('.spool.ndjson');

function label(file: string): string {
  return path.relative(path.resolve(__dirname, '../../..'), file);
}

describe('fixtures are present', () => {
  it('include Keras 3 and Keras 2 fits at verbose 1 and 2', () => {
    const names = kerasOutputs.map(file => path.basename(file));
    for (const expected of [
      /keras3-verbose1/,
      /keras3-verbose2/,
      /(keras2|tfkeras)-verbose1/,
      /(keras2|tfkeras)-verbose2/
    ]) {
      expect(names.some(name => expected.test(name))).toBe(true);
    }
  });
});

describe.each(kerasOutputs.map(file => [label(file), file]))(
  '%s',
  (_label, file) => {
    const text = fs.readFileSync(file, 'utf8');
    const { documents } = parseAll(rawRecords(text));
    const epochs = epochDocuments(documents);
    const expected = expectedEpochsFromText(text);

    it('yields one epoch document per epoch, with every printed value', () => {
      expect(expected.length).toBeGreaterThan(0);
      expect(epochs.map(document => document.tflog.epoch)).toEqual(
        expected.map(epoch => epoch.epoch)
      );
      epochs.forEach((document, index) => {
        const printed = expected[index].metrics;
        const parsedNames = [
          ...Object.keys(document.tflog.metrics ?? {}),
          ...Object.keys(document.tflog.nonfinite ?? {})
        ];
        expect(parsedNames.sort()).toEqual(Object.keys(printed).sort());
        for (const [name, value] of Object.entries(printed)) {
          expectPrintedValue(document, name, value);
        }
      });
    });

    const historyFile = file.replace(/\.stdout\.txt$/, '.history.json');
    if (fs.existsSync(historyFile)) {
      it("agrees with Keras' own History for every epoch and metric", () => {
        const history: Record<string, Array<number | string>> = JSON.parse(
          fs.readFileSync(historyFile, 'utf8')
        );
        const names = Object.keys(history);
        expect(names.length).toBeGreaterThan(0);
        for (const name of names) {
          expect(epochs).toHaveLength(history[name].length);
          history[name].forEach((value, index) => {
            if (String(value).toLowerCase() === 'nan') {
              expect(epochs[index].tflog.nonfinite?.[name]).toBe('NaN');
            } else {
              expectRoundedFrom(
                epochs[index].tflog.metrics?.[name],
                Number(value)
              );
            }
          });
        }
      });
    }

    if (!/verbose2/.test(file)) {
      it('yields batch progress with step metrics inside every epoch', () => {
        for (const epoch of expected) {
          const progress = documents.filter(
            document =>
              document.tflog.kind !== 'epoch' &&
              document.tflog.epoch === epoch.epoch &&
              document.tflog.step !== undefined
          );
          expect(progress.length).toBeGreaterThan(0);
          expect(
            progress.every(document =>
              Object.keys({
                ...document.tflog.metrics,
                ...document.tflog.nonfinite
              }).includes('loss')
            )
          ).toBe(true);
        }
      });
    }
  }
);

describe.each(spoolFiles.map(file => [label(file), file]))(
  'spool %s',
  (_label, file) => {
    const records = readSpool(file);
    const { documents, points } = parseAll(records);
    const callbackEpochs = records.filter(
      (record): record is IMetricsRecord =>
        record.t === 'metrics' && record.scope === 'epoch'
    );

    it('turns every callback value into an exact point', () => {
      const callbackRecords = records.filter(
        (record): record is IMetricsRecord => record.t === 'metrics'
      );
      const exact = points.filter(point => point.source === 'callback');
      expect(exact).toHaveLength(
        callbackRecords.reduce(
          (sum, record) => sum + Object.keys(record.values).length,
          0
        )
      );
      for (const record of callbackRecords) {
        for (const [name, value] of Object.entries(record.values)) {
          const point = exact.find(
            candidate =>
              candidate._id ===
              `${documents[0].tflog.run_id}:${record.seq}:${name}`
          );
          if (typeof value === 'number') {
            expect(point?.value).toBe(value);
          } else {
            expect(point?.nonfinite).toBe(value);
          }
          expect(point?.epoch).toBe((record.epoch as number) + 1);
        }
      }
    });

    if (callbackEpochs.length > 0) {
      it('parses the same epoch values from the printed text as the callback recorded', () => {
        const printed = epochDocuments(documents).filter(
          document => document.tflog.source === 'stdout'
        );
        expect(printed.map(document => document.tflog.epoch)).toEqual(
          callbackEpochs.map(record => (record.epoch as number) + 1)
        );
        callbackEpochs.forEach((record, index) => {
          for (const [name, value] of Object.entries(record.values)) {
            if (typeof value === 'number') {
              expectRoundedFrom(printed[index].tflog.metrics?.[name], value);
            } else {
              expect(printed[index].tflog.nonfinite?.[name]).toBe(value);
            }
          }
        });
      });
    }

    it("ends the run with the end record's status and error", () => {
      const end = records[records.length - 1] as IEndRecord;
      const last = documents[documents.length - 1];
      expect(end.t).toBe('end');
      expect(last.tflog.status).toBe(end.status);
      if (end.error) {
        expect(last.error).toMatchObject({
          type: end.error.type,
          message: end.error.message
        });
        expect(last.log.level).toBe('error');
      } else {
        expect(last.error).toBeUndefined();
      }
    });

    it('starts and ends the run, with every document of this run', () => {
      expect(documents[0].tflog.kind).toBe('run_start');
      expect(documents[documents.length - 1].tflog.kind).toBe('run_end');
      const runId = (records[0] as { run: string }).run;
      expect(
        documents.every(document => document._id.startsWith(`${runId}:`))
      ).toBe(true);
    });
  }
);

function findByKind(
  documents: ITflogDocument[],
  kind: string
): ITflogDocument[] {
  return documents.filter(document => document.tflog.kind === kind);
}

describe.each(
  fixtureFiles('.stderr.txt')
    .filter(file => /logging/.test(file))
    .map(file => [label(file), file])
)('article-style logging %s', (_label, file) => {
  const stderr = fs.readFileSync(file, 'utf8');
  const { documents } = parseAll(rawRecords(stderr, 'stderr'));

  it('yields the epoch loss, the gradient warning, the NaN and the Python warning', () => {
    expect(findByKind(documents, 'epoch')).toEqual([
      expect.objectContaining({
        log: { level: 'info' },
        tflog: expect.objectContaining({ epoch: 7, metrics: { loss: 0.8765 } })
      })
    ]);
    const gradient = documents.find(
      document => document.tflog.pattern === 'gradient-norm'
    );
    expect(gradient).toMatchObject({
      log: { level: 'warning' },
      tflog: { kind: 'warning', metrics: { grad_norm: 15.3 } }
    });
    expect(findByKind(documents, 'nan')).toEqual([
      expect.objectContaining({
        log: { level: 'error' },
        tflog: expect.objectContaining({
          step: 3420,
          nonfinite: { loss: 'NaN' }
        })
      })
    ]);
    const warnings = documents.filter(
      document => document.tflog.pattern === 'python-warning'
    );
    expect(warnings.length).toBe(2);
    expect(warnings[0].message).toMatch(/UserWarning: learning rate schedule/);
  });

  if (stderr.includes('Traceback (most recent call last):')) {
    it('yields the traceback as errors ending with error.type and error.message', () => {
      const withError = documents.filter(document => document.error);
      const finalLine =
        stderr.split('\n').find(line => /^\w+Error: /.test(line)) ?? '';
      const [type, message] = finalLine.split(': ');
      expect(
        withError.map(document => [
          document.error?.type,
          document.error?.message
        ])
      ).toEqual([[type, message]]);
      expect(withError[0].error?.stack_trace).toContain(
        'Traceback (most recent call last):'
      );
    });
  }
});

describe.each(
  fixtureFiles('.stdout.txt')
    .filter(file => /logging/.test(file))
    .map(file => [label(file), file])
)('article-style prints %s', (_label, file) => {
  it('yield the step metrics', () => {
    const { documents } = parseAll(rawRecords(fs.readFileSync(file, 'utf8')));
    expect(findByKind(documents, 'step')).toEqual([
      expect.objectContaining({
        tflog: expect.objectContaining({
          step: 100,
          metrics: { loss: 0.41, lr: 0.0001 }
        })
      })
    ]);
  });
});
