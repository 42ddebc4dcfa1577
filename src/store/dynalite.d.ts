// Types for dynalite 4, which ships none: only the options this project uses.
declare module 'dynalite' {
  import type { Server } from 'node:http'

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string
    /** Time a new table stays in CREATING, in ms (dynalite's default is 500). */
    createTableMs?: number
    deleteTableMs?: number
    updateTableMs?: number
    maxItemSizeKb?: number
  }

  /** Creates an HTTP server speaking the DynamoDB API; close() also closes the database. */
  function dynalite(options?: DynaliteOptions): Server

  export = dynalite
}
