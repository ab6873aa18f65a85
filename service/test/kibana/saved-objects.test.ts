/**
 * The Kibana saved objects in kibana/tflog-saved-objects.ndjson name only
 * fields that the index templates map, in a way the mappings allow, and
 * refer only to objects of the same file.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

import {
  checkSavedObjects,
  flattenMapping,
  FieldTable,
  kqlFields,
  parseNdjson,
  scriptFields,
  templateFields
} from './saved-objects';
import { LOGS_MAPPINGS } from '../../src/store/es-mappings';

const FILE = join(
  __dirname,
  '..',
  '..',
  '..',
  'kibana',
  'tflog-saved-objects.ndjson'
);
const TEXT = readFileSync(FILE, 'utf8');

/** The file with `from` replaced by `to` on the line of object `id`. */
function edited(id: string, from: string, to: string, all = false): string {
  let found = false;
  const lines = TEXT.split('\n').map(line => {
    if (line === '' || !line.includes(`"id":"${id}"`) || !line.includes(from)) {
      return line;
    }
    const parsed = JSON.parse(line) as { id?: string };
    if (parsed.id !== id) {
      return line;
    }
    found = true;
    return all ? line.split(from).join(to) : line.replace(from, to);
  });
  if (!found) {
    throw new Error(`object ${id} has no ${from}`);
  }
  return lines.join('\n');
}

describe('kibana/tflog-saved-objects.ndjson', () => {
  it('names only mapped fields and resolvable references (prefix tflog-)', () => {
    expect(checkSavedObjects(TEXT, 'tflog-')).toEqual([]);
  });

  it('fits another prefix once tflog- is replaced everywhere', () => {
    const renamed = TEXT.split('tflog-').join('team-a-');
    expect(checkSavedObjects(renamed, 'team-a-')).toEqual([]);
    // Unchanged, the data views match no template of that prefix.
    expect(checkSavedObjects(TEXT, 'team-a-')).toContainEqual(
      expect.stringContaining(
        'title tflog-logs-* is not the pattern of a template'
      )
    );
  });

  it('holds the data views, searches and dashboard panels documented', () => {
    const { objects, details } = parseNdjson(TEXT);
    const ids = objects.map(object => `${object.type}:${object.id}`).sort();
    expect(ids).toEqual([
      'dashboard:tflog-overview',
      'index-pattern:tflog-logs',
      'index-pattern:tflog-metrics',
      'index-pattern:tflog-runs',
      'lens:tflog-errors-per-run',
      'lens:tflog-errors-per-run-summaries',
      'lens:tflog-loss-over-epoch',
      'lens:tflog-nan-metric-points',
      'lens:tflog-nan-runs',
      'search:tflog-errors-search',
      'search:tflog-nan-runs-search',
      'search:tflog-nonfinite-points-search'
    ]);
    expect(details?.exportedCount).toBe(objects.length);
    const byId = new Map(objects.map(object => [object.id, object]));
    const timeFields = ['tflog-logs', 'tflog-metrics', 'tflog-runs'].map(id => [
      byId.get(id)?.attributes.title,
      byId.get(id)?.attributes.timeFieldName
    ]);
    expect(timeFields).toEqual([
      ['tflog-logs-*', '@timestamp'],
      ['tflog-metrics-*', '@timestamp'],
      ['tflog-runs', 'started']
    ]);

    // Loss over epoch: metric points of loss and val_loss, x = epoch, split by run.
    const loss = byId.get('tflog-loss-over-epoch');
    expect(loss?.references).toEqual([
      {
        id: 'tflog-metrics',
        name: 'indexpattern-datasource-layer-loss-layer',
        type: 'index-pattern'
      }
    ]);
    const lossState = JSON.stringify(loss?.attributes.state);
    expect(lossState).toContain('"xAccessor":"epoch"');
    expect(lossState).toContain('"splitAccessor":"run"');
    expect(lossState).toContain('"sourceField":"run_id"');
    expect(lossState).toContain('name: \\"val_loss\\"');

    const dashboard = byId.get('tflog-overview');
    expect(dashboard?.references.map(reference => reference.id)).toEqual([
      'tflog-loss-over-epoch',
      'tflog-errors-per-run',
      'tflog-errors-per-run-summaries',
      'tflog-nan-runs',
      'tflog-nan-metric-points',
      'tflog-errors-search'
    ]);
  });

  describe('fails on a field or reference that is wrong', () => {
    const cases: [string, string, string, string, string][] = [
      [
        'a misspelt time field',
        'tflog-runs',
        '"timeFieldName":"started"',
        '"timeFieldName":"startd"',
        'startd'
      ],
      [
        'a misspelt Lens field',
        'tflog-loss-over-epoch',
        '"sourceField":"value"',
        '"sourceField":"valu"',
        'valu'
      ],
      [
        'a misspelt field in a column filter',
        'tflog-loss-over-epoch',
        'name: \\"loss\\"',
        'nmae: \\"loss\\"',
        'nmae'
      ],
      [
        'a misspelt field in a Lens query',
        'tflog-nan-runs',
        '"query":"counts.nan > 0"',
        '"query":"counts.nans > 0"',
        'counts.nans'
      ],
      [
        'a misspelt saved search column',
        'tflog-errors-search',
        '"log.level","tflog.kind"',
        '"log.levle","tflog.kind"',
        'log.levle'
      ],
      [
        'a misspelt field in a saved search query',
        'tflog-nonfinite-points-search',
        'nonfinite: *',
        'non_finite: *',
        'non_finite'
      ],
      [
        'a misspelt last-value sort field',
        'tflog-nan-runs',
        '"sortField":"updated"',
        '"sortField":"update"',
        'update'
      ],
      [
        'a misspelt field read by a runtime field',
        'tflog-logs',
        'tflog.run_id !=',
        'tflog.runid !=',
        'tflog.runid'
      ]
    ];
    it.each(cases)('%s', (what, id, from, to, field) => {
      const problems = checkSavedObjects(edited(id, from, to), 'tflog-');
      expect(problems).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `field ${field.replace(/\./g, '\\.')} |reads ${field.replace(/\./g, '\\.')},`
          )
        )
      );
    });

    it('a terms column on a field without doc values', () => {
      const problems = checkSavedObjects(
        edited(
          'tflog-errors-per-run',
          '"sourceField":"run_id"',
          '"sourceField":"tflog.run_id"'
        ),
        'tflog-'
      );
      expect(problems).toEqual([
        'lens tflog-errors-per-run column run: field tflog.run_id has no doc values in tflog-logs'
      ]);
    });

    it('a sort on a text field', () => {
      const problems = checkSavedObjects(
        edited(
          'tflog-errors-search',
          '"sort":[["@timestamp","desc"],["event.sequence","desc"]]',
          '"sort":[["message","desc"]]'
        ),
        'tflog-'
      );
      expect(problems).toEqual([
        'search tflog-errors-search sort: field message has no doc values in tflog-logs'
      ]);
    });

    it('a comparison on a keyword', () => {
      const problems = checkSavedObjects(
        edited('tflog-nan-runs-search', 'counts.nan > 0', 'status > 0'),
        'tflog-'
      );
      expect(problems).toEqual([
        'search tflog-nan-runs-search query: field status (keyword) cannot be compared in tflog-runs'
      ]);
    });

    it('a data view id that is not in the file', () => {
      const problems = checkSavedObjects(
        edited(
          'tflog-loss-over-epoch',
          '"id":"tflog-metrics"',
          '"id":"tflog-metric"'
        ),
        'tflog-'
      );
      expect(problems).toContainEqual(
        'tflog-loss-over-epoch: reference indexpattern-datasource-layer-loss-layer to missing index-pattern tflog-metric'
      );
      expect(problems).toContainEqual(
        'tflog-loss-over-epoch: data view tflog-metric is not in the file'
      );
    });

    it('a dashboard panel without its visualization', () => {
      const problems = checkSavedObjects(
        edited(
          'tflog-overview',
          '"id":"tflog-nan-runs"',
          '"id":"tflog-nan-run"'
        ),
        'tflog-'
      );
      expect(problems).toEqual([
        'tflog-overview: reference nan-runs:panel_nan-runs to missing lens tflog-nan-run'
      ]);
    });

    it('a Lens visualization naming a missing column', () => {
      const problems = checkSavedObjects(
        edited(
          'tflog-loss-over-epoch',
          '"xAccessor":"epoch"',
          '"xAccessor":"epochs"'
        ),
        'tflog-'
      );
      expect(problems).toEqual([
        'lens tflog-loss-over-epoch: visualization names a missing column epochs'
      ]);
    });

    it('a wrong export count', () => {
      const text = TEXT.replace(/"exportedCount":\d+/, '"exportedCount":1');
      expect(checkSavedObjects(text, 'tflog-')).toContainEqual(
        expect.stringContaining('exportedCount 1 but')
      );
    });
  });
});

describe('the field table of a template', () => {
  const logs = new FieldTable('logs', flattenMapping(LOGS_MAPPINGS));

  it('reads doc values and indexing from the mapping', () => {
    expect(logs.lookup('log.level')).toEqual({
      type: 'keyword',
      searchable: true,
      aggregatable: false
    });
    expect(logs.lookup('event.sequence')).toEqual({
      type: 'long',
      searchable: true,
      aggregatable: true
    });
    // Unindexed numbers are still queried on their doc values.
    expect(logs.lookup('tflog.epoch')).toEqual({
      type: 'long',
      searchable: true,
      aggregatable: true
    });
    expect(logs.lookup('tflog.raw')).toEqual({
      type: 'text',
      searchable: false,
      aggregatable: false
    });
    expect(logs.lookup('tflog.nope')).toBeUndefined();
  });

  it('allows subpaths of flattened fields only', () => {
    expect(logs.lookup('labels.team')).toEqual({
      type: 'flattened',
      searchable: true,
      aggregatable: true
    });
    expect(logs.lookup('tflog.metrics.loss')).toEqual({
      type: 'flattened',
      searchable: false,
      aggregatable: false
    });
    expect(logs.lookup('log.level.keyword')).toBeUndefined();
  });

  it('lists multi-fields as subpaths', () => {
    const table = flattenMapping({
      properties: {
        title: { type: 'text', fields: { raw: { type: 'keyword' } } }
      }
    });
    expect(table.get('title.raw')).toEqual({
      type: 'keyword',
      searchable: true,
      aggregatable: true
    });
  });

  it('covers the three templates of a prefix by their patterns', () => {
    expect([...templateFields('p-').keys()]).toEqual([
      'p-logs-*',
      'p-metrics-*',
      'p-runs'
    ]);
  });
});

describe('KQL field names', () => {
  it('reads the forms the saved objects use', () => {
    expect(
      kqlFields('log.level: ("error" or "critical") or tflog.kind: "error"')
    ).toEqual([
      { name: 'log.level', operator: ':' },
      { name: 'tflog.kind', operator: ':' }
    ]);
    expect(
      kqlFields('name: ("loss" or "val_loss") and not scope: batch')
    ).toEqual([
      { name: 'name', operator: ':' },
      { name: 'scope', operator: ':' }
    ]);
    expect(
      kqlFields('(counts.nan > 0 or counts.errors >= 2) and nonfinite: *')
    ).toEqual([
      { name: 'counts.nan', operator: '>' },
      { name: 'counts.errors', operator: '>=' },
      { name: 'nonfinite', operator: ':' }
    ]);
    expect(kqlFields('')).toEqual([]);
  });

  it('throws on forms it does not read', () => {
    expect(() => kqlFields('loss')).toThrow('":" or a comparison expected');
    expect(() => kqlFields('name: loss and')).toThrow('a field name expected');
    expect(() => kqlFields('name: (loss or')).toThrow('a value expected');
  });
});

describe('fields read by runtime field scripts', () => {
  it('follows _source paths, aliases of them and doc values', () => {
    expect(
      scriptFields(
        'def tflog = params._source.tflog; if (tflog instanceof Map && tflog.run_id != null) { emit(tflog.run_id.toString()); }'
      )
    ).toEqual(['tflog.run_id']);
    expect(
      scriptFields(
        "emit(params._source.host.name.toString() + doc['user.name'].value)"
      )
    ).toEqual(['host.name', 'user.name']);
  });
});
