import type { TranslationBundle } from '@jupyterlab/translation';

/** A bundle that marks every string it translates: «text». */
export function markingBundle(): TranslationBundle {
  const fill = (text: string, args: unknown[]): string =>
    text.replace(/%(\d+)/g, (_, index) => String(args[Number(index) - 1]));
  const gettext = (msgid: string, ...args: unknown[]) =>
    `«${fill(msgid, args)}»`;
  const ngettext = (
    msgid: string,
    plural: string,
    n: number,
    ...args: unknown[]
  ) => `«${fill(n === 1 ? msgid : plural, [n, ...args])}»`;
  return {
    __: gettext,
    _n: ngettext,
    _p: (_: string, msgid: string, ...args: unknown[]) =>
      gettext(msgid, ...args),
    _np: (_: string, msgid: string, plural: string, n: number, ...args) =>
      ngettext(msgid, plural, n, ...args),
    gettext,
    ngettext,
    pgettext: (_: string, msgid: string, ...args: unknown[]) =>
      gettext(msgid, ...args),
    npgettext: (_, msgid, plural, n, ...args) =>
      ngettext(msgid, plural, n, ...args),
    dcnpgettext: (_, __, msgid, plural, n, ...args) =>
      ngettext(msgid, plural, n, ...args)
  };
}
