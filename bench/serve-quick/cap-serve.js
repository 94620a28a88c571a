// cap-serve.js <project-dir> <sqlite-file> <port>: a quick benchmark helper, not a test: CAP
// (tests/cap, started as tests/cap/serve-check.js starts it) serving a file on HTTP until killed.
'use strict'
const path = require('path')
const CAP = path.join(__dirname, '../../tests/cap')
const capRequire = (id) => require(require.resolve(id, { paths: [CAP] }))
const cds = capRequire('@sap/cds')
const express = require(require.resolve('express', { paths: [path.dirname(require.resolve('@sap/cds/package.json', { paths: [CAP] }))] }))
const [dir, db, port] = process.argv.slice(2)
cds.root = path.resolve(dir)
cds.env.requires.db = { kind: 'sqlite', impl: '@cap-js/sqlite', credentials: { url: path.resolve(db) } }
cds.env.requires.auth = { kind: 'dummy' }
for (const id of ['cds', 'serve', 'server', 'sqlite', 'db', 'odata', 'app', 'cds.serve', 'adapters']) cds.log(id, 'warn')
;(async () => {
  const csn = await cds.load([path.join(cds.root, 'db'), path.join(cds.root, 'srv')])
  cds.model = cds.compile.for.nodejs(csn)
  cds.db = await cds.connect.to('db')
  const app = express()
  await cds.serve('all').from(cds.model).in(app)
  await cds.emit('served', cds.services)
  app.listen(Number(port), '127.0.0.1', () => console.log('listening', port))
})()
