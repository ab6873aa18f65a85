import { runMatchesFilters } from '../../src/store/run-filter';
import { runSummary } from '../api/helpers';

const RUN = runSummary('run-1', {
  name: 'resnet-cifar',
  notebook: 'vision/train.ipynb',
  hparams: { lr: 0.001, optimizer: 'adam', augment: true, note: null }
});

describe('runMatchesFilters', () => {
  it('matches a run with no filters', () => {
    expect(runMatchesFilters(RUN, {})).toBe(true);
  });

  it('matches user, notebooks, status and tags exactly', () => {
    expect(runMatchesFilters(RUN, { user: 'alice' })).toBe(true);
    expect(runMatchesFilters(RUN, { user: 'Alice' })).toBe(false);
    expect(
      runMatchesFilters(RUN, { notebooks: ['a.ipynb', 'vision/train.ipynb'] })
    ).toBe(true);
    expect(runMatchesFilters(RUN, { notebooks: [] })).toBe(false);
    expect(
      runMatchesFilters({ ...RUN, notebook: null }, { notebooks: ['x'] })
    ).toBe(false);
    expect(runMatchesFilters(RUN, { status: ['running', 'failed'] })).toBe(
      true
    );
    expect(runMatchesFilters(RUN, { status: ['finished'] })).toBe(false);
    expect(runMatchesFilters(RUN, { tags: { team: 'vision' } })).toBe(true);
    expect(runMatchesFilters(RUN, { tags: { team: 'Vision' } })).toBe(false);
    expect(runMatchesFilters(RUN, { tags: { toString: 'x' } })).toBe(false);
  });

  it('matches a number however written, other values by their text', () => {
    expect(runMatchesFilters(RUN, { hparams: { lr: '1e-3' } })).toBe(true);
    expect(runMatchesFilters(RUN, { hparams: { lr: '0.0010' } })).toBe(true);
    expect(runMatchesFilters(RUN, { hparams: { lr: '0.01' } })).toBe(false);
    expect(runMatchesFilters(RUN, { hparams: { optimizer: 'adam' } })).toBe(
      true
    );
    expect(runMatchesFilters(RUN, { hparams: { augment: 'true' } })).toBe(true);
    expect(runMatchesFilters(RUN, { hparams: { note: 'null' } })).toBe(false);
    expect(runMatchesFilters(RUN, { hparams: { epochs: '10' } })).toBe(false);
  });

  it('matches free text in any case, and the start from included to excluded', () => {
    expect(runMatchesFilters(RUN, { text: 'CIFAR' })).toBe(true);
    expect(runMatchesFilters(RUN, { text: 'team=vis' })).toBe(true);
    expect(runMatchesFilters(RUN, { text: 'mnist' })).toBe(false);
    expect(runMatchesFilters(RUN, { from: RUN.started })).toBe(true);
    expect(runMatchesFilters(RUN, { to: RUN.started })).toBe(false);
    expect(runMatchesFilters(RUN, { to: '2026-01-31T10:00:00.001Z' })).toBe(
      true
    );
    expect(
      runMatchesFilters({ ...RUN, started: 'unknown' }, { from: RUN.started })
    ).toBe(false);
  });
});
