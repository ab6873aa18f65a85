import {
  ISectionsState,
  readSectionsState,
  TrainingPanel
} from '../views/panel';
import { newPanel } from './panelFixture';

/** The accordion's section titles, as JupyterLab draws them. */
function titles(panel: TrainingPanel): HTMLElement[] {
  return [
    ...panel.node.querySelectorAll<HTMLElement>('.lm-AccordionPanel-title')
  ];
}

describe('the panel’s sections', () => {
  it('are Run, Metrics, System and the two run lists, each folding on a click of its title', () => {
    const { model, panel } = newPanel();
    expect(titles(panel).map(title => title.textContent)).toEqual([
      'Run',
      'Metrics',
      'System',
      'This notebook',
      'All my notebooks'
    ]);
    const changes: ISectionsState[] = [];
    panel.sectionsChanged.connect((_, state) => changes.push(state));
    titles(panel)[1].click();
    expect(changes[changes.length - 1].collapsed).toEqual(['metrics']);
    expect(
      panel.node
        .querySelector<HTMLElement>('[data-section="metrics"]')
        ?.classList.contains('lm-mod-hidden')
    ).toBe(true);
    titles(panel)[1].click();
    expect(changes[changes.length - 1].collapsed).toEqual([]);
    panel.dispose();
    model.dispose();
  });

  it('fold as remembered', () => {
    const { model, panel } = newPanel();
    panel.restoreSections({
      collapsed: ['all-runs', 'run', 'unknown'],
      sizes: []
    });
    expect(panel.sectionsState.collapsed).toEqual(['run', 'all-runs']);
    expect(
      titles(panel).map(title => title.getAttribute('aria-expanded'))
    ).toEqual(['false', 'true', 'true', 'true', 'false']);
    panel.dispose();
    model.dispose();
  });

  it('read a saved state only when it has the right shape', () => {
    expect(
      readSectionsState({ collapsed: ['run', 3], sizes: [0.5, 'x'] })
    ).toEqual({
      collapsed: ['run'],
      sizes: [0.5]
    });
    expect(readSectionsState(undefined)).toBeNull();
    expect(readSectionsState([1, 2])).toBeNull();
    expect(readSectionsState({ collapsed: 'run', sizes: [] })).toBeNull();
  });
});
