/**
 * Checks kibana/tflog-saved-objects.ndjson against the index templates of
 * es-mappings: every field a saved object names must be mapped in the
 * indices its data view covers, usable the way the object uses it (Lens
 * aggregates and sorts need doc values, queries need an index or doc
 * values), and every reference must resolve within the file. Pure: no
 * Kibana, no Elasticsearch.
 */
import type { estypes } from '@elastic/elasticsearch';
import { indexTemplates } from '../../src/store/es-mappings';

/** What a field can be used for, from its mapping. */
export interface IFieldInfo {
  type: string;
  /** Queries work on it (an index, or doc values for most types). */
  searchable: boolean;
  /** Aggregations and sorts work on it (doc values). */
  aggregatable: boolean;
}

type JsonObject = { [key: string]: unknown };

export interface ISavedObject {
  id: string;
  type: string;
  attributes: JsonObject;
  references: { id: string; name: string; type: string }[];
}

/** Types whose fields can be queried on doc values alone (no index). */
const DOC_VALUE_QUERYABLE = new Set([
  'keyword',
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'date',
  'date_nanos',
  'boolean',
  'ip'
]);
const NUMERIC_OR_DATE = new Set([
  'long',
  'integer',
  'short',
  'byte',
  'double',
  'float',
  'half_float',
  'scaled_float',
  'date',
  'date_nanos'
]);
/** Lens's stand-in field of a count of documents. */
const RECORDS_FIELD = '___records___';

function fieldInfo(property: estypes.MappingProperty): IFieldInfo {
  const type = property.type ?? 'object';
  const settings = property as { index?: boolean; doc_values?: boolean };
  const indexed = settings.index !== false;
  const docValues = type !== 'text' && settings.doc_values !== false;
  return {
    type,
    searchable: indexed || (docValues && DOC_VALUE_QUERYABLE.has(type)),
    aggregatable: docValues
  };
}

/** The mapped fields of a template as dotted paths, multi-fields included. */
export function flattenMapping(
  mapping: estypes.MappingTypeMapping
): Map<string, IFieldInfo> {
  const fields = new Map<string, IFieldInfo>();
  const walk = (
    properties: Record<string, estypes.MappingProperty>,
    prefix: string
  ): void => {
    for (const [name, property] of Object.entries(properties)) {
      const path = prefix + name;
      const nested = (property as estypes.MappingObjectProperty).properties;
      if (nested !== undefined) {
        walk(nested, `${path}.`);
        continue;
      }
      fields.set(path, fieldInfo(property));
      const multi = (
        property as { fields?: Record<string, estypes.MappingProperty> }
      ).fields;
      for (const [sub, subProperty] of Object.entries(multi ?? {})) {
        fields.set(`${path}.${sub}`, fieldInfo(subProperty));
      }
    }
  };
  walk(mapping.properties ?? {}, '');
  return fields;
}

/** The fields a data view sees: its indices' mappings plus its runtime fields. */
export class FieldTable {
  constructor(
    readonly label: string,
    private readonly mapped: Map<string, IFieldInfo>,
    private readonly runtime: Map<string, IFieldInfo> = new Map()
  ) {}

  withRuntime(runtime: Map<string, IFieldInfo>): FieldTable {
    return new FieldTable(this.label, this.mapped, runtime);
  }

  /** A field by name; a subpath of a `flattened` field is one of its keys. */
  lookup(name: string): IFieldInfo | undefined {
    const found = this.runtime.get(name) ?? this.mapped.get(name);
    if (found !== undefined) {
      return found;
    }
    const parts = name.split('.');
    for (let end = parts.length - 1; end > 0; end--) {
      const parent = this.mapped.get(parts.slice(0, end).join('.'));
      if (parent !== undefined) {
        return parent.type === 'flattened' ? parent : undefined;
      }
    }
    return undefined;
  }

  /** A field mapped in the indices themselves (what `_source` scripts read). */
  lookupMapped(name: string): IFieldInfo | undefined {
    return new FieldTable(this.label, this.mapped).lookup(name);
  }
}

/** One field table per template, keyed by its index pattern. */
export function templateFields(prefix: string): Map<string, FieldTable> {
  const tables = new Map<string, FieldTable>();
  for (const [name, body] of Object.entries(indexTemplates(prefix, {}))) {
    const mappings = body.template?.mappings;
    if (mappings === undefined) {
      throw new Error(`template ${name} has no mappings`);
    }
    const patterns: string[] = [body.index_patterns ?? []].flat();
    for (const pattern of patterns) {
      tables.set(pattern, new FieldTable(name, flattenMapping(mappings)));
    }
  }
  return tables;
}

// ---------------------------------------------------------------- KQL

interface IKqlField {
  name: string;
  /** `>`, `>=`, `<`, `<=` compare; `:` matches (or tests existence with `*`). */
  operator: string;
}

/**
 * The fields of a KQL query, for the forms the saved objects use:
 * `field: value`, `field: "quoted"`, `field: (a or b)`, `field: *`,
 * `field > n` (and `>=`, `<`, `<=`), `and`, `or`, `not`, parentheses.
 * Anything else throws, so a new form is noticed rather than skipped.
 */
export function kqlFields(query: string): IKqlField[] {
  const tokens =
    query.match(/"(?:[^"\\]|\\.)*"|<=|>=|[():<>]|[^\s():<>"]+/g) ?? [];
  const rest = query.replace(
    /"(?:[^"\\]|\\.)*"|<=|>=|[():<>]|[^\s():<>"]+/g,
    ''
  );
  if (rest.trim() !== '') {
    throw new Error(`KQL "${query}": cannot read "${rest.trim()}"`);
  }
  const fields: IKqlField[] = [];
  let at = 0;
  const peek = (): string | undefined => tokens[at];
  const isWord = (token: string | undefined, word: string): boolean =>
    token !== undefined && token.toLowerCase() === word;
  const fail = (why: string): never => {
    throw new Error(
      `KQL "${query}": ${why} at token ${at} (${peek() ?? 'end'})`
    );
  };
  const value = (): void => {
    const token = peek();
    if (token === undefined || /^[():<>]|^<=|^>=/.test(token)) {
      fail('a value expected');
    }
    at++;
  };
  const valueList = (): void => {
    value();
    while (isWord(peek(), 'or') || isWord(peek(), 'and')) {
      at++;
      value();
    }
  };
  const primary = (): void => {
    if (peek() === '(') {
      at++;
      expression();
      if (peek() !== ')') {
        fail('")" expected');
      }
      at++;
      return;
    }
    const name = peek();
    if (name === undefined || !/^[@A-Za-z_][\w.@-]*$/.test(name)) {
      return fail('a field name expected');
    }
    at++;
    const operator = peek();
    if (operator === ':') {
      at++;
      if (peek() === '(') {
        at++;
        valueList();
        if (peek() !== ')') {
          fail('")" expected after the values');
        }
        at++;
      } else {
        value();
      }
    } else if (
      operator !== undefined &&
      ['<', '>', '<=', '>='].includes(operator)
    ) {
      at++;
      value();
    } else {
      fail('":" or a comparison expected');
    }
    fields.push({ name, operator: operator ?? '' });
  };
  const negation = (): void => {
    if (isWord(peek(), 'not')) {
      at++;
      negation();
    } else {
      primary();
    }
  };
  const conjunction = (): void => {
    negation();
    while (isWord(peek(), 'and')) {
      at++;
      negation();
    }
  };
  const expression = (): void => {
    conjunction();
    while (isWord(peek(), 'or')) {
      at++;
      conjunction();
    }
  };
  if (tokens.length > 0) {
    expression();
    if (at !== tokens.length) {
      fail('end of query expected');
    }
  }
  return fields;
}

// ---------------------------------------------------------------- checks

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectAt(value: unknown, where: string): JsonObject {
  if (!isObject(value)) {
    throw new Error(`${where}: an object expected`);
  }
  return value;
}

function stringAt(value: unknown, where: string): string {
  if (typeof value !== 'string') {
    throw new Error(`${where}: a string expected`);
  }
  return value;
}

/** A JSON document stored as a string attribute (fields, panelsJSON...). */
function jsonAttribute(object: ISavedObject, key: string): unknown {
  return JSON.parse(stringAt(object.attributes[key], `${object.id} ${key}`));
}

/** The lines of the file: saved objects, then the export details line. */
export function parseNdjson(text: string): {
  objects: ISavedObject[];
  details: JsonObject | undefined;
} {
  const objects: ISavedObject[] = [];
  let details: JsonObject | undefined;
  const lines = text.split('\n').filter(line => line.trim() !== '');
  lines.forEach((line, index) => {
    const parsed = objectAt(JSON.parse(line), `line ${index + 1}`);
    if ('exportedCount' in parsed) {
      if (index !== lines.length - 1) {
        throw new Error('the export details must be the last line');
      }
      details = parsed;
      return;
    }
    const references = Array.isArray(parsed.references)
      ? parsed.references
      : [];
    objects.push({
      id: stringAt(parsed.id, `line ${index + 1} id`),
      type: stringAt(parsed.type, `line ${index + 1} type`),
      attributes: objectAt(parsed.attributes, `line ${index + 1} attributes`),
      references: references.map((reference, position) => {
        const where = `line ${index + 1} reference ${position}`;
        const item = objectAt(reference, where);
        return {
          id: stringAt(item.id, `${where} id`),
          name: stringAt(item.name, `${where} name`),
          type: stringAt(item.type, `${where} type`)
        };
      })
    });
  });
  return { objects, details };
}

/** Fields a runtime field's Painless script reads from `_source` or `doc`. */
export function scriptFields(source: string): string[] {
  const fields: string[] = [];
  const aliases = new Map<string, string>();
  const pathOf = (dotted: string, followedBy: string): string => {
    const parts = dotted.split('.').filter(part => part !== '');
    // A trailing method call (`.toString()`) is not a field.
    return (followedBy === '(' ? parts.slice(0, -1) : parts).join('.');
  };
  for (const match of source.matchAll(
    /def (\w+) = params\._source((?:\.\w+)+);/g
  )) {
    aliases.set(match[1], pathOf(match[2], ''));
  }
  for (const match of source.matchAll(/params\._source((?:\.\w+)+)(\(?)/g)) {
    const path = pathOf(match[1], match[2]);
    if (![...aliases.values()].includes(path)) {
      fields.push(path);
    }
  }
  for (const [alias, base] of aliases) {
    const uses = source.matchAll(
      new RegExp(`\\b${alias}((?:\\.\\w+)+)(\\(?)`, 'g')
    );
    for (const match of uses) {
      const path = pathOf(match[1], match[2]);
      fields.push(path === '' ? base : `${base}.${path}`);
    }
  }
  for (const match of source.matchAll(/doc\['([^']+)'\]/g)) {
    fields.push(match[1]);
  }
  return [...new Set(fields)];
}

const RUNTIME_TYPES: Record<string, string> = {
  keyword: 'keyword',
  long: 'long',
  double: 'double',
  date: 'date',
  boolean: 'boolean',
  ip: 'ip'
};

/**
 * Problems found in the saved objects for indices of `prefix`; empty when
 * every field and reference checks out.
 */
export function checkSavedObjects(text: string, prefix: string): string[] {
  const problems: string[] = [];
  const { objects, details } = parseNdjson(text);
  const templates = templateFields(prefix);
  const byKey = new Map(
    objects.map(object => [`${object.type}:${object.id}`, object])
  );
  const dataViews = new Map<string, FieldTable>();

  if (details === undefined) {
    problems.push('no export details line');
  } else if (details.exportedCount !== objects.length) {
    problems.push(
      `exportedCount ${String(details.exportedCount)} but ${objects.length} objects`
    );
  }
  if (byKey.size !== objects.length) {
    problems.push('two objects share a type and id');
  }
  for (const object of objects) {
    for (const reference of object.references) {
      if (!byKey.has(`${reference.type}:${reference.id}`)) {
        problems.push(
          `${object.id}: reference ${reference.name} to missing ${reference.type} ${reference.id}`
        );
      }
    }
  }

  const need = (
    table: FieldTable,
    field: string,
    use: 'exists' | 'searchable' | 'aggregatable' | 'comparable' | 'date',
    where: string
  ): void => {
    const info = table.lookup(field);
    if (info === undefined) {
      problems.push(`${where}: field ${field} is not mapped in ${table.label}`);
    } else if (use === 'searchable' && !info.searchable) {
      problems.push(
        `${where}: field ${field} cannot be queried in ${table.label}`
      );
    } else if (use === 'aggregatable' && !info.aggregatable) {
      problems.push(
        `${where}: field ${field} has no doc values in ${table.label}`
      );
    } else if (
      use === 'comparable' &&
      !(info.searchable && NUMERIC_OR_DATE.has(info.type))
    ) {
      problems.push(
        `${where}: field ${field} (${info.type}) cannot be compared in ${table.label}`
      );
    } else if (use === 'date' && !info.type.startsWith('date')) {
      problems.push(
        `${where}: field ${field} is ${info.type}, not a date, in ${table.label}`
      );
    }
  };
  const checkQuery = (
    table: FieldTable,
    query: unknown,
    where: string
  ): void => {
    if (query === undefined) {
      return;
    }
    const item = objectAt(query, where);
    if (item.language !== 'kuery') {
      problems.push(
        `${where}: query language ${String(item.language)}, not kuery`
      );
      return;
    }
    for (const field of kqlFields(stringAt(item.query, where))) {
      need(
        table,
        field.name,
        field.operator === ':' ? 'searchable' : 'comparable',
        where
      );
    }
  };
  const referencedView = (
    object: ISavedObject,
    name: string
  ): FieldTable | undefined => {
    const reference = object.references.find(item => item.name === name);
    if (reference === undefined || reference.type !== 'index-pattern') {
      problems.push(`${object.id}: no data view reference named ${name}`);
      return undefined;
    }
    const table = dataViews.get(reference.id);
    if (table === undefined) {
      problems.push(
        `${object.id}: data view ${reference.id} is not in the file`
      );
    }
    return table;
  };

  // Data views first: the other objects are checked against them.
  for (const object of objects.filter(item => item.type === 'index-pattern')) {
    const where = `data view ${object.id}`;
    const title = stringAt(object.attributes.title, `${where} title`);
    const table = templates.get(title);
    if (table === undefined) {
      problems.push(
        `${where}: title ${title} is not the pattern of a template (${[...templates.keys()].join(', ')})`
      );
      continue;
    }
    const runtime = new Map<string, IFieldInfo>();
    const runtimeMap = objectAt(
      jsonAttribute(object, 'runtimeFieldMap'),
      `${where} runtimeFieldMap`
    );
    for (const [name, value] of Object.entries(runtimeMap)) {
      const field = objectAt(value, `${where} runtime field ${name}`);
      const type =
        RUNTIME_TYPES[
          stringAt(field.type, `${where} runtime field ${name} type`)
        ];
      if (type === undefined) {
        problems.push(
          `${where}: runtime field ${name} has an unknown type ${String(field.type)}`
        );
      }
      const script = objectAt(
        field.script,
        `${where} runtime field ${name} script`
      );
      const read = scriptFields(
        stringAt(script.source, `${where} runtime field ${name} source`)
      );
      if (read.length === 0) {
        problems.push(
          `${where}: runtime field ${name} reads no field that can be checked`
        );
      }
      for (const source of read) {
        if (table.lookupMapped(source) === undefined) {
          problems.push(
            `${where}: runtime field ${name} reads ${source}, not mapped in ${table.label}`
          );
        }
      }
      runtime.set(name, {
        type: type ?? 'keyword',
        searchable: true,
        aggregatable: true
      });
    }
    const view = table.withRuntime(runtime);
    dataViews.set(object.id, view);
    need(
      view,
      stringAt(object.attributes.timeFieldName, `${where} timeFieldName`),
      'date',
      `${where} timeFieldName`
    );
    const listed = jsonAttribute(object, 'fields');
    for (const field of Array.isArray(listed) ? listed : []) {
      need(
        view,
        stringAt(objectAt(field, where).name, `${where} fields`),
        'exists',
        `${where} fields`
      );
    }
    for (const key of ['fieldAttrs', 'fieldFormatMap']) {
      for (const field of Object.keys(
        objectAt(jsonAttribute(object, key), `${where} ${key}`)
      )) {
        need(view, field, 'exists', `${where} ${key}`);
      }
    }
  }

  for (const object of objects) {
    if (object.type === 'search') {
      checkSearch(object);
    } else if (object.type === 'lens') {
      checkLens(object);
    } else if (object.type === 'dashboard') {
      checkDashboard(object);
    } else if (object.type !== 'index-pattern') {
      problems.push(`${object.id}: unchecked type ${object.type}`);
    }
  }
  return problems;

  function checkSearch(object: ISavedObject): void {
    const where = `search ${object.id}`;
    const meta = objectAt(object.attributes.kibanaSavedObjectMeta, where);
    const source = objectAt(
      JSON.parse(stringAt(meta.searchSourceJSON, where)),
      where
    );
    const view = referencedView(
      object,
      stringAt(source.indexRefName, `${where} indexRefName`)
    );
    if (view === undefined) {
      return;
    }
    checkQuery(view, source.query, `${where} query`);
    const columns = object.attributes.columns;
    for (const column of Array.isArray(columns) ? columns : []) {
      need(
        view,
        stringAt(column, `${where} columns`),
        'exists',
        `${where} columns`
      );
    }
    const sort = object.attributes.sort;
    for (const pair of Array.isArray(sort) ? sort : []) {
      const field = Array.isArray(pair) ? pair[0] : undefined;
      need(
        view,
        stringAt(field, `${where} sort`),
        'aggregatable',
        `${where} sort`
      );
    }
  }

  function checkLens(object: ISavedObject): void {
    const where = `lens ${object.id}`;
    const state = objectAt(object.attributes.state, `${where} state`);
    const datasources = objectAt(
      state.datasourceStates,
      `${where} datasourceStates`
    );
    const layers = objectAt(
      objectAt(datasources.formBased, `${where} formBased`).layers,
      `${where} layers`
    );
    const columnIds = new Set<string>();
    const views: FieldTable[] = [];
    for (const [layerId, value] of Object.entries(layers)) {
      const layer = objectAt(value, `${where} layer ${layerId}`);
      const view = referencedView(
        object,
        `indexpattern-datasource-layer-${layerId}`
      );
      const columns = objectAt(
        layer.columns,
        `${where} layer ${layerId} columns`
      );
      const order = layer.columnOrder;
      if (
        !Array.isArray(order) ||
        order.length !== Object.keys(columns).length ||
        !order.every(id => typeof id === 'string' && id in columns)
      ) {
        problems.push(
          `${where}: columnOrder of ${layerId} does not list its columns`
        );
      }
      if (view === undefined) {
        continue;
      }
      views.push(view);
      for (const [columnId, columnValue] of Object.entries(columns)) {
        const at = `${where} column ${columnId}`;
        const column = objectAt(columnValue, at);
        columnIds.add(columnId);
        const sourceField = stringAt(column.sourceField, `${at} sourceField`);
        if (sourceField !== RECORDS_FIELD) {
          need(view, sourceField, 'aggregatable', at);
        } else if (column.operationType !== 'count') {
          problems.push(`${at}: ${RECORDS_FIELD} outside a count`);
        }
        checkQuery(view, column.filter, `${at} filter`);
        const params = isObject(column.params) ? column.params : {};
        if (params.sortField !== undefined) {
          need(
            view,
            stringAt(params.sortField, `${at} sortField`),
            'date',
            `${at} sortField`
          );
        }
        const orderBy = isObject(params.orderBy) ? params.orderBy : {};
        if (
          orderBy.type === 'column' &&
          !(stringAt(orderBy.columnId, at) in columns)
        ) {
          problems.push(
            `${at}: ordered by a missing column ${String(orderBy.columnId)}`
          );
        }
      }
    }
    for (const view of views) {
      checkQuery(view, state.query, `${where} query`);
    }
    const filters = state.filters;
    if (!Array.isArray(filters) || filters.length > 0) {
      problems.push(`${where}: filters are not checked; use the query`);
    }
    // The visualization may only name columns that exist.
    const visualization = JSON.stringify(state.visualization);
    for (const match of visualization.matchAll(
      /"(?:xAccessor|splitAccessor|columnId)":"([^"]+)"/g
    )) {
      if (!columnIds.has(match[1])) {
        problems.push(
          `${where}: visualization names a missing column ${match[1]}`
        );
      }
    }
    for (const match of visualization.matchAll(/"accessors":\[([^\]]*)\]/g)) {
      for (const id of JSON.parse(`[${match[1]}]`) as string[]) {
        if (!columnIds.has(id)) {
          problems.push(`${where}: visualization names a missing column ${id}`);
        }
      }
    }
  }

  function checkDashboard(object: ISavedObject): void {
    const where = `dashboard ${object.id}`;
    const panels = jsonAttribute(object, 'panelsJSON');
    for (const panelValue of Array.isArray(panels) ? panels : []) {
      const panel = objectAt(panelValue, `${where} panel`);
      const index = stringAt(panel.panelIndex, `${where} panelIndex`);
      const refName = stringAt(
        panel.panelRefName,
        `${where} panel ${index} panelRefName`
      );
      const reference = object.references.find(
        item => item.name === `${index}:${refName}`
      );
      if (reference === undefined) {
        problems.push(
          `${where}: panel ${index} has no reference ${index}:${refName}`
        );
      } else if (reference.type !== panel.type) {
        problems.push(
          `${where}: panel ${index} is ${String(panel.type)} but refers to a ${reference.type}`
        );
      }
    }
    const meta = objectAt(object.attributes.kibanaSavedObjectMeta, where);
    const source = objectAt(
      JSON.parse(stringAt(meta.searchSourceJSON, where)),
      where
    );
    // A dashboard query applies to every panel's data view.
    for (const reference of object.references) {
      const target = byKey.get(`${reference.type}:${reference.id}`);
      for (const viewReference of target?.references ?? []) {
        const view = dataViews.get(viewReference.id);
        if (view !== undefined) {
          checkQuery(view, source.query, `${where} query`);
        }
      }
    }
  }
}
