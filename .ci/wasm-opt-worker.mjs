// One of .ci/build-ui.mjs's optimiser threads: loads npm's binaryen once, then runs what
// `wasm-opt -Oz --output=TO FROM` runs on each module it is sent (`{ from, to }`), answering
// `{}` or `{ error }`. The settings are the command's for -Oz, Stack IR included: the output is
// byte for byte the command's.
import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

// binaryen warns about every name subsection it does not know, which wasm-split's chunks carry
// (the output has no name section at all): those lines are dropped, every other is shown. It
// binds console.error when it loads, so the filter goes in first.
const NOISE = /^warning: unknown name subsection with id \d+ at \d+$/;
const print = console.error;
console.error = (...args) => {
  if (!NOISE.test(args.join(' '))) print(...args);
};
const binaryen = (await import(pathToFileURL(workerData.binaryen).href)).default;
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
binaryen.setGenerateStackIR(true);
binaryen.setOptimizeStackIR(true);

parentPort.on('message', async ({ from, to }) => {
  try {
    const module = binaryen.readBinary(await readFile(from));
    try {
      // As the command does before it optimises: a module binaryen cannot validate is refused.
      if (!module.validate()) throw new Error('the module does not validate');
      module.optimize();
      await writeFile(to, module.emitBinary());
    } finally {
      module.dispose();
    }
    parentPort.postMessage({});
  } catch (e) {
    parentPort.postMessage({ error: String(e?.message ?? e) });
  }
});
