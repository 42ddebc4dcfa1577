import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, it } from 'node:test'

const CLI = fileURLToPath(new URL('../../../src/replay/cli.ts', import.meta.url))

function runCli(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 })
}

describe('replay CLI', () => {
  it('prints help with --help', () => {
    const result = runCli('--help')
    assert.equal(result.status, 0)
    assert.match(result.stdout, /^Usage: node src\/replay\/cli\.ts --url URL/)
    assert.match(result.stdout, /--limit N/)
  })

  it('rejects a missing --url', () => {
    const result = runCli('--limit', '5')
    assert.equal(result.status, 2)
    assert.match(result.stderr, /--url is required/)
  })

  it('rejects a limit that is not positive', () => {
    const result = runCli('--url', 'http://127.0.0.1:1', '--limit', '0')
    assert.equal(result.status, 2)
    assert.match(result.stderr, /--limit must be a positive integer \(got "0"\)/)
  })

  it('rejects an unknown option', () => {
    const result = runCli('--url', 'http://127.0.0.1:1', '--speed', 'fast')
    assert.equal(result.status, 2)
    assert.match(result.stderr, /Unknown option '--speed'/)
  })

  it('rejects a folder without LOBSTER files', () => {
    const result = runCli('--url', 'http://127.0.0.1:1', '--dir', fileURLToPath(new URL('.', import.meta.url)))
    assert.equal(result.status, 2)
    assert.match(result.stderr, /^cannot read LOBSTER files: expected exactly one \*_message_<N>\.csv file/)
  })
})
