import { parseValue, MetricBag, VALUE_SOURCE } from '../values';

/**
 * `key: value` and `key=value` lists: `loss: 0.3 acc: 0.9`,
 * `loss=0.3, acc=0.9`, `val_loss: 0.5 - val_acc: 0.7`.
 */
const PAIR = new RegExp(
  `\\s*([A-Za-z_][\\w./-]*)\\s*[:=]\\s*(${VALUE_SOURCE})(?![\\w.])%?\\s*(?:[,;|]|-(?=\\s))?`,
  'y'
);

export interface IKeyValueOptions {
  /** Every character must belong to a pair (else: pairs from the start, the rest ignored). */
  strict: boolean;
  lowerCaseNames: boolean;
}

/** The metrics of a pair list starting at the beginning of `text`; null when there are none. */
export function scanKeyValues(
  text: string,
  options: IKeyValueOptions
): MetricBag | null {
  const bag = new MetricBag();
  PAIR.lastIndex = 0;
  let position = 0;
  while (position < text.length && !bag.full) {
    PAIR.lastIndex = position;
    const match = PAIR.exec(text);
    if (!match || match[0].length === 0) {
      break;
    }
    position = PAIR.lastIndex;
    const value = parseValue(match[2]);
    if (value) {
      const name = options.lowerCaseNames ? match[1].toLowerCase() : match[1];
      bag.add(name, value);
    }
  }
  if (bag.size === 0) {
    return null;
  }
  if (options.strict && !bag.full && text.slice(position).trim().length > 0) {
    return null;
  }
  return bag;
}
