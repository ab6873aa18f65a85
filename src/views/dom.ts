/** A small element builder for the panel's plain-DOM views. */
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

export type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | undefined> = {},
  children: Child[] = []
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) {
      element.setAttribute(name, value);
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child);
    }
  }
  return element;
}

/** Set text only when it changed, so live regions announce real changes only. */
export function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) {
    element.textContent = text;
  }
}

/**
 * Listen to `type` on `target` until the returned disposable is disposed,
 * so a view removes every listener it added by disposing one set.
 */
export function listen<K extends keyof HTMLElementEventMap>(
  target: HTMLElement,
  type: K,
  listener: (event: HTMLElementEventMap[K]) => void
): IDisposable {
  target.addEventListener(type, listener);
  return new DisposableDelegate(() =>
    target.removeEventListener(type, listener)
  );
}
