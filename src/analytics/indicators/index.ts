export { type Bands, Bollinger } from './bollinger.ts';
export { Ema } from './ema.ts';
export { type IndicatorParams, IndicatorSet } from './indicator-set.ts';
export type { IncrementalOperator } from './operator.ts';
export { type Moments, RollingMoments } from './rolling-moments.ts';
export { Rsi } from './rsi.ts';
export { Sma } from './sma.ts';
