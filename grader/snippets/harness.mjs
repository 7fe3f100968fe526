// The course's harness for one call of a learner's JavaScript function (grader/snippets/node.py).
// argv: MODULE_PATH EXPORT_NAME ANSWER_FD; the arguments arrive as a JSON array on stdin.
// The answer is one JSON line on ANSWER_FD: {"value": ...} | {"error": {...}} |
// {"missing": "..."} | {"crash": "..."}. An unhandled rejection or uncaught exception ends
// the process, as it would in production (Node 15+), after saying so on ANSWER_FD.
import fs from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, exportName, fdText] = process.argv.slice(2);
const answerFd = Number(fdText);
let answered = false;

function say(message) {
  if (answered) return;
  answered = true;
  let line;
  try {
    line = JSON.stringify(message, (_k, v) => (typeof v === "bigint" ? { __t__: "bigint", text: String(v) } : v));
  } catch (err) {
    line = JSON.stringify({ error: { types: ["TypeError"], message: `the return value cannot be sent: ${err}` } });
  }
  fs.writeSync(answerFd, line + "\n");
}

function describe(err) {
  const types = [];
  for (let p = err; p && types.length < 10; p = Object.getPrototypeOf(p)) {
    const name = p?.constructor?.name;
    if (name && name !== "Object" && !types.includes(name)) types.push(name);
  }
  if (err && typeof err === "object" && typeof err.name === "string" && !types.includes(err.name)) {
    types.unshift(err.name);
  }
  const text = err instanceof Error ? err.message : String(err);
  const cause = err?.cause ? ` (cause: ${err.cause?.code ?? err.cause?.message ?? String(err.cause)})` : "";
  return { types: types.length ? types : [typeof err], message: (text + cause).slice(0, 2000) };
}

function crash(kind) {
  return (err) => {
    const d = describe(err);
    const wasAnswered = answered;
    answered = false;  // a crash after the answer still has to be told
    say({ crash: `${kind}: ${d.types[0]}: ${d.message}`, after_answer: wasAnswered });
    process.exit(70);
  };
}
process.on("unhandledRejection", crash("unhandled rejection"));
process.on("uncaughtException", crash("uncaught exception"));

const args = JSON.parse(fs.readFileSync(0, "utf8") || "[]");
let mod;
try {
  mod = await import(pathToFileURL(modulePath).href);
} catch (err) {
  say({ missing: `${modulePath} did not load: ${describe(err).types[0]}: ${describe(err).message}` });
  process.exit(0);
}
const fn = mod[exportName];
if (typeof fn !== "function") {
  say({ missing: `the module exports no function named ${exportName}` });
  process.exit(0);
}
try {
  const value = await fn(...args);
  say({ value: value === undefined ? null : value });
} catch (err) {
  say({ error: describe(err) });
}
// A short grace for what the call left behind (a promise rejected later, an open timer):
// a rejection nobody handles ends a real Node process too. Then stop, whatever is pending.
setTimeout(() => process.exit(0), 150).unref();
setTimeout(() => process.exit(0), 150);
