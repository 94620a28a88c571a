#!/usr/bin/env node
// Test oracle: compiles a generated CAP project with the REAL @sap/cds (pinned in
// ./package.json) and prints what CAP itself makes of it, as ONE JSON object:
//
//   { "sql":      { "sqlite": [ "CREATE TABLE ...", "CREATE VIEW ...", ... ],  // cds.compile.to.sql
//                   "postgres": [ ... ], "hana": [ ... ] },   // per dialect: `cds compile --to sql --dialect D`
//     "edmx":     "<?xml ...>",                                    // cds.compile.to.edmx for the service
//     "messages": [ { "severity": "Error|Warning|Info|Debug", "message": "...",
//                     "location": { "file", "line", "col", "endLine", "endCol" } | null,
//                     "messageId": "...", "phase": "load|sql:<dialect>|edmx" } ],
//     "keywords": { "sqlite": [ "ABORT", ... ], "postgres": [ ... ], "hana": [ ... ] },  // what CAP quotes
//     "service":  "CatalogService",                                // the single service in the model
//     "path":     "/odata/v4/catalog" }                            // its OData path, as CAP computes it
//
// Usage: node tests/cap/compile.js <project-dir>   (the dir holds db/schema.cds and srv/service.cds)
// Exit 0 on success; exit 1 with the compiler's messages on stderr if compilation fails;
// exit 2 on usage errors.
'use strict'

const path = require('path')
const fs = require('fs')

const dirArg = process.argv[2]
if (!dirArg || process.argv.length > 3) {
  process.stderr.write('usage: node compile.js <project-dir>\n')
  process.exit(2)
}
const dir = path.resolve(dirArg)
if (!fs.existsSync(path.join(dir, 'db')) || !fs.existsSync(path.join(dir, 'srv'))) {
  process.stderr.write(`compile.js: ${dir} must contain db/ and srv/\n`)
  process.exit(2)
}

// Resolve @sap/cds from this script's folder (tests/cap/node_modules), never from the project.
const cds = require(require.resolve('@sap/cds', { paths: [__dirname] }))
// Make CAP behave as if `cds compile` ran inside the project: cds.env (package.json /
// .cdsrc.json of the project) and file names in messages are relative to it.
cds.root = dir

const messages = []
let phase = 'load'
const collected = [] // [phase, message] pairs, in order of appearance
function harvest() {
  for (const m of messages.splice(0)) collected.push([phase, m])
}

function render(phaseName, m) {
  const loc = m.$location
  let location = null
  if (loc && (loc.file || loc.line)) {
    location = { file: loc.file ?? null, line: loc.line ?? null, col: loc.col ?? null }
    if (loc.endLine != null) location.endLine = loc.endLine
    if (loc.endCol != null) location.endCol = loc.endCol
  }
  const out = { severity: m.severity, message: m.message, location }
  if (m.messageId) out.messageId = m.messageId
  if (m.home) out.home = m.home
  out.phase = phaseName
  return out
}

function fail(e) {
  harvest()
  const msgs = (e && e.messages) || []
  const head = String((e && e.message) || e).split('\n')[0]
  const lines = [`compile.js: failed in phase '${phase}': ${head}`]
  const seen = new Set()
  for (const m of [...collected.map(([, m]) => m), ...msgs]) {
    const s = typeof m.toString === 'function' ? m.toString() : JSON.stringify(m)
    if (seen.has(s)) continue
    seen.add(s)
    lines.push('  ' + s)
  }
  process.stderr.write(lines.join('\n') + '\n')
  process.exit(1)
}

;(async () => {
  const csn = await cds.load([path.join(dir, 'db'), path.join(dir, 'srv')], { messages })
  harvest()

  const services = Object.entries(csn.definitions || {})
    .filter(([, d]) => d.kind === 'service')
    .map(([name]) => name)
  if (services.length !== 1) {
    throw new Error(`expected exactly one service in the model, found ${services.length}: ${services.join(', ')}`)
  }
  const service = services[0]

  // The dialects cai-bridge writes DDL for. None needs its database's CAP plugin to
  // compile: the compiler (@sap/cds-compiler) renders every dialect itself.
  const sql = {}
  for (const dialect of ['sqlite', 'postgres', 'hana']) {
    phase = `sql:${dialect}`
    sql[dialect] = [].concat(cds.compile.to.sql(csn, { dialect, messages }))
    harvest()
  }

  phase = 'edmx'
  const edmx = cds.compile.to.edmx(csn, { service, messages })
  harvest()

  // The path CAP serves the service at: cds.service.protocols.path4() is what
  // cds.Service#path uses (honours @path, @odata/@protocol annotations, cds.env.protocols,
  // and otherwise slugifies the name: CatalogService -> /odata/v4/catalog).
  const def = csn.definitions[service]
  const servicePath = cds.service.protocols.path4({ definition: def, name: service })

  // The reserved words the compiler quotes in each dialect (its smartId's lists).
  const reserved = require(require.resolve('@sap/cds-compiler/lib/base/keywords', { paths: [__dirname] }))
  const keywords = Object.fromEntries(Object.keys(sql).map(d => [d, reserved[d]]))

  const out = {
    sql,
    keywords,
    edmx,
    messages: collected.map(([p, m]) => render(p, m)),
    service,
    path: servicePath ?? null,
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})().catch(fail)
