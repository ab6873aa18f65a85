import {
  decodeLink,
  LINK_PARAMETER,
  LinkError,
  linkUrl,
  MAX_LINK_LENGTH,
  searchWithoutLink
} from '../links';

const ALLOWED = ['tflog:compare', 'tflog:open-history'];

function search(value: string): string {
  return `?${new URLSearchParams({ [LINK_PARAMETER]: value })}`;
}

describe('links', () => {
  it('round-trips a command and its arguments through a URL', () => {
    const link = {
      command: 'tflog:compare',
      args: { runIds: ['a b', 'c&d=é'], axis: 'epoch', smoothing: 0.6 }
    };
    const url = linkUrl('http://host:8888/base/lab', link);
    expect(url.startsWith('http://host:8888/base/lab?tflog=')).toBe(true);
    expect(decodeLink(new URL(url).search, ALLOWED)).toEqual(link);
  });

  it('keeps the other parameters of the URL', () => {
    const url = linkUrl('http://host/lab?reset', {
      command: 'tflog:open-history',
      args: {}
    });
    const parsed = new URL(url);
    expect(parsed.searchParams.has('reset')).toBe(true);
    expect(searchWithoutLink(parsed.search)).toBe('?reset=');
    expect(searchWithoutLink(search('{}'))).toBe('');
  });

  it('finds no link where there is none', () => {
    expect(decodeLink('', ALLOWED)).toBeNull();
    expect(decodeLink('?reset', ALLOWED)).toBeNull();
  });

  it('defaults the arguments to none', () => {
    expect(
      decodeLink(search('{"command":"tflog:open-history"}'), ALLOWED)
    ).toEqual({
      command: 'tflog:open-history',
      args: {}
    });
  });

  it.each([
    ['{"command":', /not valid JSON/],
    ['[1]', /JSON object with "command" and "args"/],
    ['{"args":{}}', /names no command/],
    [
      '{"command":"notebook:run-all-cells","args":{}}',
      /names "notebook:run-all-cells", which links cannot open \(they open: tflog:compare, tflog:open-history\)/
    ],
    ['{"command":"tflog:compare","args":[1]}', /"args" must be a JSON object/],
    ['x'.repeat(MAX_LINK_LENGTH + 1), /at most 8000 are read/]
  ])('refuses %s with a clear message', (value, message) => {
    expect(() => decodeLink(search(value), ALLOWED)).toThrow(LinkError);
    expect(() => decodeLink(search(value), ALLOWED)).toThrow(message);
  });
});
