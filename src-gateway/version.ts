import pkg from '../package.json' with { type: 'json' };

/** The gateway's version, as `/health` and the admin overview report it. */
export const VERSION: string = pkg.version;
