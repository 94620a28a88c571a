#!/usr/bin/env node
// Test oracle: serves a generated CAP project with the REAL @sap/cds (pinned in ./package.json)
// against an EXISTING SQLite file (no deploy, nothing written to it), reads entity sets over
// HTTP on 127.0.0.1, and prints ONE JSON object:
//
//   { "<EntitySet>": { "status": 200, "count": N, "value": [ ...rows ] },
//     "$metadata":   { "status": 200 },
//     "$path":       "/odata/v4/catalog" }
//
// count is the number of rows in this response (value.length; CAP pages at 1000 rows, so a
// response with a next link also carries "nextLink"). A non-200 answer carries "body" instead
// of "value". Usage:
//
//   node tests/cap/serve-check.js <project-dir> <sqlite-file | postgres://…> <EntitySet | relative URL>...
//
// A postgres://user[:password]@host:port/database URL serves that database with
// @cap-js/postgres (kind 'postgres'), as `cds serve` with cds.requires.db would.
//
// A bare entity set name is read with ?$top=1000; any other argument is a URL relative to
// the service path (`Conversations?$filter=...`, `Messages/$count`, `Conversations('id')`),
// sent as given. A 200 with an entity (not a collection) carries "entity"; a collection may
// carry "odataCount" (@odata.count) and "context" (@odata.context). Every entry has
// "contentType", its Content-Type header, and "type", the media type without parameters
// ("" when it has no body, as a 204). An argument `POST <relative>\n<content type>\n\n<body>`
// is posted (a $batch, say) and its answer reported as "text".
//
// Authentication is CAP's "dummy" strategy (every request is a privileged user), so
// @requires/@restrict annotations do not hide rows: this checks data, not authorization.
// Exit 0 when everything answered (whatever the statuses), 1 when CAP failed to start or a
// request failed at the HTTP level, 2 on usage errors.
'use strict'

const path = require('path')
const fs = require('fs')
const http = require('http')

const [dirArg, dbArg, ...entitySets] = process.argv.slice(2)
if (!dirArg || !dbArg) {
  process.stderr.write('usage: node serve-check.js <project-dir> <sqlite-file> <EntitySet>...\n')
  process.exit(2)
}
const dir = path.resolve(dirArg)
// A postgres:// URL serves that database with @cap-js/postgres instead of a file.
const pgUrl = /^postgres(ql)?:\/\//.test(dbArg) ? new URL(dbArg) : null
const dbFile = pgUrl ? null : path.resolve(dbArg)
if (!pgUrl && !fs.existsSync(dbFile)) {
  // @cap-js/sqlite would silently create an empty database: refuse instead.
  process.stderr.write(`serve-check.js: no such SQLite file: ${dbFile}\n`)
  process.exit(2)
}

const capRequire = (id) => require(require.resolve(id, { paths: [__dirname] }))
const cds = capRequire('@sap/cds')
// express is a dependency of @sap/cds itself: resolve it from there, not from the project.
const express = require(require.resolve('express', { paths: [path.dirname(require.resolve('@sap/cds/package.json', { paths: [__dirname] }))] }))

cds.root = dir // cds.env (package.json/.cdsrc.json of the project) as `cds serve` would see it
cds.env.requires.db = pgUrl
  ? {
      kind: 'postgres',
      impl: '@cap-js/postgres',
      credentials: {
        host: pgUrl.hostname,
        port: Number(pgUrl.port || 5432),
        user: decodeURIComponent(pgUrl.username),
        ...(pgUrl.password ? { password: decodeURIComponent(pgUrl.password) } : {}),
        database: pgUrl.pathname.slice(1),
      },
    }
  : { kind: 'sqlite', impl: '@cap-js/sqlite', credentials: { url: dbFile } }
cds.env.requires.auth = { kind: 'dummy' }
// Keep stdout for our JSON only: CAP logs to the console.
for (const id of ['cds', 'serve', 'server', 'sqlite', 'postgres', 'db', 'odata', 'app', 'cds.serve', 'adapters']) {
  cds.log(id, 'warn')
}

function get(port, urlPath) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, headers: { accept: urlPath.endsWith('$metadata') ? 'application/xml' : 'application/json' } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.setTimeout(30000, () => req.destroy(new Error(`timeout on ${urlPath}`)))
  })
}

function post(port, urlPath, contentType, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method: 'POST', headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
    })
    req.on('error', reject)
    req.setTimeout(30000, () => req.destroy(new Error(`timeout on POST ${urlPath}`)))
    req.end(body)
  })
}

let server
async function main() {
  const csn = await cds.load([path.join(dir, 'db'), path.join(dir, 'srv')])
  cds.model = cds.compile.for.nodejs(csn)
  cds.db = await cds.connect.to('db')

  const app = express()
  const served = await cds.serve('all').from(cds.model).in(app)
  const services = served && served.name ? [served] : Object.values(served || {})
  const providers = services.filter((s) => s.path)
  if (providers.length !== 1) {
    throw new Error(`expected exactly one served service, found ${providers.length}: ${providers.map((s) => s.name).join(', ')}`)
  }
  const srvPath = providers[0].path
  await cds.emit('served', cds.services)

  server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s))
    s.on('error', reject)
  })
  const { port } = server.address()

  const out = {}
  for (const es of entitySets) {
    // `POST <relative>\n<content type>\n\n<body>` posts the body and reports the answer
    // as text ("text"), headers and all left to the caller to parse.
    if (es.startsWith('POST ')) {
      const [head, ...rest] = es.split('\n\n')
      const [line, contentType] = head.split('\n')
      const r = await post(port, `${srvPath}/${line.slice(5)}`, contentType, rest.join('\n\n'))
      out[es] = { status: r.status, contentType: r.headers['content-type'], text: r.body }
      continue
    }
    // A bare entity set name reads the set; anything else is a URL relative to the service.
    const relative = /^[A-Za-z_][A-Za-z0-9_]*$/.test(es) ? `${es}?$top=1000` : es
    const r = await get(port, `${srvPath}/${relative}`)
    const entry = { status: r.status, contentType: r.headers['content-type'], type: (r.headers['content-type'] || '').split(';')[0].trim() }
    let json
    try { json = JSON.parse(r.body) } catch { json = undefined }
    if (r.status === 200 && json && Array.isArray(json.value)) {
      entry.count = json.value.length
      entry.value = json.value
      if (json['@odata.nextLink']) entry.nextLink = json['@odata.nextLink']
      if (json['@odata.count'] !== undefined) entry.odataCount = json['@odata.count']
      if (json['@odata.context'] !== undefined) entry.context = json['@odata.context']
    } else if (r.status === 200 && json && typeof json === 'object') {
      entry.entity = json
    } else {
      entry.body = json === undefined ? r.body : json
    }
    out[es] = entry
  }
  const meta = await get(port, `${srvPath}/$metadata`)
  out.$metadata = meta.status === 200 ? { status: 200 } : { status: meta.status, body: meta.body }
  out.$path = srvPath
  // Wait for the pipe to take it all: process.exit() would cut a large answer at 64 KiB.
  await new Promise((resolve) => process.stdout.write(JSON.stringify(out) + '\n', resolve))
}

async function stop() {
  if (server) await new Promise((r) => server.close(() => r()))
  try { await cds.db?.disconnect?.() } catch { /* closing is best effort */ }
}

main().then(
  async () => { await stop(); process.exit(0) },
  async (e) => {
    process.stderr.write(`serve-check.js: ${(e && e.stack) || e}\n`)
    await stop()
    process.exit(1)
  },
)
