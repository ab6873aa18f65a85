import { notebookName, runFacts } from '../runContext';
import { summary } from './fakes';

describe('runFacts', () => {
  it('lists tags, then the hyperparameters people look for first, then the rest', () => {
    const facts = runFacts(
      summary({
        tags: { lr: '1e-3', arch: 'cnn' },
        hparams: {
          keras: 'keras 3.3.3',
          steps_per_epoch: 40,
          batch_size: 32,
          epochs: 10,
          optimizer: 'Adam',
          learning_rate: 0.0010000000474974513,
          shuffle: true,
          initial_epoch: null
        }
      })
    );
    expect(facts.map(fact => `${fact.kind} ${fact.key}=${fact.value}`)).toEqual(
      [
        'tag arch=cnn',
        'tag lr=1e-3',
        'hparam optimizer=Adam',
        'hparam learning_rate=0.001',
        'hparam batch_size=32',
        'hparam epochs=10',
        'hparam steps_per_epoch=40',
        'hparam keras=keras 3.3.3',
        'hparam shuffle=true'
      ]
    );
  });

  it('keeps only the first ones when asked for a few', () => {
    const facts = runFacts(
      summary({
        tags: { lr: '1e-3' },
        hparams: { optimizer: 'SGD', batch_size: 64, epochs: 3 }
      }),
      3
    );
    expect(facts.map(fact => fact.key)).toEqual([
      'lr',
      'optimizer',
      'batch_size'
    ]);
  });

  it('shortens long values', () => {
    const [fact] = runFacts(
      summary({ tags: {}, hparams: { model: 'x'.repeat(100) } })
    );
    expect(fact.value).toHaveLength(40);
    expect(fact.value.endsWith('…')).toBe(true);
    expect(fact.full).toBe('x'.repeat(100));
  });

  it('is empty for a run without tags or hyperparameters', () => {
    expect(runFacts(summary({ tags: {}, hparams: {} }))).toEqual([]);
  });
});

describe('notebookName', () => {
  it('is the file name of a notebook path', () => {
    expect(notebookName('work/exp/train.ipynb')).toBe('train.ipynb');
    expect(notebookName('train.ipynb')).toBe('train.ipynb');
    expect(notebookName(null)).toBeNull();
  });
});
