#!/usr/bin/env node
// bench/run's CAP contender: serves a generated CAP project (cap/db + cap/srv) with the
// real @sap/cds from tests/cap (pinned there) on an existing SQLite file, as `cds serve`
// does in production (no deploy, nothing written), until SIGTERM. It prints
// `PORT=<n>` once it listens. Authentication is CAP's "dummy" strategy: the bench
// measures serving, and our bridge's token check is counted against it.
//
//   node bench/cap-serve.js <cap-project-dir> <sqlite-file> <cap-toolchain-dir>
'use strict'

const path = require('path')
const fs = require('fs')

const [dirArg, dbArg, toolchainArg] = process.argv.slice(2)
if (!dirArg || !dbArg || !toolchainArg) {
  process.stderr.write('usage: node bench/cap-serve.js <cap-project-dir> <sqlite-file> <cap-toolchain-dir>\n')
  process.exit(2)
}
const dbFile = path.resolve(dbArg)
if (!fs.existsSync(dbFile)) {
  // @cap-js/sqlite would silently create an empty database: refuse instead.
  process.stderr.write(`cap-serve.js: no such SQLite file: ${dbFile}\n`)
  process.exit(2)
}
const toolchain = path.resolve(toolchainArg)
const cds = require(require.resolve('@sap/cds', { paths: [toolchain] }))
const express = require(require.resolve('express', { paths: [path.dirname(require.resolve('@sap/cds/package.json', { paths: [toolchain] }))] }))

const dir = path.resolve(dirArg)
cds.root = dir
cds.env.requires.db = { kind: 'sqlite', impl: require.resolve('@cap-js/sqlite', { paths: [toolchain] }), credentials: { url: dbFile } }
cds.env.requires.auth = { kind: 'dummy' }
for (const id of ['cds', 'serve', 'server', 'sqlite', 'db', 'odata', 'app', 'cds.serve', 'adapters']) {
  cds.log(id, 'warn')
}

async function main() {
  const csn = await cds.load([path.join(dir, 'db'), path.join(dir, 'srv')])
  cds.model = cds.compile.for.nodejs(csn)
  cds.db = await cds.connect.to('db')
  const app = express()
  await cds.serve('all').from(cds.model).in(app)
  await cds.emit('served', cds.services)
  const server = app.listen(0, '127.0.0.1', () => process.stdout.write(`PORT=${server.address().port}\n`))
  process.on('SIGTERM', () => server.close(() => process.exit(0)))
}

main().catch((e) => {
  process.stderr.write(`cap-serve.js: ${e.stack || e}\n`)
  process.exit(1)
})
