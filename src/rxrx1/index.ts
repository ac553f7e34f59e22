/** rxrx1/: the RxRx1 constants, plate geometry, identifiers and shared colours (pure; shared with the web app). */
export * from './constants.js';
export * from './ids.js';
export * from './palette.js';
export * from './plate.js';
