import { epochText, defaultBundle } from '../views/text';

describe('epochText', () => {
  const trans = defaultBundle();

  it('says the last epoch, out of the epochs asked for when known', () => {
    expect(epochText(trans, { last_epoch: 3, hparams: { epochs: 10 } })).toBe(
      'epoch 3/10'
    );
    expect(epochText(trans, { last_epoch: 3, hparams: {} })).toBe('epoch 3');
    expect(epochText(trans, { last_epoch: 3, hparams: { epochs: 'x' } })).toBe(
      'epoch 3'
    );
  });

  it('says nothing before the first epoch', () => {
    expect(
      epochText(trans, { last_epoch: null, hparams: { epochs: 10 } })
    ).toBe(null);
  });
});
