// The floor of `tflog parse` (bench/parse.py): read raw output on stdin as
// the CLI does (UTF-8, cut at every '\n' and '\r'), and write one JSON object
// per visible line, {"message": ...}, with no parsing at all. A line that is
// empty once its terminator is cut (a lone '\r') is skipped, as the parser
// skips lines that show nothing.
//
//   node bench/parse_floor.mjs < input > output
import { Buffer } from 'node:buffer';
import { stdin, stdout } from 'node:process';
import { TextDecoder } from 'node:util';

const decoder = new TextDecoder('utf-8');
let rest = '';

const CHUNK_BYTES = 1024 * 1024;

function write(lines) {
  // A UTF-16 code unit is at most 3 bytes of UTF-8.
  let size = 0;
  for (const line of lines) {
    size += line.length * 3 + 1;
  }
  const bytes = Buffer.allocUnsafe(Math.max(size, CHUNK_BYTES));
  let used = 0;
  for (const line of lines) {
    used += bytes.write(line, used);
    bytes[used++] = 0x0a;
  }
  return stdout.write(bytes.subarray(0, used))
    ? Promise.resolve()
    : new Promise(resolve => stdout.once('drain', resolve));
}

function lines(text, out) {
  let start = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x0a || code === 0x0d) {
      if (index > start) {
        out.push(JSON.stringify({ message: text.slice(start, index) }));
      }
      start = index + 1;
    }
  }
  return text.slice(start);
}

for await (const chunk of stdin) {
  const out = [];
  rest = lines(rest + decoder.decode(chunk, { stream: true }), out);
  if (out.length > 0) {
    await write(out);
  }
}
const out = [];
const last = lines(rest + decoder.decode(), out);
if (last.length > 0) {
  out.push(JSON.stringify({ message: last }));
}
if (out.length > 0) {
  await write(out);
}
