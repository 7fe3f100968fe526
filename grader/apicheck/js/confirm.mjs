// Confirm TypeScript's findings in THIS Node (grader/apicheck/javascript.py runs it once per
// check): the types can lag the runtime (a newer Node has Object.groupBy), so each "X has no
// member y" is looked up on the real object before the learner is told.
//
// stdin:  {"base": "<folder of the checked snippet>", "items": [
//            {"kind": "member", "type": "Response", "name": "json_safe"},
//            {"kind": "export", "module": "node:fs/promises", "name": "nopeFile"},
//            {"kind": "option", "type": "RequestInit", "name": "timeout"},
//            {"kind": "builtin", "name": "node:fss"}]}
// stdout: {"node": "20.20.2", "results": [{"resolved": true, "owner": "Response",
//            "has": false, "names": [...], "library": "node", "version": "20.20.2"}, ...]}
// An item whose type or module cannot be mapped to a runtime object gives {"resolved": false}.
//
// Nothing here runs the learner's code: only Node's globals, its built-in modules and
// packages installed under a node_modules folder are imported (never a relative path, so
// never the snippet itself), and option objects are probed with a Proxy that only records
// which keys the constructor reads.
import { builtinModules, createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join, sep } from "node:path";
import { pathToFileURL } from "node:url";

const NODE = process.versions.node;
const BARE = /^(@[\w.-]+\/)?[\w.-]+(\/[\w.\/-]+)?$/;

// Objects whose own prototype-chain names are noise as suggestions (toString, constructor...).
const STOP = new Set([Object.prototype, Function.prototype, null]);

function chainNames(target) {
  const names = new Set();
  for (let o = Object(target); !STOP.has(o); o = Object.getPrototypeOf(o)) {
    for (const key of Object.getOwnPropertyNames(o)) {
      if (key !== "constructor" && !key.startsWith("__")) names.add(key);
    }
  }
  return [...names];
}

function nodeLib(owner, target) {
  return { resolved: true, owner, target, library: "node", version: NODE };
}

// A primitive type or literal type as TypeScript prints it: "abc", 5, true, 5n, `${string}`.
function primitive(text) {
  if (text === "string" || /^["'`]/.test(text)) return nodeLib("String", String.prototype);
  if (text === "bigint" || /^-?\d+n$/.test(text)) return nodeLib("BigInt", BigInt.prototype);
  if (text === "number" || /^-?(\d|Infinity|NaN)/.test(text)) {
    return nodeLib("Number", Number.prototype);
  }
  if (["boolean", "true", "false"].includes(text)) return nodeLib("Boolean", Boolean.prototype);
  return null;
}

// TypeScript's type text -> the runtime object whose members the type describes.
function resolveType(raw) {
  const text = raw.trim().replace(/^readonly /, "");
  const prim = primitive(text);
  if (prim) return prim;
  if (text.endsWith("[]") || text.startsWith("[")) return nodeLib("Array", Array.prototype);
  let match = /^typeof ([A-Za-z_$][\w$]*)$/.exec(text);
  if (match && match[1] in globalThis) return nodeLib(match[1], globalThis[match[1]]);
  match = /^([A-Za-z_$][\w$]*)Constructor$/.exec(text);
  if (match && typeof globalThis[match[1]] === "function") {
    return { ...nodeLib(match[1], globalThis[match[1]]), static: true };
  }
  match = /^([A-Za-z_$][\w$]*)(<.*>)?$/.exec(text);
  if (!match) return null;
  const name = match[1];
  const value = globalThis[name];
  if (typeof value === "function" && value.prototype) {
    const found = nodeLib(name, value.prototype);
    // Promise<Response>.json: the member may live on what the promise resolves to.
    if (name === "Promise" && match[2]) found.inner = match[2].slice(1, -1);
    return found;
  }
  if (value !== null && typeof value === "object") return nodeLib(name, value);
  const lower = name[0].toLowerCase() + name.slice(1); // Console -> console, Process -> process
  const object = globalThis[lower];
  if (object !== null && typeof object === "object") return nodeLib(lower, object);
  return null;
}

// The folder of an installed package holding `file`, and its package.json.
function packageOf(file, spec) {
  const name = spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0];
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const meta = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      if (meta.name === name) return { library: name, version: String(meta.version ?? "") };
    } catch {
      // no package.json here: keep walking up
    }
  }
  return { library: name, version: "" };
}

async function loadModule(spec, base) {
  const bare = spec.replace(/^node:/, "");
  if (spec.startsWith("node:") || builtinModules.includes(bare)) {
    return { ...nodeLib(spec, await import(spec.startsWith("node:") ? spec : `node:${spec}`)) };
  }
  if (!BARE.test(spec) || spec.startsWith(".")) return null;
  let file;
  try {
    file = createRequire(join(base, "snippet.cjs")).resolve(spec);
  } catch {
    return null; // ESM-only exports, or not installed: not checkable here
  }
  if (!file.includes(`${sep}node_modules${sep}`)) return null;
  const { library, version } = packageOf(file, spec);
  return { resolved: true, owner: spec, target: await import(pathToFileURL(file).href), library, version };
}

function moduleNames(ns) {
  const names = new Set(Object.keys(ns));
  const dflt = ns.default;
  if (dflt && (typeof dflt === "object" || typeof dflt === "function")) {
    for (const key of Object.keys(dflt)) names.add(key);
  }
  names.delete("default");
  return [...names];
}

// Which option keys a constructor reads: the keys Node's own code asks the Proxy for.
const PROBES = {
  RequestInit: (init) => new Request("http://localhost/", init),
  ResponseInit: (init) => new Response(null, init),
  ResponseInitWithoutBody: (init) => new Response(null, init),
};

function probeOptions(type) {
  const probe = PROBES[type.replace(/<.*>$/, "")];
  if (!probe) return null;
  const read = new Set();
  const init = new Proxy({}, {
    get(_, key) { if (typeof key === "string") read.add(key); return undefined; },
    has(_, key) { if (typeof key === "string") read.add(key); return false; },
  });
  try {
    probe(init);
  } catch {
    return null;
  }
  return { ...nodeLib(type, null), names: [...read] };
}

function describe(found, name) {
  if (found.names) return { ...found, target: undefined, has: found.names.includes(name) };
  const target = Object(found.target);
  const names = found.static ? Object.getOwnPropertyNames(target) : chainNames(target);
  return { ...found, target: undefined, has: name in target, names };
}

async function confirmExport(spec, name, base) {
  const found = await loadModule(spec, base);
  if (!found) return { resolved: false };
  const names = moduleNames(found.target);
  return { ...found, target: undefined, has: names.includes(name), names };
}

async function confirm(item, base) {
  const type = String(item.type ?? "");
  const name = String(item.name ?? "");
  if (item.kind === "option") {
    const probed = probeOptions(type);
    return probed ? describe(probed, name) : { resolved: false };
  }
  if (item.kind === "export") return confirmExport(String(item.module), name, base);
  if (item.kind === "builtin") {
    const names = builtinModules.filter((n) => !n.startsWith("_")).map((n) => `node:${n}`);
    const has = builtinModules.includes(name.replace(/^node:/, ""));
    return { ...nodeLib("node", null), target: undefined, has, names };
  }
  const module = /^typeof import\("(.*)"\)$/.exec(type);
  if (module) return confirmExport(module[1], name, base);
  const found = resolveType(type);
  if (!found) return { resolved: false };
  const result = describe(found, name);
  if (found.inner) {
    const inner = resolveType(found.inner);
    if (inner) result.inner = { owner: inner.owner, has: describe(inner, name).has };
  }
  return result;
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const request = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  const results = [];
  for (const item of request.items ?? []) {
    try {
      results.push(await confirm(item, String(request.base ?? process.cwd())));
    } catch (error) {
      results.push({ resolved: false, error: String(error) });
    }
  }
  process.stdout.write(JSON.stringify({ node: NODE, results }));
}

await main();
