/**
 * Admin-style grok definitions written for these tests, in the shape of
 * Logstash's quoted-string, URI and combined access log patterns: they use
 * the constructs real pattern libraries carry and JavaScript lacks or
 * handles badly, so the tests can show how the compiler copes with them.
 *
 * - QS nests atomic groups `(?>...)` around quoted-string bodies. Written
 *   with plain groups, `(?:[^"\\]+|\\.)+` splits a run of text in
 *   exponentially many ways, so an unclosed quote would hang the match.
 * - The host alternatives hold plain numbered groups (IPv4 octets, IPv6
 *   address and zone, a hostname's root dot) and the timestamp a numbered
 *   zone group after an atomic day, so the atomic-group emulation must
 *   number its own groups around them.
 * - URI_SCHEME repeats a group whose separator is optional, with no atomic
 *   group: a long word that is not followed by `://` makes it backtrack
 *   exponentially, which only the time limit ends.
 */
export const ACCESS_LOG_DEFINITIONS: Readonly<Record<string, string>> = {
  // Quoted strings: an escape is a backslash and any one character.
  QUOTED_DOUBLE: '"(?>(?>[^"\\\\]+|\\\\.)+)?"',
  QUOTED_SINGLE: "'(?>(?>[^'\\\\]+|\\\\.)+)?'",
  QUOTED_BACKTICK: '`(?>(?>[^`\\\\]+|\\\\.)+)?`',
  // Not an escaped quote: the opening quote has no backslash before it.
  QS: '(?<!\\\\)(?>%{QUOTED_DOUBLE}|%{QUOTED_SINGLE}|%{QUOTED_BACKTICK})',

  // Numbers: a whole decimal, never the tail of a longer one.
  DECIMAL: '(?<![0-9.])(?>\\d+(?:\\.\\d+)?)',
  COUNT: '\\d+',

  // Hosts, each with plain numbered groups.
  OCTET: '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)',
  IPV4_ADDR:
    '(?<![0-9])(%{OCTET})\\.(%{OCTET})\\.(%{OCTET})\\.(%{OCTET})(?![0-9])',
  // Permissive: colon-separated hex groups, an optional `%zone`.
  IPV6_ADDR: '((?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})(%[0-9A-Za-z]+)?',
  DNS_LABEL: '[0-9A-Za-z]+(?:-+[0-9A-Za-z]+)*',
  DNS_NAME: '\\b%{DNS_LABEL}(?:\\.%{DNS_LABEL})*(\\.)?',
  CLIENT: '(?:%{IPV4_ADDR}|%{IPV6_ADDR}|%{DNS_NAME})',

  // URIs: scheme://[user[:secret]@]host[:port][/path...][?query]
  URI_SCHEME: '[A-Za-z]([-+.]?[A-Za-z0-9]+)*',
  URI_USERINFO: '[A-Za-z0-9._~-]+(?::[^@\\s]*)?@',
  URI_HOST: '(?:%{IPV4_ADDR}|\\[%{IPV6_ADDR}\\]|%{DNS_NAME})',
  URI_PORT: '[1-9]\\d{0,4}',
  URI_PATH: "(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)+",
  URI_QUERY: "\\?[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*",
  URI: '%{URI_SCHEME}://(?:%{URI_USERINFO})?(?:%{URI_HOST}(?::%{URI_PORT:port})?)?(?:%{URI_PATH})?(?:%{URI_QUERY})?',

  // Access log: [28/Nov/2026:20:16:59 +0100]. The atomic day tries the
  // two-digit forms first: an atomic alternation keeps its first success.
  LOG_DAY: '(?>[12]\\d|3[01]|0?[1-9])',
  LOG_MONTH: '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)',
  LOG_CLOCK: '(?:[01]\\d|2[0-3]):[0-5]\\d:(?:[0-5]\\d|60)',
  LOG_TIMESTAMP: '%{LOG_DAY}/%{LOG_MONTH}/\\d{4}:%{LOG_CLOCK} ([+-]\\d{4})',
  LOG_USER: '[A-Za-z0-9._@+-]+',
  HTTP_REQUEST:
    '%{WORD:method} %{NOTSPACE:path}(?: HTTP/%{DECIMAL:http_version})?',
  ACCESS_LOG_COMMON:
    '%{CLIENT:client} %{LOG_USER:ident} %{LOG_USER:user} \\[%{LOG_TIMESTAMP:timestamp}\\] "(?:%{HTTP_REQUEST}|[^"]*)" (?:%{COUNT:status}|-) (?:%{COUNT:bytes}|-)',
  ACCESS_LOG_COMBINED: '%{ACCESS_LOG_COMMON} %{QS:referrer} %{QS:agent}'
};
