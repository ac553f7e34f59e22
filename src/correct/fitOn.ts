/**
 * Rows a transform is estimated on (by Metadata_well_type): the negative controls, all controls (negative and
 * positive: in RxRx1 the same 31 control wells sit on every plate, a steadier reference than one B02 well), or
 * every row. Its own module, with no imports, because the HTTP API's types (src/api/, shared with the web bundle)
 * name it too.
 */
export const FIT_ON = ['negative', 'controls', 'all'] as const;
export type FitOn = (typeof FIT_ON)[number];
