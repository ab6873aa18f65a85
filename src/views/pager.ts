/**
 * Previous, where the pages stand, Next: the pager of the History view's
 * runs table and of the logs view.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { DisposableSet, IDisposable } from '@lumino/disposable';

import { h, listen, setText } from './dom';

/** Where the pages stand. */
export interface IPagerState {
  hasPrevious: boolean;
  hasNext: boolean;
  /** A page is being read: neither button turns another. */
  loading: boolean;
  /** The range shown, read out when it changes. */
  text: string;
}

export class Pager implements IDisposable {
  constructor(options: {
    trans: TranslationBundle;
    /** `span` where the pager sits in a toolbar's line. */
    tag: 'div' | 'span';
    buttonStyle: 'jp-mod-styled' | 'jp-mod-minimal';
    /** The classes of the node and its parts (the DOM contract). */
    classes: { node: string; previous: string; next: string; range: string };
    onPrevious: () => void;
    onNext: () => void;
  }) {
    const { trans, classes, buttonStyle } = options;
    const button = (className: string, label: string): HTMLButtonElement =>
      h(
        'button',
        { type: 'button', class: `jp-Button ${buttonStyle} ${className}` },
        [label]
      );
    this._previous = button(classes.previous, trans.__('Previous'));
    this._next = button(classes.next, trans.__('Next'));
    this._range = h('span', { class: classes.range, 'aria-live': 'polite' });
    this.node = h(options.tag, { class: classes.node }, [
      this._previous,
      this._range,
      this._next
    ]);
    this._listeners = DisposableSet.from([
      listen(this._previous, 'click', options.onPrevious),
      listen(this._next, 'click', options.onNext)
    ]);
  }

  readonly node: HTMLDivElement | HTMLSpanElement;

  get isDisposed(): boolean {
    return this._listeners.isDisposed;
  }

  update(state: IPagerState): void {
    this._previous.disabled = !state.hasPrevious || state.loading;
    this._next.disabled = !state.hasNext || state.loading;
    setText(this._range, state.text);
  }

  dispose(): void {
    this._listeners.dispose();
  }

  private readonly _previous: HTMLButtonElement;
  private readonly _next: HTMLButtonElement;
  private readonly _range: HTMLSpanElement;
  private readonly _listeners: DisposableSet;
}
