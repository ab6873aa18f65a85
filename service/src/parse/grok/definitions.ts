/**
 * Base grok patterns, written for JavaScript regular expressions.
 *
 * Names follow Logstash's grok library so admins can reuse what they know;
 * the definitions are our own: alternatives and repeats are kept
 * unambiguous, so a failing match does not backtrack badly and the
 * load-time analysis (cost.ts) can prove it, without the atomic groups
 * Logstash's definitions rely on (those are emulated, see regex.ts). BASE10NUM and NUMBER also accept
 * exponents (`1e-4`), which training logs print and Logstash's do not.
 */
export const BASE_PATTERNS: Readonly<Record<string, string>> = {
  // Text
  USERNAME: '[\\w.-]+',
  USER: '(?:%{USERNAME})',
  EMAILLOCALPART:
    "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]+)*",
  EMAILADDRESS: '(?:%{EMAILLOCALPART})@(?:%{HOSTNAME})',
  WORD: '\\b[A-Za-z0-9_]+\\b',
  // Ruby's \\s is these six; JavaScript's also takes Unicode spaces.
  NOTSPACE: '[^ \\t\\n\\v\\f\\r]+',
  SPACE: '[ \\t\\n\\v\\f\\r]*',
  // A dot, so that (?m) makes them cross newlines as in Ruby.
  DATA: '.{0,}?',
  GREEDYDATA: '.{0,}',
  QUOTEDSTRING:
    '(?:"(?:[^"\\\\]|\\\\.)*"|\'(?:[^\'\\\\]|\\\\.)*\'|`(?:[^`\\\\]|\\\\.)*`)',
  QS: '(?:%{QUOTEDSTRING})',
  UUID: '\\h{8}-(?:\\h{4}-){3}\\h{12}',

  // Numbers
  INT: '[+-]?\\d+',
  POSINT: '\\b[1-9]\\d*\\b',
  NONNEGINT: '\\b\\d+\\b',
  BASE10NUM: '(?<![0-9.+-])[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?',
  NUMBER: '%{BASE10NUM}',
  BASE16NUM: '(?<![0-9A-Fa-f])[+-]?(?:0[xX])?[0-9A-Fa-f]+',
  BASE16FLOAT:
    '\\b(?<![0-9A-Fa-f.])[+-]?(?:0[xX])?(?:[0-9A-Fa-f]+(?:\\.[0-9A-Fa-f]*)?|\\.[0-9A-Fa-f]+)\\b',
  // tflog's own: a metric value as printed, NaN and infinities included.
  METRICVALUE:
    '[-+]?(?:\\d+(?:\\.\\d*)?(?:[eE][-+]?\\d+)?|\\.\\d+(?:[eE][-+]?\\d+)?|[Nn][Aa][Nn]|[Ii]nf(?:inity)?|INF)',

  // Levels
  LOGLEVEL:
    '(?:[Aa]lert|ALERT|[Tt]race|TRACE|[Dd]ebug|DEBUG|[Nn]otice|NOTICE|[Ii]nfo(?:rmation)?|INFO(?:RMATION)?|[Ww]arn(?:ing)?|WARN(?:ING)?|[Ee]rr(?:or)?|ERR(?:OR)?|[Cc]rit(?:ical)?|CRIT(?:ICAL)?|[Ff]atal|FATAL|[Ss]evere|SEVERE|[Ee]merg(?:ency)?|EMERG(?:ENCY)?)',

  // Dates and times
  MONTH:
    // English and German names and abbreviations (Mär, März, Mrz, Okt, Dez).
    '\\b(?:[Jj]an(?:uary|uar)?|[Ff]eb(?:ruary|ruar)?|[Mm](?:ar(?:ch|z)?|ärz?|rz)|[Aa]pr(?:il)?|[Mm]a[yi]|[Jj]un[ei]?|[Jj]ul[iy]?|[Aa]ug(?:ust)?|[Ss]ep(?:t(?:ember)?)?|[Oo][ck]t(?:ober)?|[Nn]ov(?:ember)?|[Dd]e[cz](?:ember)?)\\b',
  MONTHNUM: '(?:[0]?[1-9]|1[012])',
  MONTHNUM2: '(?:0[1-9]|1[012])',
  MONTHDAY: '(?:0[1-9]|[12][0-9]|3[01]|[1-9])',
  DAY: '(?:(?:Mon|Fri|Sun)(?:day)?|Tue(?:sday)?|Wed(?:nesday)?|Thu(?:rsday)?|Sat(?:urday)?)',
  YEAR: '(?:\\d\\d){1,2}',
  HOUR: '(?:2[0-3]|[01]?\\d)',
  MINUTE: '[0-5]\\d',
  SECOND: '(?:(?:[0-5]?\\d|60)(?:[:.,]\\d+)?)',
  TIME: '(?<![0-9])%{HOUR}:%{MINUTE}(?::%{SECOND})(?![0-9])',
  ISO8601_TIMEZONE: '(?:Z|[-+]%{HOUR}:?%{MINUTE})',
  ISO8601_SECOND: '(?:%{SECOND})',
  TIMESTAMP_ISO8601:
    '%{YEAR}-%{MONTHNUM}-%{MONTHDAY}[ T]%{HOUR}:?%{MINUTE}(?::?%{SECOND})?(?:%{ISO8601_TIMEZONE})?',
  DATE_US: '%{MONTHNUM}[-/]%{MONTHDAY}[-/]%{YEAR}',
  DATE_EU: '%{MONTHDAY}[-./]%{MONTHNUM}[-./]%{YEAR}',
  DATE: '(?:%{DATE_US}|%{DATE_EU})',
  DATESTAMP: '%{DATE}[ -]%{TIME}',
  TZ: '(?:UTC|GMT|[ECMP][SD]T)',
  SYSLOGTIMESTAMP: '%{MONTH}[ ]+%{MONTHDAY} %{TIME}',
  HTTPDATE: '%{MONTHDAY}/%{MONTH}/%{YEAR}:%{TIME} [+-]?\\d+',

  // Networks
  IPV4: '(?<![0-9])(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(?![0-9])',
  IPV6:
    '(?<![0-9A-Fa-f:])(?:' +
    [
      '(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}',
      '(?:[0-9A-Fa-f]{1,4}:){1,4}:%{IPV4}',
      '::(?:[Ff]{4}(?::0{1,4})?:)?%{IPV4}',
      '(?:[0-9A-Fa-f]{1,4}:){1,6}:[0-9A-Fa-f]{1,4}',
      '(?:[0-9A-Fa-f]{1,4}:){1,5}(?::[0-9A-Fa-f]{1,4}){1,2}',
      '(?:[0-9A-Fa-f]{1,4}:){1,4}(?::[0-9A-Fa-f]{1,4}){1,3}',
      '(?:[0-9A-Fa-f]{1,4}:){1,3}(?::[0-9A-Fa-f]{1,4}){1,4}',
      '(?:[0-9A-Fa-f]{1,4}:){1,2}(?::[0-9A-Fa-f]{1,4}){1,5}',
      '[0-9A-Fa-f]{1,4}:(?::[0-9A-Fa-f]{1,4}){1,6}',
      '(?:[0-9A-Fa-f]{1,4}:){1,7}:',
      ':(?::[0-9A-Fa-f]{1,4}){1,7}',
      '::'
    ].join('|') +
    ')(?![0-9A-Fa-f:])',
  IP: '%{IPV6}|%{IPV4}',
  HOSTNAME:
    '\\b[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?(?:\\.[0-9A-Za-z](?:[0-9A-Za-z-]{0,61}[0-9A-Za-z])?)*\\.?(?![0-9A-Za-z-])',
  HOST: '%{HOSTNAME}',
  IPORHOST: '%{IP}|%{HOSTNAME}',
  HOSTPORT: '(?:%{IPORHOST}):%{POSINT}',
  MAC: '(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}',

  // Paths and URIs
  UNIXPATH: '(?:/[^/\\s]*)+',
  WINPATH: '(?:[A-Za-z]+:|\\\\)(?:\\\\[^\\\\?*\\s]*)+',
  PATH: '%{UNIXPATH}|%{WINPATH}',
  URIPROTO: '[A-Za-z][A-Za-z0-9+\\-.]*',
  URIHOST: '%{IPORHOST}(?::%{POSINT}){0,1}',
  URIPATH: "(?:/[\\w$.+!*'(){},~:;=@#%&-]*)+",
  URIPARAM: "\\?[\\w$.+!*'|(){},~@#%&/=:;?\\-\\[\\]<>]*",
  URIPATHPARAM: '%{URIPATH}(?:%{URIPARAM}){0,1}',
  URI: '%{URIPROTO}://(?:%{USER}(?::[^@]*)?@)?%{URIHOST}?(?:%{URIPATHPARAM})?'
};
