/**
 * Events from the named-number scanner (../scan.ts), and its pairs merged
 * into the events of the specific patterns.
 *
 * Position fields are set as for Keras progress bars: a step counted within
 * its epoch (`Epoch 2 - Step 40/100`, a tqdm bar under `Epoch 2`) becomes
 * the global step `(epoch - 1) × 100 + 40`, with `steps_total = epochs × 100`
 * when the number of epochs is printed too (`2 × 100 + 40` in a run that
 * counts its epochs from 0).
 */
import { IScanResult, scanLine } from '../scan';
import { globalStep, ILineEvent, IRunPositions } from './event';

type Positions = Pick<
  ILineEvent,
  'epoch' | 'epochs_total' | 'step' | 'steps_total'
>;

/** The scan's positions, set on `positions` (returned). */
function addPositions<T extends Positions>(
  positions: T,
  scan: IScanResult,
  run: IRunPositions
): T {
  if (scan.epoch !== undefined) {
    positions.epoch = scan.epoch;
    if (scan.epochs_total !== undefined) {
      positions.epochs_total = scan.epochs_total;
    }
    if (scan.epoch === 0) {
      run.epochs_from_zero = true;
    }
  }
  if (scan.step !== undefined) {
    if (
      scan.epoch !== undefined &&
      scan.stepInEpoch &&
      scan.steps_total !== undefined
    ) {
      positions.step = globalStep(run, scan.epoch, scan.steps_total, scan.step);
      if (scan.epochs_total !== undefined) {
        positions.steps_total = scan.epochs_total * scan.steps_total;
      }
    } else {
      positions.step = scan.step;
      if (scan.steps_total !== undefined) {
        positions.steps_total = scan.steps_total;
      }
    }
  }
  return positions;
}

/** A line read by the scanner alone: it needs a named number, or to be a tqdm bar. */
export function namedNumbersEvent(
  body: string,
  scan: IScanResult | null,
  run: IRunPositions
): ILineEvent | null {
  // A tqdm bar without values is still a bar redrawn in place.
  if (scan === null || (scan.metrics.size === 0 && !scan.tqdm)) {
    return null;
  }
  // Positions set on the event, not spread into it: this runs per line.
  const event = addPositions<ILineEvent>(
    { message: body, metrics: scan.metrics, scope: 'log' },
    scan,
    run
  );
  if (scan.tqdm) {
    event.kind = 'progress';
    event.pattern = 'tqdm';
    event.scope = 'batch';
  } else if (event.step !== undefined) {
    event.kind = 'step';
    event.pattern = scan.object ? 'object-line' : 'step-metrics';
    event.scope = 'batch';
  } else if (event.epoch !== undefined) {
    event.kind = 'epoch';
    event.pattern = scan.object ? 'object-line' : 'epoch-metrics';
    event.scope = 'epoch';
  } else {
    event.kind = 'metrics';
    event.pattern = scan.object ? 'object-line' : 'key-value';
  }
  return event;
}

/**
 * A specific pattern's event plus the scanner's other named numbers: the
 * pattern's values win for a name (compared case-insensitively), and its
 * positions win; positions it lacks are taken from the scan.
 */
export function mergeScan(
  event: ILineEvent,
  scan: IScanResult | null,
  run: IRunPositions
): ILineEvent {
  if (scan === null) {
    return event;
  }
  const taken = new Set(event.metrics.names().map(name => name.toLowerCase()));
  for (const { name, value } of scan.pairs) {
    if (!taken.has(name) && !event.metrics.add(name, value)) {
      break;
    }
  }
  const positions = addPositions<Positions>({}, scan, run);
  if (event.epoch === undefined && positions.epoch !== undefined) {
    event.epoch = positions.epoch;
    if (positions.epochs_total !== undefined) {
      event.epochs_total = positions.epochs_total;
    }
  }
  if (event.step === undefined && positions.step !== undefined) {
    event.step = positions.step;
    if (positions.steps_total !== undefined) {
      event.steps_total = positions.steps_total;
    }
  }
  return event;
}

/**
 * A Keras bar whose every `:` is one the Keras rule read (one per metric,
 * one for `ETA:`) and that has no `=`: the scanner, which needs a `:` or
 * `=` for every pair (Keras bars print no position words), would find
 * nothing more. Spares the scan on the commonest lines.
 */
export function readAllBindings(body: string, event: ILineEvent): boolean {
  // Keras 2 draws its bar with `=`.
  const from = event.pattern === 'keras2-progbar' ? body.indexOf(']') + 1 : 0;
  if (body.indexOf('=', from) >= 0) {
    return false;
  }
  let colons = 0;
  for (let at = body.indexOf(':'); at >= 0; at = body.indexOf(':', at + 1)) {
    colons += 1;
  }
  const eta = body.indexOf('ETA:') >= 0 ? 1 : 0;
  return colons === event.metrics.size + eta;
}

export { scanLine };
