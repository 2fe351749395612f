// node's own llhttp binding (the parser node's http server and client use, from its internal
// `_http_common` module), shared by the client side (http1-server.ts) and the upstream side
// (upstream-pool.ts) of the L7 path. Parsers are reused across connections as node's server does:
// a parser is a C++ object holding llhttp's state, and making one per connection showed in
// new-connection profiles.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A parser; `Owner` is the connection it works for while taken (null in the free list). */
export interface Parser<Owner> {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | Error;
  finish(): number | Error | undefined;
  consume(handle: object): void;
  unconsume(): void;
  getCurrentBuffer(): Buffer;
  close(): void;
  remove(): void;
  free(): void;
  connection: Owner | null;
  [callback: number]: unknown;
}

export interface ParserCallbacks<Owner> {
  onMessageBegin?: (this: Parser<Owner>) => void;
  onHeaders: (this: Parser<Owner>, headers: string[], url: string) => void;
  onHeadersComplete: (this: Parser<Owner>, major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, status: number, reason: string, upgrade: boolean, keepAlive: boolean) => number;
  onBody: (this: Parser<Owner>, chunk: Buffer) => void;
  onMessageComplete: (this: Parser<Owner>) => void;
  onExecute?: (this: Parser<Owner>, ret: number | Error) => void;
}

const { HTTPParser, methods } = require('_http_common') as {
  HTTPParser: {
    new (): Parser<unknown>;
    REQUEST: number;
    RESPONSE: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kOnExecute: number;
  };
  methods: string[];
};
export { methods };
export const REQUEST = HTTPParser.REQUEST;
export const RESPONSE = HTTPParser.RESPONSE;

const MAX_FREE_PARSERS = 256;

/**
 * Parsers of one kind (request or response) with one set of callbacks for all of them (llhttp
 * calls them with the parser as `this`; `parser.connection` says for whom), and their free list.
 */
export class ParserPool<Owner> {
  readonly #free: Parser<Owner>[] = [];
  readonly #type: number;
  readonly #callbacks: ParserCallbacks<Owner>;

  constructor(type: number, callbacks: ParserCallbacks<Owner>) {
    this.#type = type;
    this.#callbacks = callbacks;
  }

  take(owner: Owner, maxHeaderSize: number): Parser<Owner> {
    let parser = this.#free.pop();
    if (!parser) {
      parser = new HTTPParser() as Parser<Owner>;
      const c = this.#callbacks;
      if (c.onMessageBegin) parser[HTTPParser.kOnMessageBegin | 0] = c.onMessageBegin;
      parser[HTTPParser.kOnHeaders | 0] = c.onHeaders;
      parser[HTTPParser.kOnHeadersComplete | 0] = c.onHeadersComplete;
      parser[HTTPParser.kOnBody | 0] = c.onBody;
      parser[HTTPParser.kOnMessageComplete | 0] = c.onMessageComplete;
      if (c.onExecute) parser[HTTPParser.kOnExecute | 0] = c.onExecute;
    }
    parser.initialize(this.#type, {}, maxHeaderSize, 0);
    parser.connection = owner;
    return parser;
  }

  /**
   * Back to the free list, on the next turn: inside a parser callback the parser is still
   * executing (callbacks that fire meanwhile see no connection and do nothing). `now` only when
   * it is certainly not executing. `handle`: the stream handle it consumed, given back.
   */
  give(parser: Parser<Owner>, handle: { _consumed?: boolean } | null, now = false): void {
    const free = () => {
      if (handle) {
        parser.unconsume();
        handle._consumed = false;
      }
      parser.remove();
      parser.connection = null;
      if (this.#free.length < MAX_FREE_PARSERS) {
        parser.free();
        this.#free.push(parser);
      } else parser.close();
    };
    if (now) free();
    else setImmediate(free);
  }
}
