import { cssPixels, resolveThemeColours, vegaConfig } from '../theme';

const DARK: Record<string, string> = {
  '--jp-layout-color1': ' #111111',
  '--jp-ui-font-color1': '#eeeeee',
  '--jp-ui-font-color2': '#bbbbbb',
  '--jp-border-color1': '#555555',
  '--jp-border-color2': '#333333',
  '--jp-error-color1': '#ff5252',
  '--jp-brand-color1': '#64b5f6',
  '--jp-warn-color1': '#ffb74d',
  '--jp-ui-font-family': 'Inter, sans-serif',
  '--jp-ui-font-size0': '0.83333em',
  '--jp-ui-font-size1': '12px'
};

describe('cssPixels', () => {
  it('reads px, em and rem lengths', () => {
    expect(cssPixels('11px', 13)).toBe(11);
    expect(cssPixels('0.5em', 12)).toBe(6);
    expect(cssPixels('2rem', 10)).toBe(20);
    expect(cssPixels('large', 10)).toBeNaN();
  });
});

describe('resolveThemeColours', () => {
  it("takes the theme's variables", () => {
    const colours = resolveThemeColours(name => DARK[name] ?? '');
    expect(colours.background).toBe('#111111');
    expect(colours.text).toBe('#eeeeee');
    expect(colours.error).toBe('#ff5252');
    expect(colours.palette.slice(0, 2)).toEqual(['#64b5f6', '#ffb74d']);
    // size0 is relative to size1, as in JupyterLab's themes.
    expect(colours.fontSize).toBeCloseTo(10);
  });

  it('falls back where a variable is missing', () => {
    const colours = resolveThemeColours(() => '');
    expect(colours.background).toBe('transparent');
    expect(colours.palette.length).toBeGreaterThan(2);
    expect(colours.fontSize).toBe(11);
  });

  it('draws axes and legends in the theme colours', () => {
    const config = vegaConfig(resolveThemeColours(name => DARK[name] ?? ''));
    expect(config.background).toBe('#111111');
    expect(config.axis?.labelColor).toBe('#bbbbbb');
    expect(config.axis?.gridColor).toBe('#333333');
    expect(config.legend?.labelColor).toBe('#eeeeee');
  });
});
