/**
 * Deletes what the suite wrote to Elasticsearch (indices and index templates
 * under this run's prefix), so a shared cluster given by TFLOG_UI_ES_URL is
 * left as it was. Set TFLOG_UI_KEEP_INDICES=1 to keep them for a look.
 */

async function checked(response: Response, what: string): Promise<string> {
  const text = await response.text();
  if (!response.ok && response.status !== 404) {
    throw new Error(`${what}: ${response.status} ${text}`);
  }
  return text;
}

export default async function globalTeardown(): Promise<void> {
  const url = process.env.TFLOG_UI_ES_URL?.replace(/\/+$/, '');
  const prefix = process.env.TFLOG_UI_INDEX_PREFIX;
  if (!url || !prefix || process.env.TFLOG_UI_KEEP_INDICES === '1') {
    return;
  }
  // Wildcard deletes of indices are refused by default
  // (action.destructive_requires_name): name them.
  const listing = await checked(
    await fetch(`${url}/_cat/indices/${prefix}*?h=index&expand_wildcards=all`),
    `listing ${prefix}* indices`
  );
  const indices = listing.split('\n').filter(name => name.trim() !== '');
  if (indices.length > 0) {
    await checked(
      await fetch(`${url}/${indices.join(',')}`, { method: 'DELETE' }),
      `deleting ${indices.join(',')}`
    );
  }
  await checked(
    await fetch(`${url}/_index_template/${prefix}*`, { method: 'DELETE' }),
    `deleting the ${prefix}* index templates`
  );
}
