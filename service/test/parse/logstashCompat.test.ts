/**
 * Compatibility with Logstash's own pattern library (logstash-patterns-core,
 * the legacy, non-ECS set), read at test time from the files the `pygrok`
 * package ships (requirements/test.txt; scripts/install-test-deps.sh
 * installs it). Nothing of that library is copied here: the example lines
 * below are our own, one or more per family, with the captures Logstash
 * gives them.
 *
 * Counted: definitions that compile (each one alone, with the whole
 * library as definitions), and examples that capture every expected field.
 * A definition that does not compile must be one of REFUSED, with the
 * reason given; an example that does not match fails the test.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BASE_PATTERNS, compilePatternSet, GrokError } from '../../src/parse';
import { CustomMatcher } from '../../src/parse/custom';
import { REPO_ROOT } from './helpers';

/** Where the installed `pygrok` keeps the pattern files. */
function patternsDir(): string {
  const fromEnv = process.env.TFLOG_LOGSTASH_PATTERNS_DIR;
  if (fromEnv !== undefined && fromEnv !== '') {
    return fromEnv;
  }
  const python = path.join(REPO_ROOT, '.venv/bin/python');
  // find_spec locates the package without importing it.
  const dir = execFileSync(
    python,
    [
      '-c',
      'import importlib.util, os; spec = importlib.util.find_spec("pygrok"); print(os.path.join(os.path.dirname(spec.origin), "patterns") if spec else "")'
    ],
    { encoding: 'utf8' }
  ).trim();
  if (dir === '' || !fs.existsSync(dir)) {
    throw new Error(
      'the pygrok package (Logstash pattern files) is not installed in .venv: run scripts/install-test-deps.sh, or set TFLOG_LOGSTASH_PATTERNS_DIR'
    );
  }
  return dir;
}

/** Every `NAME definition` line of every file; a later one wins, as in Logstash. */
function loadLibrary(dir: string): Record<string, string> {
  const definitions: Record<string, string> = {};
  for (const file of fs.readdirSync(dir).sort()) {
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const line of text.split('\n')) {
      const match = /^([A-Za-z0-9_]+)\s+(.*?)\s*$/.exec(line);
      if (match) {
        definitions[match[1]] = match[2];
      }
    }
  }
  return definitions;
}

/** Definitions of the library that are refused, with why (none at present). */
const REFUSED: Readonly<Record<string, string>> = {};

interface IExample {
  family: string;
  pattern: string;
  line: string;
  captures: Record<string, string>;
}

const TAB = '\t';

/**
 * The load-time test lines run under a time limit for patterns not proven
 * fast; on a loaded machine the first such match can take longer than the
 * service's 50 ms, which has nothing to do with the pattern.
 */
const LOAD_OPTIONS = { timeoutMs: 2000 };

const EXAMPLES: IExample[] = [
  {
    family: 'syslog',
    pattern: 'SYSLOGLINE',
    line: 'Nov 28 20:16:59 gpu-01 sshd[4242]: Accepted publickey for alice from 10.0.0.5 port 52311 ssh2',
    captures: {
      timestamp: 'Nov 28 20:16:59',
      logsource: 'gpu-01',
      program: 'sshd',
      pid: '4242',
      message: 'Accepted publickey for alice from 10.0.0.5 port 52311 ssh2'
    }
  },
  {
    family: 'syslog',
    pattern: 'SYSLOGLINE',
    line: 'Nov  8 03:04:05 node7 kernel: [12345.678] eth0: link up',
    captures: {
      timestamp: 'Nov  8 03:04:05',
      logsource: 'node7',
      program: 'kernel',
      message: '[12345.678] eth0: link up'
    }
  },
  {
    family: 'syslog',
    pattern: 'SYSLOG5424LINE',
    line: '<165>1 2026-11-28T20:16:59.003Z gpu-01.example.com trainer 4242 ID47 - epoch 3 done',
    captures: {
      syslog5424_pri: '165',
      syslog5424_ver: '1',
      syslog5424_ts: '2026-11-28T20:16:59.003Z',
      syslog5424_host: 'gpu-01.example.com',
      syslog5424_app: 'trainer',
      syslog5424_proc: '4242',
      syslog5424_msgid: 'ID47',
      syslog5424_msg: 'epoch 3 done'
    }
  },
  {
    family: 'syslog',
    pattern: 'CRONLOG',
    line: 'Nov 28 20:17:01 gpu-01 CRON[5151]: (root) CMD (run-parts /etc/cron.hourly)',
    captures: {
      timestamp: 'Nov 28 20:17:01',
      program: 'CRON',
      pid: '5151',
      user: 'root',
      action: 'CMD',
      message: 'run-parts /etc/cron.hourly'
    }
  },
  {
    family: 'httpd',
    pattern: 'COMMONAPACHELOG',
    line: '10.1.2.3 - alice [28/Nov/2026:20:16:59 +0100] "GET /runs/42?page=2 HTTP/1.1" 200 5120',
    captures: {
      clientip: '10.1.2.3',
      ident: '-',
      auth: 'alice',
      timestamp: '28/Nov/2026:20:16:59 +0100',
      verb: 'GET',
      request: '/runs/42?page=2',
      httpversion: '1.1',
      response: '200',
      bytes: '5120'
    }
  },
  {
    family: 'httpd',
    pattern: 'COMBINEDAPACHELOG',
    line: '2001:db8::7 - - [01/Dec/2026:00:00:01 -0500] "POST /api/points HTTP/2.0" 201 - "https://example.org/runs" "Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""',
    captures: {
      clientip: '2001:db8::7',
      auth: '-',
      timestamp: '01/Dec/2026:00:00:01 -0500',
      verb: 'POST',
      request: '/api/points',
      httpversion: '2.0',
      response: '201',
      referrer: '"https://example.org/runs"',
      agent: '"Mozilla/5.0 (X11; Linux x86_64) \\"quoted\\""'
    }
  },
  {
    family: 'httpd',
    pattern: 'COMMONAPACHELOG',
    line: 'lb.example.com - - [01/Dec/2026:00:00:01 +0000] "-" 408 -',
    captures: { clientip: 'lb.example.com', rawrequest: '-', response: '408' }
  },
  {
    family: 'java',
    pattern: 'JAVASTACKTRACEPART',
    line: '        at org.apache.catalina.core.StandardWrapperValve.invoke(StandardWrapperValve.java:219)',
    captures: {
      class: 'org.apache.catalina.core.StandardWrapperValve',
      method: 'invoke',
      file: 'StandardWrapperValve.java',
      line: '219'
    }
  },
  {
    family: 'java',
    pattern: 'TOMCATLOG',
    line: '2026-11-28 20:16:59,470 -0800 | ERROR | com.example.train.Trainer - checkpoint write failed',
    captures: {
      timestamp: '2026-11-28 20:16:59,470 -0800',
      level: 'ERROR',
      class: 'com.example.train.Trainer',
      logmessage: 'checkpoint write failed'
    }
  },
  {
    family: 'java',
    pattern: 'CATALINALOG',
    line: 'Nov 28, 2026 8:16:59 PM org.apache.catalina.startup.Catalina start',
    captures: {
      timestamp: 'Nov 28, 2026 8:16:59 PM',
      class: 'org.apache.catalina.startup.Catalina',
      logmessage: 'start'
    }
  },
  {
    family: 'haproxy',
    pattern: 'HAPROXYHTTP',
    line: 'Nov 28 20:16:59 lb-1 haproxy[2048]: 10.0.0.7:51234 [28/Nov/2026:20:16:59.123] web~ app/app-2 10/0/30/69/109 200 2750 - - ---- 1/1/0/0/0 0/0 {example.org} {} "GET /api/runs?limit=5 HTTP/1.1"',
    captures: {
      syslog_timestamp: 'Nov 28 20:16:59',
      syslog_server: 'lb-1',
      program: 'haproxy',
      pid: '2048',
      client_ip: '10.0.0.7',
      client_port: '51234',
      accept_date: '28/Nov/2026:20:16:59.123',
      haproxy_milliseconds: '123',
      frontend_name: 'web~',
      backend_name: 'app',
      server_name: 'app-2',
      time_duration: '109',
      http_status_code: '200',
      bytes_read: '2750',
      termination_state: '----',
      captured_request_headers: 'example.org',
      http_verb: 'GET',
      http_request: '/api/runs?limit=5',
      http_version: '1.1'
    }
  },
  {
    family: 'haproxy',
    pattern: 'HAPROXYTCP',
    line: 'Nov 28 20:16:59 lb-1 haproxy[2048]: 10.0.0.7:51234 [28/Nov/2026:20:16:59.123] db-in db/pg-1 0/1/5012 4096 -- 3/3/2/1/0 0/0',
    captures: {
      client_ip: '10.0.0.7',
      frontend_name: 'db-in',
      backend_name: 'db',
      server_name: 'pg-1',
      time_queue: '0',
      time_backend_connect: '1',
      time_duration: '5012',
      bytes_read: '4096',
      termination_state: '--',
      actconn: '3',
      retries: '0'
    }
  },
  {
    family: 'ruby',
    pattern: 'RUBY_LOGGER',
    line: 'I, [2026-11-28T20:16:59.470123 #4242]  INFO -- trainer: epoch 3 finished',
    captures: {
      timestamp: '2026-11-28T20:16:59.470123',
      pid: '4242',
      loglevel: 'INFO',
      progname: 'trainer',
      message: 'epoch 3 finished'
    }
  },
  {
    family: 'rails',
    pattern: 'RAILS3HEAD',
    line: 'Started GET "/runs/42?tab=curves" for 127.0.0.1 at 2026-11-28 20:16:59 +0100',
    captures: {
      verb: 'GET',
      request: '/runs/42?tab=curves',
      clientip: '127.0.0.1',
      timestamp: '2026-11-28 20:16:59 +0100'
    }
  },
  {
    family: 'rails',
    pattern: 'RAILS3FOOT',
    line: 'Completed 200 OK in 35ms (Views: 20.1ms | ActiveRecord: 3.2ms)',
    captures: {
      response: '200',
      totalms: '35',
      viewms: '20.1',
      activerecordms: '3.2'
    }
  },
  {
    family: 'rails',
    pattern: 'RPROCESSING',
    line: 'Processing by RunsController#show as HTML',
    captures: { controller: 'RunsController', action: 'show', format: 'HTML' }
  },
  {
    family: 'redis',
    pattern: 'REDISLOG',
    line: '[4242] 28 Nov 20:16:59 * Background saving started by pid 4300',
    captures: { pid: '4242', timestamp: '28 Nov 20:16:59' }
  },
  {
    family: 'mongodb',
    pattern: 'MONGO_LOG',
    line: 'Nov 28 20:16:59 [conn12] end connection 10.0.0.5:52311',
    captures: {
      timestamp: 'Nov 28 20:16:59',
      component: 'conn12',
      message: 'end connection 10.0.0.5:52311'
    }
  },
  {
    family: 'mongodb',
    pattern: 'MONGO3_LOG',
    line: '2026-11-28T20:16:59.470+0100 I NETWORK  [conn12] end connection 10.0.0.5:52311 (3 connections now open)',
    captures: {
      timestamp: '2026-11-28T20:16:59.470+0100',
      severity: 'I',
      component: 'NETWORK',
      context: 'conn12',
      message: 'end connection 10.0.0.5:52311 (3 connections now open)'
    }
  },
  {
    family: 'mongodb',
    pattern: 'MONGO_SLOWQUERY',
    line: 'query tflog.points query: { run: "r1", name: "loss" } ntoreturn:0 ntoskip:0 nscanned:1200 keyUpdates:0 nreturned:100 reslen:4120 154ms',
    captures: {
      database: 'tflog',
      collection: 'points',
      query: '{ run: "r1", name: "loss" }',
      ntoreturn: '0',
      ntoskip: '0',
      nscanned: '1200',
      nreturned: '100',
      duration: '154'
    }
  },
  {
    family: 'postgresql',
    pattern: 'POSTGRESQL',
    // DATESTAMP has no year-first form: the search finds "26-11-28" as a
    // day-month-year date, in Ruby as here.
    line: '2026-11-28 20:16:59 UTC alice 5f2c1a.4d2 4242',
    captures: {
      timestamp: '26-11-28 20:16:59',
      user_id: 'alice',
      connection_id: '5f2c1a.4d2',
      pid: '4242'
    }
  },
  {
    family: 'bacula',
    pattern: 'BACULA_LOGLINE',
    line: '28-Nov 20:16 backup-dir JobId 1234: Created new Volume "Vol-0042" in catalog.',
    captures: {
      bts: '28-Nov 20:16',
      hostname: 'backup-dir',
      jobid: '1234',
      volume: 'Vol-0042'
    }
  },
  {
    family: 'bacula',
    pattern: 'BACULA_LOGLINE',
    line: '28-Nov 20:16 backup-sd JobId 1234: All records pruned from Volume "Vol-0007"; marking it "Purged"',
    captures: { hostname: 'backup-sd', jobid: '1234', volume: 'Vol-0007' }
  },
  {
    family: 'bro',
    pattern: 'BRO_CONN',
    line: [
      '1795898219.123456',
      'CHhAvVGS1DHFjwGM9',
      '10.0.0.5',
      '52311',
      '10.0.0.9',
      '443',
      'tcp',
      'ssl',
      '3.250000',
      '1200',
      '54000',
      'SF',
      'T',
      '0',
      'ShADadFf',
      '12',
      '1832',
      '40',
      '56080',
      '(empty)'
    ].join(TAB),
    captures: {
      ts: '1795898219.123456',
      uid: 'CHhAvVGS1DHFjwGM9',
      orig_h: '10.0.0.5',
      orig_p: '52311',
      resp_p: '443',
      proto: 'tcp',
      service: 'ssl',
      duration: '3.250000',
      conn_state: 'SF',
      history: 'ShADadFf',
      tunnel_parents: '(empty)'
    }
  },
  {
    family: 'bro',
    pattern: 'BRO_DNS',
    line: [
      '1795898219.5',
      'C8blOJ21azairPrWf8',
      '10.0.0.5',
      '41952',
      '10.0.0.2',
      '53',
      'udp',
      '8401',
      'example.org',
      '1',
      'C_INTERNET',
      '1',
      'A',
      '0',
      'NOERROR',
      'F',
      'F',
      'T',
      'T',
      '0',
      '93.184.216.34',
      '3600.000000',
      'F'
    ].join(TAB),
    captures: {
      proto: 'udp',
      trans_id: '8401',
      query: 'example.org',
      qtype_name: 'A',
      rcode_name: 'NOERROR',
      answers: '93.184.216.34',
      rejected: 'F'
    }
  },
  {
    family: 'firewalls',
    pattern: 'CISCOFW106001',
    line: 'Inbound TCP connection denied from 203.0.113.9/51234 to 10.0.0.5/22 flags SYN  on interface outside',
    captures: {
      direction: 'Inbound',
      protocol: 'TCP',
      action: 'denied',
      src_ip: '203.0.113.9',
      src_port: '51234',
      dst_ip: '10.0.0.5',
      dst_port: '22',
      tcp_flags: 'SYN ',
      interface: 'outside'
    }
  },
  {
    family: 'firewalls',
    pattern: 'CISCOFW106023',
    line: 'Deny tcp src outside:203.0.113.9/51234 dst inside:10.0.0.5/22 by access-group "outside_in" [0x0, 0x0]',
    captures: {
      action: 'Deny',
      protocol: 'tcp',
      src_interface: 'outside',
      src_ip: '203.0.113.9',
      src_port: '51234',
      dst_interface: 'inside',
      dst_ip: '10.0.0.5',
      dst_port: '22',
      policy_id: 'outside_in',
      hashcode1: '0x0',
      hashcode2: '0x0'
    }
  },
  {
    family: 'firewalls',
    pattern: 'CISCO_TAGGED_SYSLOG',
    line: '<166>Nov 28 2026 20:16:59 fw-1 : %ASA-6-302013: Built outbound TCP connection',
    captures: {
      syslog_pri: '166',
      timestamp: 'Nov 28 2026 20:16:59',
      sysloghost: 'fw-1',
      ciscotag: 'ASA-6-302013'
    }
  },
  {
    family: 'firewalls',
    pattern: 'SHOREWALL',
    line: 'Nov 28 20:16:59 gw kernel: Shorewall:net2fw:DROP:IN=eth0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=203.0.113.9 DST=10.0.0.1 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=4321 DF PROTO=TCP SPT=51234 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0',
    captures: {
      timestamp: 'Nov 28 20:16:59',
      nf_host: 'gw',
      nf_action1: 'net2fw',
      nf_action2: 'DROP',
      nf_in_interface: 'eth0',
      nf_dst_mac: '00:11:22:33:44:55',
      nf_src_mac: '66:77:88:99:aa:bb',
      nf_src_ip: '203.0.113.9',
      nf_dst_ip: '10.0.0.1',
      nf_len: '60',
      nf_ttl: '52',
      nf_id: '4321',
      nf_protocol: 'TCP',
      nf_src_port: '51234',
      nf_dst_port: '22'
    }
  },
  {
    family: 'nagios',
    pattern: 'NAGIOSLOGLINE',
    line: '[1795898219] SERVICE ALERT: gpu-01;GPU temperature;WARNING;SOFT;1;temperature 85 C',
    captures: {
      nagios_epoch: '1795898219',
      nagios_type: 'SERVICE ALERT',
      nagios_hostname: 'gpu-01',
      nagios_service: 'GPU temperature',
      nagios_state: 'WARNING',
      nagios_statelevel: 'SOFT',
      nagios_attempt: '1',
      nagios_message: 'temperature 85 C'
    }
  },
  {
    family: 'junos',
    pattern: 'RT_FLOW3',
    line: 'RT_FLOW_SESSION_DENY: session denied 203.0.113.9/51234->10.0.0.5/22 junos-ssh 6(0) deny-all untrust trust UNKNOWN',
    captures: {
      event: 'RT_FLOW_SESSION_DENY',
      'src-ip': '203.0.113.9',
      'src-port': '51234',
      'dst-ip': '10.0.0.5',
      'dst-port': '22',
      service: 'junos-ssh',
      'protocol-id': '6',
      'policy-name': 'deny-all',
      'from-zone': 'untrust',
      'to-zone': 'trust'
    }
  },
  {
    family: 'aws',
    pattern: 'ELB_ACCESS_LOG',
    line: '2026-11-28T20:16:59.123456Z web-elb 203.0.113.9:51234 10.0.0.5:8080 0.000042 0.120000 0.000021 200 200 0 5120 "GET https://example.org:443/api/runs?limit=5 HTTP/1.1"',
    captures: {
      timestamp: '2026-11-28T20:16:59.123456Z',
      elb: 'web-elb',
      clientip: '203.0.113.9',
      clientport: '51234',
      backendip: '10.0.0.5',
      backendport: '8080',
      backend_processing_time: '0.120000',
      response: '200',
      bytes: '5120',
      verb: 'GET',
      proto: 'https',
      urihost: 'example.org:443',
      path: '/api/runs',
      params: '?limit=5',
      httpversion: '1.1'
    }
  },
  {
    family: 'aws',
    pattern: 'S3_ACCESS_LOG',
    line: '79a5 tflog-backups [28/Nov/2026:20:16:59 +0000] 203.0.113.9 arn:aws:iam::123456789012:user/alice 3E57427F3EXAMPLE REST.GET.OBJECT runs/42.ndjson "GET /tflog-backups/runs/42.ndjson HTTP/1.1" 200 - 5120 5120 35 30 "-" "aws-cli/2.15" -',
    captures: {
      owner: '79a5',
      bucket: 'tflog-backups',
      timestamp: '28/Nov/2026:20:16:59 +0000',
      operation: 'REST.GET.OBJECT',
      key: 'runs/42.ndjson',
      verb: 'GET',
      response: '200',
      bytes: '5120',
      request_time_ms: '35',
      agent: '"aws-cli/2.15"'
    }
  },
  {
    family: 'mcollective',
    pattern: 'MCOLLECTIVE',
    line: 'I, [2026-11-28T20:16:59.470123 #4242]  INFO -- : agent loaded',
    captures: {
      timestamp: '2026-11-28T20:16:59.470123',
      pid: '4242',
      event_level: 'INFO'
    }
  },
  {
    family: 'exim',
    pattern: 'EXIM_REMOTE_HOST',
    line: '2026-11-28 20:16:59 1vQx2A-000Abc-Zz <= alice@example.org H=mail.example.org (helo.example.org) [203.0.113.9] P=esmtps S=2048',
    captures: {
      remote_hostname: 'mail.example.org',
      remote_heloname: 'helo.example.org',
      remote_host: '203.0.113.9'
    }
  }
];

describe('logstash-patterns-core (legacy set, as shipped by pygrok)', () => {
  const library = loadLibrary(patternsDir());
  const names = Object.keys(library).sort();

  it('compiles every definition, or refuses it with the reason listed', () => {
    const compiled: string[] = [];
    const refused: Record<string, string> = {};
    for (const name of names) {
      // Delimiters that no line has keep DATA and the like from matching
      // every line, which a whole pattern may not.
      const { patterns, errors } = compilePatternSet(
        {
          definitions: library,
          patterns: [{ name, grok: `\u0001%{${name}}\u0002` }]
        },
        {},
        LOAD_OPTIONS
      );
      if (patterns.length === 1) {
        compiled.push(name);
      } else {
        expect(errors[0]).toBeInstanceOf(GrokError);
        refused[name] = errors[0].reason;
      }
    }
    expect(refused).toEqual(REFUSED);
    // The figures docs/parsing.md gives.
    expect([compiled.length, names.length]).toEqual([302, 302]);
  });

  it.each(EXAMPLES.map(example => [example.family, example.pattern, example]))(
    '%s: %s captures every expected field of our example',
    (_family, _pattern, example) => {
      const { patterns, errors } = compilePatternSet(
        {
          definitions: library,
          patterns: [
            {
              name: example.pattern,
              grok: `%{${example.pattern}}`,
              metrics: 'auto'
            }
          ]
        },
        {},
        LOAD_OPTIONS
      );
      expect(errors.map(error => error.message)).toEqual([]);
      const problems: string[] = [];
      const matcher = new CustomMatcher(patterns, {
        timeoutMs: LOAD_OPTIONS.timeoutMs,
        onProblem: problem => {
          if (!problem.reason.includes('is not a time')) {
            problems.push(problem.message);
          }
        }
      });
      const match = matcher.match(example.line);
      expect(problems).toEqual([]);
      expect(match).not.toBeNull();
      const got: Record<string, string> = {};
      for (const capture of match?.fields ?? []) {
        if (capture.field in example.captures && !(capture.field in got)) {
          got[capture.field] = capture.text;
        }
      }
      expect(got).toEqual(example.captures);
    }
  );

  it('covers the families of the library', () => {
    expect(new Set(EXAMPLES.map(example => example.family)).size).toBe(17);
    expect(EXAMPLES).toHaveLength(35);
  });

  it('shares no definition verbatim with our base patterns', () => {
    const same = Object.keys(BASE_PATTERNS).filter(
      name => library[name] === BASE_PATTERNS[name]
    );
    expect(same).toEqual([]);
  });
});
