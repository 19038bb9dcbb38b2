#!/usr/bin/env node
/**
 * The `backprop` command line: train, evaluate, predict, bench, info, gradcheck, export.
 */
import { Command } from 'commander';
import { run } from './errors';
import { train, type TrainOptions } from './train';
import { evaluate, predict } from './use-model';
import { bench } from './bench';
import { info } from './info';
import { gradcheckCommand } from './gradcheck-cmd';
import { VERSION } from '../io/save';
// ONNX export
import { exportCommand, type ExportOptions } from './export-cmd';

const program = new Command();
program
  .name('backprop')
  .description('Train and run neural networks from the command line (native OpenBLAS or pure JS).')
  .version(VERSION)
  // `launch` hands everything after its script to the script; the program has no options of its own to lose.
  .enablePositionalOptions();
const verbose = () => process.argv.includes('--verbose');

program
  .command('train')
  .description('train a model from a CSV file, IDX files or a built-in dataset')
  .option('--data <file.csv>', 'CSV file with a header row')
  .option(
    '--target <column>',
    'the column to predict (CSV); with --input, name=column once per output of the --model-spec',
    (v: string, prev?: string | string[]) => (prev === undefined ? v : ([] as string[]).concat(prev, v)),
  )
  .option('--task <task>', 'classification or regression (default: guessed from the target)')
  .option('--data-idx <images.idx>', 'IDX images file (MNIST format)')
  .option('--labels-idx <labels.idx>', 'IDX labels file')
  .option('--dataset <name>', 'built-in dataset: digits or xor')
  .option('--test-split <fraction>', 'fraction of rows held out for testing (default 0.2)')
  .option('--test-data <file.csv>', 'a separate test CSV instead of a split')
  .option(
    '--layers <list>',
    'hidden layers, e.g. 128,64 (dense units; default 64) or conv32x3,conv64x3,maxpool2,flatten,dense128 ' +
      '(convNxK[sS][same], maxpoolN, avgpoolN, flatten, globalavgpool, batchnorm, dropoutR, denseN)',
  )
  .option('--activation <name>', 'hidden activation (default relu)')
  .option('--loss <name>', 'loss (default: sparseCategoricalCrossentropy or meanSquaredError)')
  .option('--optimizer <name>', 'sgd, momentum, rmsprop, adagrad, adam, adamw (default adam)')
  .option('--lr <rate>', 'learning rate (default 0.001)')
  .option('--epochs <n>', 'epochs (default 20)')
  .option('--batch-size <n>', 'batch size (default 32)')
  .option('--seed <n>', 'random seed (default 0)')
  .option('--normalize <kind>', 'standard, minmax or none (default standard for CSV)')
  .option('--backend <name>', 'native, wasm, js or auto')
  .option('--config <model.json>', 'read these options from a JSON file (command-line flags win)')
  .option('--out <dir>', 'save the trained model here (TF.js Layers format)')
  .option('--report <report.html>', 'write an HTML report with charts')
  .option('--json', 'print one JSON object per epoch (and a final one) instead of text')
  .option('--verbose', 'show stack traces on errors')
  // sequence models
  .option('--sequence-length <T>', 'rows are sequences: T steps of (columns / T) features; or ids per --text')
  .option('--rnn <cell>', 'recurrent layers for sequences: lstm, gru or simpleRNN (default lstm; --layers: units)')
  .option('--text <column>', 'a text column, tokenized into an Embedding → recurrent classifier')
  .option('--tokens <level>', 'for --text: word or char (default word)')
  .option('--vocabulary <n>', 'for --text: keep the n most frequent tokens (default 20000)')
  .option(
    '--transformer',
    'with --text <file.txt>: a character-level GPT over its lines (--layers <blocks>x<features>, default 4x128; ' +
      '--sequence-length: context, default 64)',
  )
  .option('--model-spec <spec.json>', 'the model as a JSON spec: { layers: [...], compile? } (bp.modelFromSpec)')
  .option(
    '--input <name=columns>',
    "with a functional --model-spec: the --data columns of the input 'name': a,b,c or first..last (once per input)",
    (v: string, prev?: string[]) => [...(prev ?? []), v],
  )
  // convolutional networks
  .option('--images <dir>', 'a folder of PNG/JPEG images, one subfolder per class (--test-data: a test folder)')
  .option('--image-size <HxW>', 'for --images: resize every image to H×W pixels, bilinear (default 256x256)')
  .option('--color-mode <mode>', 'for --images: grayscale, rgb or rgba (default rgb)')
  // data larger than memory
  .option('--stream', 'stream --data from disk (parsed in worker threads) instead of loading it into memory')
  .option('--shuffle-buffer <rows>', 'for --stream: rows in the shuffle buffer (default 10000)')
  .addHelpText(
    'after',
    `
Examples:
  $ backprop train --data iris.csv --target species --layers 16 --epochs 50 --out iris-model --report report.html
  $ backprop train --data houses.csv --target price --task regression --layers 64,32 --lr 0.003
  $ backprop train --dataset digits --layers 128 --epochs 10 --json
  $ backprop train --dataset digits --sequence-length 28 --layers 128 --epochs 5 --batch-size 64
  $ backprop train --data reviews.csv --text review --target sentiment --layers 64 --epochs 10 --out review-model
  $ backprop train --text names.txt --transformer --epochs 10 --out names-gpt
  $ backprop train --data series.csv --target next --task regression --model-spec model.json
  $ backprop train --data shop.csv --model-spec two-heads.json --input features=f0..f31 --input tokens=t0..t19 \\
      --target cls=label --target price=price --epochs 5 --out shop-model
  $ backprop train --dataset digits --layers conv32x3,conv64x3,maxpool2,flatten,dense128 --epochs 5 --batch-size 64
  $ backprop train --images photos --image-size 64x64 --layers conv16x3,maxpool2,conv32x3,globalavgpool --out m
  $ backprop train --data big.csv --target label --stream --layers 128,64 --epochs 3 --out big-model`,
  )
  .action((o: TrainOptions) => run(verbose(), () => train(o)));

program
  .command('evaluate')
  .description('loss and metrics of a saved model on a labelled CSV (or images, for a model trained on images)')
  .requiredOption('--model <dir>', 'model directory written by train --out')
  .option('--data <file.csv>', 'CSV with the same columns as the training data')
  // convolutional networks
  .option('--images <dir>', 'image model: a folder with one subfolder per class, named as in training')
  .option('--data-idx <images.idx>', 'image model: IDX images of the training size')
  .option('--labels-idx <labels.idx>', 'image model: IDX labels')
  .option('--target <column>', 'the target column (default: the one the model was trained on)')
  .option('--backend <name>', 'native, wasm, js or auto')
  .option('--json', 'print JSON')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText(
    'after',
    '\nExample:\n  $ backprop evaluate --model iris-model --data iris-test.csv --target species --json',
  )
  .action((o) => run(verbose(), () => evaluate(o)));

program
  .command('predict')
  .description('predictions of a saved model for each row of a CSV (or each image, for a model trained on images)')
  .requiredOption('--model <dir>', 'model directory written by train --out')
  .option('--data <file.csv>', 'CSV with the feature columns (a target column is ignored)')
  // convolutional networks
  .option('--images <dir>', 'image model: a folder of PNG/JPEG images (read recursively)')
  .option('--data-idx <images.idx>', 'image model: IDX images of the training size')
  .option('--out <predictions.csv>', 'write the predictions here (default: stdout)')
  .option('--backend <name>', 'native, wasm, js or auto')
  .option('--json', 'print JSON')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText(
    'after',
    '\nExample:\n  $ backprop predict --model iris-model --data new-flowers.csv --out predictions.csv',
  )
  .action((o) => run(verbose(), () => predict(o)));

program
  .command('bench')
  .description('native vs WebAssembly vs pure-JS benchmark: gemm, training steps, a full fit')
  .option('--quick', 'a short run (under 30 s)')
  .option('--json', 'print one JSON object')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText('after', '\nExamples:\n  $ backprop bench\n  $ backprop bench --quick --json > bench.json')
  .action((o) => run(verbose(), () => bench(o)));

program
  .command('info')
  .description('version, backend and why, BLAS and threads, CPU features, addon location')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ backprop info')
  .action((o) => run(verbose(), () => info(o)));

program
  .command('gradcheck')
  .description('finite-difference check of the gradients on a small random problem')
  .option('--config <model.json>', 'JSON: { inputs, layers: [8, 8], activation, outputs, loss, rows, seed }')
  .option('--json', 'print JSON')
  .addHelpText('after', '\nExample:\n  $ backprop gradcheck --config small.json')
  .action((o) => run(verbose(), () => gradcheckCommand(o)));

// ONNX export
program
  .command('export')
  .description('a saved model as an ONNX file (ONNX Runtime, other runtimes) and/or safetensors weights')
  .requiredOption('--model <dir>', 'model directory (written by train --out, model.save or the TF.js converter)')
  .option('--onnx <model.onnx>', 'write the model as ONNX here')
  .option('--opset <n>', 'ONNX operator set, 13 to 21 (default 17)')
  .option('--safetensors <file>', 'write the weights in the safetensors format here')
  .option('--json', 'print JSON')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText(
    'after',
    '\nExamples:\n  $ backprop export --model iris-model --onnx iris.onnx\n' +
      '  $ backprop export --model iris-model --onnx iris.onnx --opset 13 --safetensors iris.safetensors --json',
  )
  .action((o: ExportOptions) => run(verbose(), () => exportCommand(o)));

// one model on many machines: start the ranks of a data-parallel run
import { launch } from './launch';

program
  .command('launch')
  .description('start the ranks of a data-parallel run (bp.distributed) on this machine, as torchrun')
  .argument('<script>', 'the training script each rank runs with node')
  .argument('[args...]', "the script's own arguments")
  .option('--nproc <n>', 'ranks on this machine')
  .option('--nnodes <m>', 'machines taking part (default 1)')
  .option('--node-rank <r>', "this machine's number, 0..nnodes-1 (default 0)")
  .option('--store <dir|url>', 'rendezvous: a directory every rank sees or redis:// (one machine: a temporary dir)')
  .option('--iface <name|address>', 'the network interface or address the ranks use (one machine: 127.0.0.1)')
  .option('--run-id <id>', 'names this run in the store, the same on every machine (one machine: random)')
  .option('--threads <n>', 'BLAS threads per rank (default 1)')
  .option('--timeout-ms <ms>', 'how long a rank waits for a peer before the group fails (default 60000)')
  .option('--bind <auto|none>', 'auto: each rank on its own block of CPUs when they go round (default); none', 'auto')
  .option('--cpus-per-rank <n>', 'with --bind auto: CPUs in each block (default: an equal share of them)')
  .passThroughOptions()
  .addHelpText(
    'after',
    '\nExamples:\n  $ backprop launch --nproc 2 train.js --epochs 5\n' +
      '  $ backprop launch --nproc 4 --nnodes 2 --node-rank 0 --store /mnt/shared/rdv --iface eth0 ' +
      '--run-id exp7 train.js',
  )
  .action((script: string, args: string[], o) => run(verbose(), () => launch(script, args, o)));

// scale-out: the job queue on Redis (worker, submit, status, sweep)
import { statusCommand, submitCommand, sweepCommand, workerCommand } from './queue';

const redisHelp = 'Redis URL, redis://[:password@]host:port[/db] or rediss:// for TLS (default: BACKPROP_REDIS)';
const storeHelp = 'the store: a directory shared by every worker and client (default: BACKPROP_STORE)';

program
  .command('worker')
  .description('train jobs from a Redis queue until SIGTERM (then hand running jobs back and exit)')
  .option('--redis <url>', redisHelp)
  .option('--queue <name>', 'queue name (default backprop)')
  .option('--store <dir>', storeHelp)
  .option('--concurrency <n>', 'jobs trained at once, one thread each (default 1)')
  .option('--threads <n>', 'BLAS threads per job (default cores / concurrency; 1 for bit-identical resumes)')
  .option('--backend <name>', 'native, wasm, js or auto')
  .option('--lock-ms <ms>', "a dead worker's jobs go to another after about this long (default 30000)")
  .option('--max-parameters <n>', 'refuse models with more parameters')
  .option('--max-job-seconds <s>', 'stop and fail a job running longer (default 86400: a day)')
  .option(
    '--worker-memory-mb <mb>',
    "memory limit of each job: heap and typed arrays (default: half the machine's / concurrency)",
  )
  .option('--iface <name|address>', 'network interface or address for the ranks of multi-rank jobs (none: takes none)')
  .option('--rank-timeout-ms <ms>', 'multi-rank jobs: wait for a group to form, and for a lost peer (default 60000)')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText(
    'after',
    '\nExamples:\n  $ backprop worker --redis redis://10.0.0.5:6379 --store /mnt/shared/backprop --threads 1\n' +
      '  $ backprop worker --redis redis://10.0.0.5:6379 --store /mnt/shared/backprop --threads 1 --iface eth0',
  )
  .action((o) => run(verbose(), () => workerCommand(o)));

program
  .command('submit')
  .description('check a JSON job spec and queue it')
  .option('--redis <url>', redisHelp)
  .option('--queue <name>', 'queue name (default backprop)')
  .option('--store <dir>', `${storeHelp}; given, the spec's paths are checked here before queueing`)
  .option('--spec <job.json>', 'the job spec: { model, data, fit?, checkpointEvery?, seed? }')
  .option('--ranks <n>', 'train the job on n worker slots at once, data-parallel (fit.batchSize is per rank)')
  .option('--wait', 'follow the job to its end (exit 1 unless it completes)')
  .option('--json', 'print JSON lines')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText('after', '\nExample:\n  $ backprop submit --redis redis://10.0.0.5:6379 --spec iris-job.json --wait')
  .action((o) => run(verbose(), () => submitCommand(o)));

program
  .command('status [id]')
  .description("a job's status, or the queue's jobs (newest first)")
  .option('--redis <url>', redisHelp)
  .option('--queue <name>', 'queue name (default backprop)')
  .option('--limit <n>', 'jobs listed at most (default 100)')
  .option('--json', 'print JSON')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText('after', '\nExample:\n  $ backprop status --redis redis://10.0.0.5:6379 --json')
  .action((id, o) => run(verbose(), () => statusCommand(o, id)));

program
  .command('sweep')
  .description('run every combination of a grid across the workers and rank the runs')
  .option('--redis <url>', redisHelp)
  .option('--queue <name>', 'queue name (default backprop)')
  .option('--store <dir>', storeHelp)
  .option('--spec <sweep.json>', "{ base: job spec, grid: { 'fit.batchSize': [32, 64] }, metric: 'val_loss' }")
  .option('--json', 'print JSON')
  .option('--verbose', 'show stack traces on errors')
  .addHelpText('after', '\nExample:\n  $ backprop sweep --redis redis://10.0.0.5:6379 --spec sweep.json')
  .action((o) => run(verbose(), () => sweepCommand(o)));

program.parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`backprop: ${e.message}\n`);
  process.exitCode = 1;
});
