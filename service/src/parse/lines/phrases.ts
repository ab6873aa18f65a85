/**
 * Values named by a phrase, as TensorFlow's guides print them, read when the
 * scanner (../scan.ts) found no named number in the line:
 *
 *   Training loss (for one batch) at step 0: 0.9486   training_loss, step 0
 *   Training acc over epoch: 0.8900                   training_acc, scope epoch
 *   Accuracy on test set: 0.9876                      test_accuracy
 *   test loss, test acc: [0.0345, 0.9876]             test_loss, test_acc
 *
 * The name is the phrase's first words, named as the scanner names them
 * (`Training loss` → `training_loss`); what follows qualifies it: a note in
 * brackets is dropped, `at step N` is the step, `over epoch` makes it an
 * epoch's value, `on test set` names the split, so a test value never joins
 * the training curve of the same name.
 */
import { phraseName } from '../scan';
import { MetricBag, parseValue, VALUE_SOURCE } from '../values';
import { ILineEvent } from './event';

/**
 * `<one to three words> [(note)] <qualifier>: <value>`. Anchored, and each
 * optional part is taken at most once: no nested repetition.
 */
const QUALIFIED_VALUE = new RegExp(
  '^([A-Za-z][\\w/-]*(?: [A-Za-z][\\w/-]*)?(?: [A-Za-z][\\w/-]*)?)' +
    '(?: \\([^()]{0,60}\\))?' +
    '(?: (?:at|in|on) (step|batch|iteration|epoch) (\\d+)' +
    '| (?:over|for) (?:the |an? |each )?(epoch)' +
    '| (?:on|over) (?:the )?(test|validation|val|train|training|eval|evaluation|dev) (?:set|data|dataset|split))' +
    `\\s*:\\s*(${VALUE_SOURCE})\\.?$`,
  'i'
);

/** A name of one to four words, no quotes: one item of a names list. */
const LIST_NAME = /^[A-Za-z_][\w./-]*$/;
const LIST_VALUE = new RegExp(`^${VALUE_SOURCE}$`);

export function parsePhraseLine(body: string): ILineEvent | null {
  const colon = body.indexOf(':');
  if (colon < 0) {
    return null;
  }
  const last = body.charCodeAt(body.length - 1);
  if (last === 0x5d) {
    return parseNamesList(body, colon);
  }
  // Cheap test before the expression: the line ends with a value.
  if (!isDigitOrLetter(last)) {
    return null;
  }
  const match = QUALIFIED_VALUE.exec(body);
  if (!match) {
    return null;
  }
  const [, words, position, number, overEpoch, split, printed] = match;
  const nameWords = words.split(' ');
  if (split !== undefined) {
    nameWords.unshift(split);
  }
  const name = phraseName(nameWords);
  const value = parseValue(printed);
  if (name === null || value === null) {
    return null;
  }
  const metrics = new MetricBag();
  metrics.add(name, value);
  const event: ILineEvent = {
    message: body,
    kind: 'metrics',
    pattern: 'phrase-value',
    metrics,
    scope: 'log'
  };
  if (position !== undefined) {
    if (position.toLowerCase() === 'epoch') {
      event.epoch = Number(number);
      event.kind = 'epoch';
      event.scope = 'epoch';
    } else {
      event.step = Number(number);
      event.kind = 'step';
      event.scope = 'batch';
    }
  } else if (overEpoch !== undefined) {
    event.kind = 'epoch';
    event.scope = 'epoch';
  }
  return event;
}

/**
 * `test loss, test acc: [0.0345, 0.9876]`: `print("test loss, test acc:",
 * model.evaluate(...))` in the evaluate guide. As many names as values.
 */
function parseNamesList(body: string, colon: number): ILineEvent | null {
  const open = body.indexOf('[', colon);
  if (open < 0 || body.slice(colon + 1, open).trim() !== '') {
    return null;
  }
  const names = body.slice(0, colon).split(',');
  const values = body.slice(open + 1, -1).split(',');
  if (names.length < 2 || names.length !== values.length) {
    return null;
  }
  const metrics = new MetricBag();
  for (let index = 0; index < names.length; index++) {
    const words = names[index].trim().split(' ');
    const printed = values[index].trim();
    if (!words.every(word => LIST_NAME.test(word))) {
      return null;
    }
    const name = phraseName(words);
    const value = LIST_VALUE.test(printed) ? parseValue(printed) : null;
    if (name === null || value === null) {
      return null;
    }
    metrics.add(name, value);
  }
  return {
    message: body,
    kind: 'metrics',
    pattern: 'phrase-value',
    metrics,
    scope: 'log'
  };
}

function isDigitOrLetter(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x2e
  );
}
