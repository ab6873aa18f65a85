import { viewFromArgs } from '../plugins/compare';

describe('tflog:compare arguments', () => {
  it('takes the view a link or a caller gives', () => {
    expect(
      viewFromArgs({
        runIds: ['a'],
        metric: 'acc',
        axis: 'relative',
        smoothing: 0.6,
        logScale: true,
        legend: 'hparam:lr'
      })
    ).toEqual({
      metric: 'acc',
      axis: 'relative',
      smoothing: 0.6,
      logScale: true,
      legend: 'hparam:lr'
    });
  });

  it('leaves out what is not valid', () => {
    expect(
      viewFromArgs({
        metric: 3,
        axis: 'sideways',
        smoothing: '0.5',
        logScale: 'yes',
        legend: 'colour'
      })
    ).toEqual({});
  });
});
