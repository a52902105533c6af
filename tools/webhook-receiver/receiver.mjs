// A webhook receiver for Millrace's ITs, on 127.0.0.1 only. Every delivery is verified with the
// standardwebhooks package (an implementation independent of Millrace's signer) against each
// configured secret; the receiver is idempotent on webhook-id, as Standard Webhooks asks receivers
// to be. Behaviour per path:
//   /ok/...       answers 503 (Retry-After: 1) to the first `failFirst` attempts of each event, then 200
//   /gone/...     answers 410 Gone
//   /redirect/... answers 302 to `redirectTo` (a follower would hit that other port)
// Control: POST /_config {"path": "/ok/acme", "secrets": [...]} sets the secrets that deliveries to
// that path must verify with (each of them); {"failFirst": n, "redirectTo": url} the behaviour.
// GET /_state.
// Prints {"listening": port} once bound.
import http from "node:http";
import { Webhook } from "standardwebhooks";

let config = { failFirst: 0, redirectTo: null };
const secretsByPath = new Map(); // delivery path -> secrets that must each verify
const attempts = new Map(); // webhook-id -> attempts seen
const accepted = new Map(); // webhook-id -> the event as accepted (first time only)
let duplicates = 0;
const problems = [];        // unverifiable or stale deliveries, for the test to assert empty
const log = [];

function verifyAll(path, body, headers) {
  const secrets = secretsByPath.get(path);
  if (!secrets) {
    return ["no secret configured for " + path];
  }
  return secrets.map((secret) => {
    try {
      new Webhook(secret).verify(body, {
        "webhook-id": headers["webhook-id"],
        "webhook-timestamp": headers["webhook-timestamp"],
        "webhook-signature": headers["webhook-signature"],
      });
      return true; // signature matches and the timestamp is within the package's 5-minute tolerance
    } catch (e) {
      return String(e.message || e);
    }
  });
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    if (req.url === "/_config" && req.method === "POST") {
      const c = JSON.parse(body);
      if (c.path) {
        secretsByPath.set(c.path, c.secrets);
      }
      if (c.failFirst !== undefined) config.failFirst = c.failFirst;
      if (c.redirectTo !== undefined) config.redirectTo = c.redirectTo;
      res.writeHead(200).end("{}");
      return;
    }
    if (req.url === "/_state") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({
        accepted: Object.fromEntries(accepted), attempts: Object.fromEntries(attempts), duplicates, problems, log,
      }));
      return;
    }
    const id = req.headers["webhook-id"];
    const n = (attempts.get(id) || 0) + 1;
    attempts.set(id, n);
    const verified = verifyAll(req.url, body, req.headers);
    const entry = { path: req.url, id, attempt: n, verified, timestamp: req.headers["webhook-timestamp"] };
    log.push(entry);
    if (!verified.every((v) => v === true)) {
      problems.push(entry);
      res.writeHead(400).end("bad signature");
      return;
    }
    if (req.url.startsWith("/gone")) {
      res.writeHead(410).end("gone");
      return;
    }
    if (req.url.startsWith("/redirect")) {
      res.writeHead(302, { location: config.redirectTo }).end();
      return;
    }
    if (n <= config.failFirst) {
      res.writeHead(503, { "retry-after": "1" }).end("try later");
      return;
    }
    if (accepted.has(id)) {
      duplicates++;
    } else {
      accepted.set(id, JSON.parse(body));
    }
    res.writeHead(200).end("ok");
  });
});
server.listen(0, "127.0.0.1", () => {
  console.log(JSON.stringify({ listening: server.address().port }));
});
