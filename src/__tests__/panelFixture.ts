import { Widget } from '@lumino/widgets';

import { PanelModel } from '../model/panelModel';
import { DEFAULT_SETTINGS } from '../settings';
import { resolveThemeColours } from '../theme';
import { TrainingPanel } from '../views/panel';
import { FakeClient, FakeEventSource } from './fakes';

type PanelOptions = ConstructorParameters<typeof TrainingPanel>[0];

/** A Training panel over a fake service, attached to the document. */
export function newPanel(options: Partial<PanelOptions> = {}): {
  model: PanelModel;
  panel: TrainingPanel;
} {
  const model = new PanelModel({
    client: new FakeClient(),
    settings: { ...DEFAULT_SETTINGS },
    createEventSource: url => new FakeEventSource(url)
  });
  const panel = new TrainingPanel({
    model,
    colours: resolveThemeColours(() => ''),
    onSettingChange: () => undefined,
    renderer: 'svg',
    ...options
  });
  Widget.attach(panel, document.body);
  return { model, panel };
}
