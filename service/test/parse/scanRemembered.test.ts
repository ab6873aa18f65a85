/**
 * scanLineRemembered: scanLine, with messages found to hold nothing read
 * only once. It must answer exactly as scanLine does, for every text, the
 * second time as the first.
 */
import * as fs from 'fs';
import { scanLine, scanLineRemembered } from '../../src/parse/scan';
import { renderLine } from '../../src/parse/terminal';
import { fixtureFiles } from './helpers';

/** Every visible line of the fixtures, as the parser sees it, and odd ones. */
function messages(): string[] {
  const lines = fixtureFiles('.txt').flatMap(file =>
    fs
      .readFileSync(file, 'utf8')
      .split(/[\r\n]/)
      .map(line => renderLine(line))
  );
  return [
    ...lines,
    'Created device /job:localhost/replica:0/task:0/device:GPU:0 with 22000 MB memory:  -> device: 0, name: NVIDIA A10G, pci bus id: 0000:00:1e.0, compute capability: 8.6',
    'Loaded 1000 images in 3.2 s',
    'Loaded 1000 images in 3.2 s, loss=0.5',
    'step 1.5 done',
    'step 15 done',
    'at 12:00:03 loss 5',
    'epoch 3 took 5 s',
    '',
    'x'.repeat(5000)
  ];
}

describe('scanLineRemembered', () => {
  it('answers as scanLine for every message, asked once and again', () => {
    const texts = messages();
    expect(
      texts.filter(text => scanLine(text) === null).length
    ).toBeGreaterThan(10);
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        expect(scanLineRemembered(text)).toEqual(scanLine(text));
      }
    }
  });

  it('remembers the text itself, not its shape: texts that differ only in digits are read apart', () => {
    // A tqdm time has two-digit minutes: `00:2` is not one, `00:02` is.
    const notABar = '40/100 [00:2<00:03, 17.1it/s]';
    const bar = '40/100 [00:02<00:03, 17.1it/s]';
    expect(scanLineRemembered(notABar)).toBeNull();
    expect(scanLineRemembered(notABar)).toBeNull();
    expect(scanLineRemembered(bar)).toMatchObject({
      tqdm: true,
      step: 40,
      steps_total: 100
    });
  });

  it('stays exact once it has forgotten: more texts than it keeps', () => {
    const texts = Array.from(
      { length: 3000 },
      (_, index) => `note number ${index} of many`
    );
    for (let round = 0; round < 2; round++) {
      for (const text of texts) {
        expect(scanLineRemembered(text)).toEqual(scanLine(text));
      }
    }
    expect(scanLineRemembered('step 7 loss=0.5')).toMatchObject({
      step: 7,
      pairs: [{ name: 'loss', value: { finite: true, value: 0.5 } }]
    });
  });

  it('stays exact for many texts of one length, some holding numbers', () => {
    // Remembered by length: equal lengths must still be told apart.
    const prose = ['alpha', 'bravo', 'delta', 'gamma', 'kappa', 'omega'].map(
      word => `checkpoint ${word} written`
    );
    const numbers = ['loss=0.1', 'loss=0.2'].map(
      pair => `checkpoint ${pair} writ`
    );
    expect(new Set([...prose, ...numbers].map(text => text.length)).size).toBe(
      1
    );
    for (let round = 0; round < 3; round++) {
      for (const text of [...prose, ...numbers]) {
        expect(scanLineRemembered(text)).toEqual(scanLine(text));
      }
    }
    expect(scanLineRemembered(numbers[1])?.pairs).toEqual([
      { name: 'checkpoint_loss', value: { finite: true, value: 0.2 } }
    ]);
  });
});
