// Submits request events to millrace.requests with kafkajs and prints their committed results:
// what any team's Node service does to use Millrace, with no Millrace code on its side.
//
//   node tools/kafka-client/submit.mjs --bootstrap localhost:9092 < requests.jsonl
//
// Each stdin line is one request event (see the README's "Topic contract"); its record key is its
// request_id, as the contract asks. Results are read from millrace.results with read_committed
// (kafkajs' default isolation), so only results whose worker transaction committed are seen. For each
// submitted request one line "<request_id>\t<result JSON>" is printed, in the order results arrive;
// the exit code is 0 when every request has a result, 1 on timeout (the missing ids go to stderr),
// 2 on wrong usage.
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { createInterface } from 'node:readline';
import { randomUUID } from 'node:crypto';

function usage(message) {
  process.stderr.write(`submit.mjs: ${message}\n` +
    'usage: node submit.mjs --bootstrap HOST:PORT [--timeout-ms 90000] < requests.jsonl\n');
  process.exit(2);
}

const args = process.argv.slice(2);
let bootstrap = null;
let timeoutMs = 90_000;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--bootstrap') bootstrap = args[++i];
  else if (args[i] === '--timeout-ms') timeoutMs = Number(args[++i]);
  else usage(`unknown argument '${args[i]}'`);
}
if (!bootstrap) usage('--bootstrap is required');
if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage('--timeout-ms must be a positive number');

const events = [];
let lineNo = 0;
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  lineNo++;
  if (line.trim() === '') continue;
  let event;
  try {
    event = JSON.parse(line);
  } catch (e) {
    usage(`stdin line ${lineNo} is not JSON (${e.message}): give one request event per line`);
  }
  if (typeof event.request_id !== 'string' || event.request_id === '') {
    usage(`stdin line ${lineNo} has no request_id: every request event needs one (it is also the record key)`);
  }
  events.push({ key: event.request_id, value: line });
}
if (events.length === 0) usage('no request events on stdin');

const kafka = new Kafka({ clientId: 'millrace-kafkajs-client', brokers: bootstrap.split(','), logLevel: logLevel.ERROR });
// The Java client's partitioner (murmur2), so a request id lands on the partition a Java producer
// would pick: the router's dedup is per partition.
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true });
const consumer = kafka.consumer({ groupId: `millrace-kafkajs-${randomUUID()}` });
const pending = new Set(events.map((e) => e.key));

let finish;
const done = new Promise((resolve) => { finish = resolve; });
const timer = setTimeout(() => finish(false), timeoutMs);
consumer.on(consumer.events.CRASH, (e) => {
  process.stderr.write(`submit.mjs: the consumer crashed: ${e.payload.error}\n`);
  finish(false);
});

try {
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: 'millrace.results', fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.key?.toString();
      if (key !== undefined && pending.delete(key)) {
        process.stdout.write(`${key}\t${message.value.toString()}\n`);
        if (pending.size === 0) finish(true);
      }
    },
  });
  await producer.send({ topic: 'millrace.requests', acks: -1, messages: events });
  const ok = await done;
  if (!ok) {
    process.stderr.write(`submit.mjs: no result within ${timeoutMs} ms for: ${[...pending].join(', ')}\n`);
  }
  process.exitCode = ok ? 0 : 1;
} finally {
  clearTimeout(timer);
  await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
}
