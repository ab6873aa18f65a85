/**
 * Chart colours from the JupyterLab theme: the `--jp-*` variables are read
 * from the page's computed style, so charts follow light, dark and custom
 * themes, and are read again when the theme changes.
 */
import type { Config } from 'vega-lite';

export interface IThemeColours {
  background: string;
  text: string;
  mutedText: string;
  grid: string;
  domain: string;
  /** Not-finite values (NaN, infinities), error markers. */
  error: string;
  /** Warning markers. */
  warning: string;
  /** One colour per chart, cycled. */
  palette: string[];
  font: string;
  fontSize: number;
}

/** Used when a variable is missing (e.g. outside JupyterLab). */
const FALLBACK: IThemeColours = {
  background: 'transparent',
  text: '#000000',
  mutedText: '#616161',
  grid: '#e0e0e0',
  domain: '#bdbdbd',
  error: '#d32f2f',
  warning: '#f57c00',
  palette: ['#1976d2', '#f57c00', '#388e3c', '#7b1fa2', '#0097a7'],
  font: 'sans-serif',
  fontSize: 11
};

const PALETTE_VARIABLES = [
  '--jp-brand-color1',
  '--jp-warn-color1',
  '--jp-success-color1',
  '--jp-accent-color1',
  '--jp-info-color1'
];

/**
 * The theme's colours, given a reader of CSS custom properties (a pure
 * function: tests pass a map).
 */
export function resolveThemeColours(
  read: (variable: string) => string
): IThemeColours {
  const value = (variable: string, fallback: string): string => {
    const found = read(variable).trim();
    return found === '' ? fallback : found;
  };
  const palette = PALETTE_VARIABLES.map((variable, index) =>
    value(variable, FALLBACK.palette[index])
  );
  // JupyterLab gives size1 in px and size0 relative to it (0.83333em).
  const baseSize = cssPixels(value('--jp-ui-font-size1', ''), 13);
  const fontSize = cssPixels(value('--jp-ui-font-size0', ''), baseSize);
  return {
    background: value('--jp-layout-color1', FALLBACK.background),
    text: value('--jp-ui-font-color1', FALLBACK.text),
    mutedText: value('--jp-ui-font-color2', FALLBACK.mutedText),
    grid: value('--jp-border-color2', FALLBACK.grid),
    domain: value('--jp-border-color1', FALLBACK.domain),
    error: value('--jp-error-color1', FALLBACK.error),
    warning: value('--jp-warn-color1', FALLBACK.warning),
    palette: [...new Set(palette)],
    font: value('--jp-ui-font-family', FALLBACK.font),
    fontSize: Number.isFinite(fontSize) ? fontSize : FALLBACK.fontSize
  };
}

/** A CSS length in px (`11px`, `0.8em`, `0.8rem`, `11`), or NaN. */
export function cssPixels(length: string, emPixels: number): number {
  const match = /^(-?[\d.]+)(px|em|rem)?$/.exec(length.trim());
  if (!match) {
    return NaN;
  }
  const number = parseFloat(match[1]);
  return match[2] === 'em' || match[2] === 'rem' ? number * emPixels : number;
}

/** The colours of the theme applied to `element` (the page body by default). */
export function readThemeColours(
  element: Element = document.body
): IThemeColours {
  const style = getComputedStyle(element);
  return resolveThemeColours(variable => style.getPropertyValue(variable));
}

/** Vega-Lite configuration drawing a chart in the theme's colours. */
export function vegaConfig(colours: IThemeColours): Config {
  const axis = {
    domainColor: colours.domain,
    gridColor: colours.grid,
    tickColor: colours.domain,
    labelColor: colours.mutedText,
    titleColor: colours.text,
    labelFont: colours.font,
    titleFont: colours.font,
    labelFontSize: colours.fontSize,
    titleFontSize: colours.fontSize,
    titleFontWeight: 'normal' as const
  };
  return {
    background: colours.background,
    font: colours.font,
    view: { stroke: 'transparent' },
    // No ARIA description per mark item: each item's x and y were formatted
    // at every draw (a tenth of a comparison's drawing), for a canvas that
    // shows none of it; the charts' figures carry their own label and readout.
    mark: { aria: false },
    axis,
    legend: {
      labelColor: colours.text,
      titleColor: colours.text,
      labelFont: colours.font,
      labelFontSize: colours.fontSize,
      symbolStrokeColor: colours.text
    },
    title: { color: colours.text, font: colours.font }
  };
}
