import * as fs from 'fs';
import * as path from 'path';
import {
  ITemplateInput,
  maskedTokens,
  mineTemplates
} from '../../src/store/problem-templates';
import { createParser, createRunState } from '../../src/parse';
import { readSpool, REPO_ROOT } from '../parse/helpers';

function input(
  message: string,
  run = 'r1',
  time = '2026-12-01T10:00:00.000Z',
  level = 'error'
): ITemplateInput {
  return { message, level, run_id: run, time };
}

describe('maskedTokens', () => {
  it('masks numbers, ids, quoted values and paths with digits', () => {
    expect(
      maskedTokens(
        "Loss became NaN at step 3420 in 'run-7' file /data/part-0001.tfrecord id 5f2a9c0d11"
      )
    ).toEqual([
      'Loss',
      'became',
      'NaN',
      'at',
      'step',
      '<*>',
      'in',
      '<*>',
      'file',
      '<*>',
      'id',
      '<*>'
    ]);
  });
});

describe('mineTemplates', () => {
  it('groups messages that differ in their variable parts', () => {
    const templates = mineTemplates([
      input('Loss became NaN at step 3420', 'r1', '2026-12-01T10:00:00.000Z'),
      input('Loss became NaN at step 17', 'r2', '2026-12-02T10:00:00.000Z'),
      input('Gradient norm exceeded threshold: 15.3', 'r1'),
      input('Loss became NaN at step 5', 'r2', '2026-12-01T09:00:00.000Z')
    ]);
    expect(templates[0]).toEqual({
      template: 'Loss became NaN at step <*>',
      count: 3,
      levels: ['error'],
      first_seen: '2026-12-01T09:00:00.000Z',
      last_seen: '2026-12-02T10:00:00.000Z',
      runs: ['r1', 'r2'],
      run_count: 2,
      example: 'Loss became NaN at step 3420'
    });
    expect(templates[1].template).toBe('Gradient norm exceeded threshold: <*>');
  });

  it('merges words that differ into a wildcard when most words match', () => {
    const templates = mineTemplates([
      input('Could not load dynamic library libcudart for GPU', 'r1'),
      input('Could not load dynamic library libcublas for GPU', 'r1'),
      input('Could not open the file for reading today', 'r1')
    ]);
    expect(templates.map(t => [t.template, t.count])).toEqual([
      ['Could not load dynamic library <*> for GPU', 2],
      ['Could not open the file for reading today', 1]
    ]);
  });

  it('lists the most severe level first', () => {
    const [template] = mineTemplates([
      input('disk almost full', 'r1', 't1', 'warning'),
      input('disk almost full', 'r1', 't2', 'critical')
    ]);
    expect(template.levels).toEqual(['critical', 'warning']);
  });

  it('finds few templates in the warnings of recorded runs', () => {
    const dir = path.join(REPO_ROOT, 'tests/fixtures/kernel-output');
    const inputs: ITemplateInput[] = [];
    for (const file of fs
      .readdirSync(dir)
      .filter(f => f.endsWith('.spool.ndjson'))) {
      const parser = createParser();
      const state = createRunState(file);
      for (const record of readSpool(path.join(dir, file))) {
        for (const document of parser.parseRecord(record, state).documents) {
          if (/^(warn|warning|error|critical)$/i.test(document.log.level)) {
            inputs.push({
              message: document.message,
              level: document.log.level,
              run_id: file,
              time: document['@timestamp']
            });
          }
        }
      }
    }
    expect(inputs.length).toBeGreaterThan(5);
    const templates = mineTemplates(inputs);
    expect(templates.reduce((sum, t) => sum + t.count, 0)).toBe(inputs.length);
    // The same TensorFlow start-up warnings in every run: fewer templates than runs' lines.
    expect(templates.length).toBeLessThan(inputs.length);
    const repeated = templates.filter(t => t.run_count > 1);
    expect(repeated.length).toBeGreaterThan(0);
  });
});
