// Runs ONNX models on ONNX Runtime's CPU provider for the ContextNets tests.
// Reads one JSON request per line on stdin:
//   {"model": "m.onnx", "input": "x.f32", "shape": [N, C, H, W], "output": "y.f32"}
// where the input and output files are raw little-endian float32 in row-major order; answers one JSON line per
// request on stdout: {"ok": true, "shape": [...]} or {"ok": false, "error": "..."}. The last model's session is
// kept, so several inputs (batch sizes) can go through one model without loading it again.
'use strict';
const fs = require('fs');
const readline = require('readline');
const ort = require('onnxruntime-node');

let cached = { path: null, session: null };

async function session(path) {
  if (cached.path !== path) {
    cached = { path: null, session: null };
    const s = await ort.InferenceSession.create(path, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    cached = { path, session: s };
  }
  return cached.session;
}

async function run(request) {
  const s = await session(request.model);
  const bytes = fs.readFileSync(request.input);
  const data = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(data), request.shape) };
  const results = await s.run(feeds);
  const y = results[s.outputNames[0]];
  fs.writeFileSync(request.output, Buffer.from(y.data.buffer, y.data.byteOffset, y.data.byteLength));
  return { ok: true, shape: y.dims.map(Number) };
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let answer;
    try {
      answer = await run(JSON.parse(line));
    } catch (e) {
      answer = { ok: false, error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  }
}

main().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(1);
});
